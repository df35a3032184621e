from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "safeharbor.moderation"
    label = "moderation"
    verbose_name = "Trust & safety"
    api_scopes = {
        "reports:write": "Send content reports (the platform's flagging and automated detection).",
    }
    role_permissions: dict[str, list[str]] = {}
