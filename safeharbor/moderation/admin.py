from django.contrib import admin

from safeharbor.core.admin import ReadOnlyAdminMixin
from safeharbor.moderation.models import PolicyCategory, Queue

# Cases and reports are deliberately not in the admin site: child-safety cases must only be
# reachable through access.py.


@admin.register(PolicyCategory)
class PolicyCategoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: categories are edited on the audited staff page /moderation/categories/."""

    list_display = ("name", "slug", "severity_tier", "required_role", "dsa_category", "active")


@admin.register(Queue)
class QueueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "position", "required_role", "is_escalation", "active")
