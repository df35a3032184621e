"""Every HTML page of the accounts and core apps against every member of the cast.

The sign-in steps themselves (the code and set-up pages) depend on where a person is in signing
in rather than on a role; test_mfa.py covers them. Sign-out is covered in test_login.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from safeharbor.accounts.models import APIKey
from safeharbor.accounts.services import create_api_key
from safeharbor.accounts.tests.steps import grant_sudo_to, user_of
from safeharbor.core.testing.cast import ALL_ROLES, Member
from safeharbor.core.testing.matrix import assert_access

pytestmark = pytest.mark.django_db

EVERYONE = set(ALL_ROLES)
SIGNED_IN = EVERYONE - {"anon"}
ADMIN = {"admin"}


@dataclass(frozen=True)
class Page:
    name: str
    allowed: set[str]
    sudo: bool = False
    method: str = "get"
    allowed_status: int = 200
    data: dict[str, object] | None = None
    # Builds the URL from the cast and an API key, for pages about one object.
    url: Callable[[dict[str, Member], APIKey], str] | None = None

    def resolve(self, cast: dict[str, Member], key: APIKey) -> str:
        return self.url(cast, key) if self.url else reverse(self.name)


def about_researcher(name: str) -> Callable[[dict[str, Member], APIKey], str]:
    return lambda cast, key: reverse(name, args=[user_of(cast["other_researcher"]).pk])


PAGES = [
    Page("core:home", EVERYONE),
    Page("core:dashboard", SIGNED_IN),
    Page("core:audit_list", ADMIN),
    Page("accounts:security", SIGNED_IN),
    Page("accounts:password_change", SIGNED_IN),
    Page("accounts:recovery_codes", SIGNED_IN),
    Page("accounts:sudo", SIGNED_IN),
    Page("accounts:staff_list", ADMIN),
    Page("accounts:staff_detail", ADMIN, url=about_researcher("accounts:staff_detail")),
    Page("accounts:staff_create", ADMIN, sudo=True),
    Page(
        "accounts:staff_roles",
        ADMIN,
        sudo=True,
        method="post",
        allowed_status=302,
        data={},
        url=about_researcher("accounts:staff_roles"),
    ),
    Page(
        "accounts:staff_reset_mfa",
        ADMIN,
        sudo=True,
        url=about_researcher("accounts:staff_reset_mfa"),
    ),
    Page("accounts:staff_active", ADMIN, sudo=True, url=about_researcher("accounts:staff_active")),
    Page("accounts:api_keys", ADMIN),
    Page("accounts:api_key_create", ADMIN, sudo=True),
    Page(
        "accounts:api_key_revoke",
        ADMIN,
        url=lambda cast, key: reverse("accounts:api_key_revoke", args=[key.pk]),
    ),
    Page(
        "accounts:recovery_codes_new",
        SIGNED_IN,
        sudo=True,
        method="post",
        allowed_status=302,
        data={},
    ),
]

PUBLIC_PAGES = [
    "/accounts/register/",
    "/accounts/verify/sent/",
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
    "/accounts/password/reset/done/",
]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_each_page_is_open_to_exactly_the_roles_that_need_it(
    cast: dict[str, Member], page: Page
) -> None:
    key, _ = create_api_key(name="matrix", scopes=["audit:read"], actor=None)
    if page.sudo:
        for role in page.allowed - {"anon"}:
            grant_sudo_to(cast[role].client)
    assert_access(
        cast,
        page.method,
        page.resolve(cast, key),
        allowed=page.allowed,
        allowed_status=page.allowed_status,
        data=page.data,
    )


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_are_open_to_everyone(cast: dict[str, Member], url: str) -> None:
    assert_access(cast, "get", url, allowed=EVERYONE)


def test_the_sign_in_page_is_open_to_anonymous_visitors(cast: dict[str, Member]) -> None:
    assert_access(cast, "get", "/accounts/login/", allowed={"anon"}, roles=["anon"])


def test_objects_that_do_not_exist_are_not_found_even_for_the_admin(
    cast: dict[str, Member],
) -> None:
    admin = cast["admin"].client
    grant_sudo_to(admin)
    for url in [
        "/accounts/staff/999999/",
        "/accounts/staff/999999/reset-mfa/",
        "/accounts/staff/999999/active/",
        "/accounts/api-keys/999999/revoke/",
    ]:
        assert admin.get(url).status_code == 404, url


def test_the_navigation_shows_admin_pages_to_the_admin_only(cast: dict[str, Member]) -> None:
    admin_links = {"/staff/audit/", "/accounts/staff/", "/accounts/api-keys/"}
    for role in SIGNED_IN:
        shown = {item.url for item in cast[role].client.get("/dashboard/").context["nav_items"]}
        assert {"/dashboard/", "/accounts/security/"} <= shown, role
        assert (admin_links <= shown) if role == "admin" else not (admin_links & shown), role
