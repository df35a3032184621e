"""Who may see which account objects. Objects a user may not see are 404, never 403."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from safeharbor.accounts.models import APIKey, User


def _require(condition: bool) -> None:
    if not condition:
        raise Http404


def visible_staff_for_user(user: User) -> QuerySet[User]:
    _require(user.is_authenticated)
    _require(user.has_perm("accounts.manage_staff"))
    return User.objects.all()


def get_account_for_user(user: User, account_id: int) -> User:
    accounts = visible_staff_for_user(user)
    account = accounts.filter(pk=account_id).first()
    _require(account is not None)
    assert account is not None
    return account


def visible_api_keys_for_user(user: User) -> QuerySet[APIKey]:
    _require(user.is_authenticated)
    _require(user.has_perm("accounts.manage_api_keys"))
    return APIKey.objects.all()


def get_api_key_for_user(user: User, key_id: int) -> APIKey:
    key = visible_api_keys_for_user(user).filter(pk=key_id).first()
    _require(key is not None)
    assert key is not None
    return key
