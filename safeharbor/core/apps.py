from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeharbor.core"
    label = "core"
    verbose_name = "Core"
