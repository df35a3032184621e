from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "safeharbor.disclosure"
    label = "disclosure"
    verbose_name = "Vulnerability disclosure"
    api_scopes = {
        "vdp:read": "Read the program, its scope and the reports a key may see.",
        "vdp:submit": "Submit vulnerability reports on behalf of a researcher.",
    }
    role_permissions: dict[str, list[str]] = {}
