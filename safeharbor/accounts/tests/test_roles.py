from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from safeharbor.accounts.models import User
from safeharbor.accounts.roles import ADMIN, MODERATOR, ROLES
from safeharbor.accounts.services import (
    AccountError,
    ensure_roles,
    role_permissions,
    set_user_roles,
)
from safeharbor.core.testing.cast import Member

pytestmark = pytest.mark.django_db


def permissions_of_groups() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_ensure_roles_gives_each_group_exactly_the_permissions_in_roles_py(db: None) -> None:
    ensure_roles()
    assert permissions_of_groups() == role_permissions()
    assert {role.name for role in ROLES} == set(role_permissions())
    assert {
        "accounts.manage_staff",
        "accounts.manage_api_keys",
        "accounts.view_user",
        "core.view_auditevent",
        "passwords.change_passwordpolicy",  # from the passwords app's AppConfig
    } <= permissions_of_groups()[ADMIN]


def test_ensure_roles_is_idempotent(db: None) -> None:
    ensure_roles()
    first = permissions_of_groups()
    group_ids = set(Group.objects.values_list("pk", flat=True))
    links = Group.permissions.through.objects.count()
    ensure_roles()
    assert permissions_of_groups() == first
    assert set(Group.objects.values_list("pk", flat=True)) == group_ids
    assert Group.permissions.through.objects.count() == links


def test_ensure_roles_puts_back_exactly_what_was_changed_by_hand(db: None) -> None:
    ensure_roles()
    admin_group = Group.objects.get(name=ADMIN)
    admin_group.permissions.remove(Permission.objects.get(codename="manage_staff"))
    moderators = Group.objects.get(name=MODERATOR)
    moderators.permissions.add(Permission.objects.get(codename="manage_api_keys"))
    ensure_roles()
    assert permissions_of_groups() == role_permissions()


def test_an_app_adds_permissions_to_a_role_from_its_app_config(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = apps.get_app_config("core")
    monkeypatch.setattr(
        core, "role_permissions", {"moderator": ["core.view_auditevent"]}, raising=False
    )
    assert "core.view_auditevent" in role_permissions()[MODERATOR]
    ensure_roles()
    assert "core.view_auditevent" in permissions_of_groups()[MODERATOR]
    assert permissions_of_groups()[MODERATOR] == role_permissions()[MODERATOR]


def test_ensure_roles_refuses_a_permission_that_does_not_exist(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = apps.get_app_config("core")
    monkeypatch.setattr(
        core, "role_permissions", {"moderator": ["core.fly_to_the_moon"]}, raising=False
    )
    with pytest.raises(LookupError, match=r"core\.fly_to_the_moon"):
        ensure_roles()


def test_the_cast_admin_may_manage_staff_and_the_triager_may_not(cast: dict[str, Member]) -> None:
    admin = User.objects.get(username="admin")
    triager = User.objects.get(username="triager")
    for permission in ["accounts.manage_staff", "accounts.manage_api_keys", "core.view_auditevent"]:
        assert admin.has_perm(permission)
        assert not triager.has_perm(permission)
    assert not User.objects.get(username="researcher").has_perm("accounts.manage_staff")


def test_a_role_is_a_group_and_makes_a_staff_member(cast: dict[str, Member]) -> None:
    researcher = User.objects.get(username="researcher")
    assert not researcher.is_staff_member
    set_user_roles(researcher, ["moderator"], actor=None)
    researcher = User.objects.get(username="researcher")
    assert researcher.role_names == {MODERATOR}
    assert researcher.is_staff_member
    assert researcher.requires_mfa
    assert not researcher.is_staff  # the Django admin is for administrators only


def test_only_administrators_reach_the_django_admin(cast: dict[str, Member]) -> None:
    triager = User.objects.get(username="triager")
    set_user_roles(triager, ["security-triager", "admin"], actor=None)
    assert User.objects.get(pk=triager.pk).is_staff
    set_user_roles(triager, ["security-triager"], actor=None)
    assert not User.objects.get(pk=triager.pk).is_staff


def test_an_unknown_role_is_refused(cast: dict[str, Member]) -> None:
    triager = User.objects.get(username="triager")
    with pytest.raises(AccountError, match="Unknown role"):
        set_user_roles(triager, ["security-triager", "overlord"], actor=None)
    assert User.objects.get(pk=triager.pk).role_names == {"Security triager"}


def test_granting_a_role_before_the_groups_exist_fails_loudly(db: None) -> None:
    user = User.objects.create(username="early", email="early@example.org")
    with pytest.raises(LookupError, match="safeharbor setup"):
        set_user_roles(user, ["moderator"], actor=None)
    assert not user.groups.exists()
