"""Who may see and change hash banks and matches. What a user may not see is 404, never 403.

- ``hashmatch.view_hashbank`` (admin, child-safety): see every bank and its entries. Hashes are
  not the content they stand for, and the people who load NCMEC's lists must see those banks.
- ``hashmatch.manage_banks`` (admin): create, change, import, export, disable, delete.
- ``hashmatch.add_bankentry`` (moderator, child-safety): add the media of a case they may see
  to a bank whose category they may see (child-safety banks: child-safety specialists only).
- ``hashmatch.view_hashmatch`` (admin, child-safety): see matches; matches of child-safety
  banks or cases only with ``moderation.review_child_safety_cases``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from safeharbor.hashmatch.models import BankEntry, HashBank, HashMatch
from safeharbor.moderation.access import case_roles_for, get_case_for_user
from safeharbor.moderation.models import Case

VIEW_BANKS = "hashmatch.view_hashbank"
MANAGE_BANKS = "hashmatch.manage_banks"
ADD_FROM_CASE = "hashmatch.add_bankentry"
VIEW_MATCHES = "hashmatch.view_hashmatch"


def _require(condition: bool) -> None:
    if not condition:
        raise Http404


def may_view_banks(user: Any) -> bool:
    return bool(
        user.is_authenticated and (user.has_perm(VIEW_BANKS) or user.has_perm(MANAGE_BANKS))
    )


def may_manage_banks(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm(MANAGE_BANKS))


def visible_banks_for_user(user: Any) -> QuerySet[HashBank]:
    _require(may_view_banks(user))
    return HashBank.objects.select_related("category")


def get_bank_for_user(user: Any, slug: str) -> HashBank:
    bank = visible_banks_for_user(user).filter(slug=slug).first()
    _require(bank is not None)
    assert bank is not None
    return bank


def managed_banks_for_user(user: Any) -> QuerySet[HashBank]:
    _require(may_manage_banks(user))
    return HashBank.objects.select_related("category")


def get_managed_bank_for_user(user: Any, slug: str) -> HashBank:
    bank = managed_banks_for_user(user).filter(slug=slug).first()
    _require(bank is not None)
    assert bank is not None
    return bank


def get_entry_of_bank(bank: HashBank, entry_id: int) -> BankEntry:
    entry = BankEntry.objects.filter(bank=bank, pk=entry_id).select_related("bank").first()
    _require(entry is not None)
    assert entry is not None
    return entry


# --- Adding from a case ------------------------------------------------------------------------


def banks_for_case_entries(user: Any) -> QuerySet[HashBank]:
    """The banks this user may add a case's media to: those of categories they may see."""
    _require(user.is_authenticated and user.has_perm(ADD_FROM_CASE))
    roles = case_roles_for(user)
    _require(bool(roles))
    return HashBank.objects.select_related("category").filter(category__required_role__in=roles)


def get_case_for_bank_entry(user: Any, public_id: UUID) -> Case:
    _require(user.is_authenticated and user.has_perm(ADD_FROM_CASE))
    return get_case_for_user(user, public_id)


# --- Matches -----------------------------------------------------------------------------------


def match_roles_for(user: Any) -> list[str]:
    """The required roles of the categories whose matches this user may see."""
    return sorted({"", *case_roles_for(user)})


def visible_matches_for_user(user: Any) -> QuerySet[HashMatch]:
    _require(user.is_authenticated and user.has_perm(VIEW_MATCHES))
    roles = match_roles_for(user)
    # The bank's category and the case's (a case may have moved to a stricter category since).
    return (
        HashMatch.objects.select_related("bank", "bank__category", "case")
        .filter(bank__category__required_role__in=roles)
        .filter(Q(case__isnull=True) | Q(case__required_role__in=roles))
    )
