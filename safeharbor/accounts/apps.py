from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safeharbor.accounts"
    label = "accounts"
    verbose_name = "Accounts"
