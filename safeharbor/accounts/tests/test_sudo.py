from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from time_machine import TimeMachineFixture

from safeharbor.accounts.models import APIKey, LoginFailure, RecoveryCode, TOTPDevice, User
from safeharbor.accounts.services import regenerate_recovery_codes
from safeharbor.accounts.sudo import SESSION_KEY as SUDO_SESSION_KEY
from safeharbor.accounts.tests.steps import (
    audit_rows,
    code_for,
    error_text,
    only_audit_row,
    sign_in,
    totp_secret_of,
    user_of,
)
from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.cast import PASSWORD, Member

pytestmark = pytest.mark.django_db


def sudo_url(next_url: str) -> str:
    return f"/accounts/sudo/?next={quote(next_url, safe='')}"


def confirm(client: Client, next_url: str, password: str = PASSWORD, code: str = ""):
    return client.post(sudo_url(next_url), {"password": password, "code": code, "next": next_url})


@pytest.fixture
def triager_id(cast: dict[str, Member]) -> int:
    return user_of(cast["triager"]).pk


# Each sensitive action: method, path ({id} is the triager's account), form data, and for a posted
# form the page that showed it, where the person returns after confirming.
SENSITIVE = [
    ("get", "/accounts/staff/new/", None, None),
    (
        "post",
        "/accounts/staff/new/",
        {"username": "eve", "email": "eve@example.org", "roles": ["admin"]},
        "/accounts/staff/new/",
    ),
    ("get", "/accounts/api-keys/new/", None, None),
    (
        "post",
        "/accounts/api-keys/new/",
        {"name": "stolen", "scopes": ["audit:read"]},
        "/accounts/api-keys/new/",
    ),
    ("post", "/accounts/staff/{id}/roles/", {"roles": ["admin"]}, "/accounts/staff/{id}/"),
    ("get", "/accounts/staff/{id}/reset-mfa/", None, None),
    ("post", "/accounts/staff/{id}/reset-mfa/", {}, "/accounts/staff/{id}/reset-mfa/"),
    ("get", "/accounts/staff/{id}/active/", None, None),
    ("post", "/accounts/staff/{id}/active/", {}, "/accounts/staff/{id}/active/"),
    ("post", "/accounts/mfa/recovery-codes/new/", {}, "/accounts/security/"),
]


@pytest.mark.parametrize(("method", "path", "data", "form_page"), SENSITIVE)
def test_sensitive_actions_ask_for_the_password_first(
    admin: Member,
    triager_id: int,
    method: str,
    path: str,
    data: dict | None,
    form_page: str | None,
) -> None:
    regenerate_recovery_codes(user_of(admin))
    codes_before = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    audit_before = AuditEvent.objects.count()
    url = path.format(id=triager_id)
    if method == "get":
        response = admin.client.get(url)
        back_to = url
    else:
        back_to = (form_page or "").format(id=triager_id)
        response = admin.client.post(url, data, headers={"Referer": f"http://testserver{back_to}"})
    assert response.status_code == 302
    assert response["Location"] == sudo_url(back_to)
    # Nothing happened, and nothing was audited.
    assert AuditEvent.objects.count() == audit_before
    assert not User.objects.filter(username="eve").exists()
    assert not APIKey.objects.exists()
    triager = User.objects.get(pk=triager_id)
    assert triager.role_names == {"Security triager"}
    assert triager.is_active
    assert TOTPDevice.objects.filter(user=triager).exists()
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == codes_before


def test_the_password_and_code_grant_sudo_and_lead_back_to_the_page(
    admin: Member, clock: TimeMachineFixture
) -> None:
    page = admin.client.get(sudo_url("/accounts/staff/new/"))
    assert page.context["needs_code"] is True
    response = confirm(admin.client, "/accounts/staff/new/", code=code_for(totp_secret_of(admin)))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/staff/new/"
    assert admin.client.get("/accounts/staff/new/").status_code == 200
    event = only_audit_row("accounts.sudo")
    assert (event.actor_id, event.target_id) == (user_of(admin).pk, str(user_of(admin).pk))


def test_a_staff_member_must_give_a_totp_code_too(admin: Member) -> None:
    response = confirm(admin.client, "/accounts/staff/new/")
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "Enter the current code from your authenticator app."
    ]
    assert SUDO_SESSION_KEY not in admin.client.session
    assert admin.client.get("/accounts/staff/new/").status_code == 302
    assert only_audit_row("accounts.login_failed").details["stage"] == "sudo-mfa"
    assert audit_rows("accounts.sudo") == []


