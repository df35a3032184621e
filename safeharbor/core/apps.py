from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeharbor.core"
    label = "core"
    verbose_name = "Core"
    role_permissions: dict[str, list[str]] = {
        "admin": [
            "core.view_webhookendpoint",
            "core.add_webhookendpoint",
            "core.change_webhookendpoint",
            "core.replay_webhookdelivery",
        ],
    }
