from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "safeharbor.moderation"
    label = "moderation"
    verbose_name = "Trust & safety"
    api_scopes = {
        "reports:write": "Send content reports (the platform's flagging and automated detection).",
        "appeals:write": "File appeals for content owners and read their outcome.",
        "figures:read": "Read moderation figures for transparency reports.",
    }
    role_permissions: dict[str, list[str]] = {
        "moderator": ["moderation.review_cases"],
        "child-safety": ["moderation.review_cases", "moderation.review_child_safety_cases"],
        "admin": [
            "moderation.view_policycategory",
            "moderation.change_policycategory",
            "moderation.change_moderationsettings",
            "moderation.view_transparency_figures",
        ],
        "transparency-editor": ["moderation.view_transparency_figures"],
    }

    def load_reference_data(self) -> str:
        """Create the shipped policy taxonomy and review queues that are missing."""
        from safeharbor.moderation.reference import load_reference_data

        return load_reference_data()
