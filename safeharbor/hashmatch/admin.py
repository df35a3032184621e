from django.contrib import admin

from safeharbor.core.admin import ReadOnlyAdminMixin
from safeharbor.hashmatch.models import BankEntry, HashBank

# Read-only: banks and entries change only through the audited pages under /hashes/ and the
# `safeharbor hashes` command. Matches and kept media are deliberately not in the admin site:
# child-safety matches and evidence must only be reachable through access.py.


@admin.register(HashBank)
class HashBankAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "signal_type", "category", "severity_tier", "enabled")
    list_filter = ("signal_type", "enabled")
    search_fields = ("name", "slug", "source")


@admin.register(BankEntry)
class BankEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("value", "bank", "signal_type", "enabled", "origin", "added_at")
    list_filter = ("signal_type", "enabled")
    list_select_related = ("bank",)
    search_fields = ("value",)
    show_full_result_count = False  # banks hold millions of rows
