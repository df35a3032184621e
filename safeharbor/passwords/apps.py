from django.apps import AppConfig


class PasswordsConfig(AppConfig):
    name = "safeharbor.passwords"
    label = "passwords"
    verbose_name = "Account security"
    api_scopes = {
        "passwords:check": "Check a password against the policy, its strength and breaches.",
    }
    role_permissions = {"admin": ["passwords.change_passwordpolicy"]}
