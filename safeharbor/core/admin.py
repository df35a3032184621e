from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safeharbor.core.models import AuditEvent


class ReadOnlyAdminMixin:
    """For models whose changes must go through a service (sudo, audit): view only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit log is written only by record_audit()."""

    list_display = (
        "sequence",
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_label",
        "ip",
    )
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_label", "action", "target_label", "target_id", "ip")
    date_hierarchy = "created_at"