def test_a_wrong_code_is_refused_and_counted(admin: Member, clock: TimeMachineFixture) -> None:
    right = code_for(totp_secret_of(admin))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = confirm(admin.client, "/accounts/staff/new/", code=wrong)
    assert "Enter the current code" in error_text(response)
    assert SUDO_SESSION_KEY not in admin.client.session
    assert LoginFailure.objects.filter(identifier="admin").count() == 1


def test_a_wrong_password_is_refused_and_counted(admin: Member, clock: TimeMachineFixture) -> None:
    response = confirm(
        admin.client, "/accounts/staff/new/", "not my password", code_for(totp_secret_of(admin))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["That password is not right."]
    assert SUDO_SESSION_KEY not in admin.client.session
    assert admin.client.get("/accounts/staff/new/").status_code == 302
    failure = only_audit_row("accounts.login_failed")
    assert failure.details == {"account": "admin", "stage": "sudo"}
    assert LoginFailure.objects.filter(identifier="admin").count() == 1
    assert audit_rows("accounts.sudo") == []


def test_five_wrong_passwords_lock_sudo_and_sign_in(
    admin: Member, clock: TimeMachineFixture
) -> None:
    for _ in range(5):
        confirm(admin.client, "/accounts/staff/new/", "not my password")
    response = confirm(admin.client, "/accounts/staff/new/", code=code_for(totp_secret_of(admin)))
    assert "Too many failed sign-in attempts" in error_text(response)
    assert SUDO_SESSION_KEY not in admin.client.session
    assert "Too many failed sign-in attempts" in sign_in(Client(), "admin").content.decode()


def test_a_researcher_without_mfa_gives_only_the_password(researcher: Member) -> None:
    page = researcher.client.get(sudo_url("/accounts/security/"))
    assert page.context["needs_code"] is False
    assert b'name="code"' not in page.content
    response = confirm(researcher.client, "/accounts/security/")
    assert response["Location"] == "/accounts/security/"
    assert researcher.client.session[SUDO_SESSION_KEY] > 0
    assert only_audit_row("accounts.sudo").actor_id == user_of(researcher).pk


def test_sudo_expires_after_ten_minutes(admin: Member, clock: TimeMachineFixture) -> None:
    confirm(admin.client, "/accounts/staff/new/", code=code_for(totp_secret_of(admin)))
    clock.shift(timedelta(minutes=9, seconds=59))
    assert admin.client.get("/accounts/staff/new/").status_code == 200
    clock.shift(timedelta(seconds=2))
    response = admin.client.get("/accounts/staff/new/")
    assert response.status_code == 302
    assert response["Location"] == sudo_url("/accounts/staff/new/")


def test_a_full_sign_in_counts_as_sudo(admin: Member, clock: TimeMachineFixture) -> None:
    client = Client()
    sign_in(client, "admin")
    client.post("/accounts/mfa/", {"code": code_for(totp_secret_of(admin))})
    assert client.get("/accounts/staff/new/").status_code == 200
    clock.shift(timedelta(minutes=10, seconds=1))
    assert client.get("/accounts/staff/new/").status_code == 302


def test_it_does_not_send_people_to_another_site_afterwards(researcher: Member) -> None:
    response = confirm(researcher.client, "https://evil.example/")
    assert response["Location"] == "/dashboard/"


def test_a_form_posted_without_sudo_leads_back_to_its_page_after_confirming(
    admin: Member, triager_id: int, clock: TimeMachineFixture
) -> None:
    detail = f"/accounts/staff/{triager_id}/"
    response = admin.client.post(
        f"{detail}roles/",
        {"roles": ["moderator"]},
        headers={"Referer": f"http://testserver{detail}"},
    )
    # A redirect cannot repeat a POST: the person confirms, returns to the form and saves again.
    assert response["Location"] == sudo_url(detail)
    confirmed = confirm(admin.client, detail, code=code_for(totp_secret_of(admin)))
    assert confirmed["Location"] == detail
    assert admin.client.get(detail).status_code == 200


def test_a_form_posted_from_another_site_leads_to_the_dashboard_after_confirming(
    admin: Member, triager_id: int
) -> None:
    response = admin.client.post(
        f"/accounts/staff/{triager_id}/roles/", {}, headers={"Referer": "https://evil.example/x"}
    )
    assert response["Location"] == sudo_url("/dashboard/")
