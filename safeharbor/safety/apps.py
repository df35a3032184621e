from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safeharbor.safety"
    label = "safety"
    verbose_name = "Safety Center"
    api_scopes = {
        "safety:read": "Read the helpline and safety-partner directory.",
        "interventions:check": "Ask whether a search or post should surface helplines.",
    }
    role_permissions = {
        "admin": [
            "safety.change_organization",
            "safety.add_organization",
            "safety.change_termlistversion",
            "safety.add_termlistversion",
            "safety.view_interventioncount",
        ],
        "moderator": [
            "safety.change_organization",
            "safety.add_organization",
            "safety.change_termlistversion",
            "safety.add_termlistversion",
            "safety.view_interventioncount",
        ],
        "transparency-editor": ["safety.view_interventioncount"],
    }

    def load_reference_data(self) -> str:
        """Load the curated directory and term lists shipped with the project (idempotent)."""
        from safeharbor.safety.reference import load_reference_data

        return load_reference_data()
