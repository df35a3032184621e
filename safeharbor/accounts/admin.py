from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from safeharbor.accounts.models import APIKey, User
from safeharbor.core.admin import ReadOnlyAdminMixin


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, DjangoUserAdmin):
    """Read-only: accounts, roles and second factors change on the Staff pages, which ask for
    re-authentication and write the audit log. Accounts are deactivated, never deleted."""

    list_display = ("username", "email", "is_active", "is_superuser", "last_login")


@admin.register(APIKey)
class APIKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Keys are created and revoked on the API keys page (shown once, audited)."""

    list_display = ("name", "prefix", "created_at", "revoked_at", "last_used_at")


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdminMixin, DjangoGroupAdmin):
    """Roles are defined in code (roles.py and each app's AppConfig) and applied by
    `safeharbor setup`; editing them here would bypass review and the audit log."""
