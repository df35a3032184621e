from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from safeharbor.accounts.models import APIKey, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Read-only: accounts, roles and second factors change on the Staff pages, which ask for
    re-authentication and write the audit log."""

    list_display = (
        "username",
        "email",
        "is_active",
        "is_superuser",
        "email_verified_at",
        "last_login",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the audit log refers to accounts


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Keys are created and revoked on the API keys page (shown once, audited); read-only here."""

    list_display = ("name", "prefix", "created_at", "revoked_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(DjangoGroupAdmin):
    """Roles are defined in code (roles.py and each app's AppConfig) and applied by
    `safeharbor setup`; editing them here would bypass review and the audit log."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
