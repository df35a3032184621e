from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from time_machine import TimeMachineFixture

from safeharbor.accounts.middleware import MFA_SESSION_KEY
from safeharbor.accounts.models import LoginFailure, RecoveryCode, TOTPDevice
from safeharbor.accounts.services import regenerate_recovery_codes, reset_mfa, set_user_roles
from safeharbor.accounts.sudo import SESSION_KEY as SUDO_SESSION_KEY
from safeharbor.accounts.tests.steps import (
    audit_rows,
    code_for,
    error_text,
    grant_sudo_to,
    make_staff_without_mfa,
    only_audit_row,
    sign_in,
    totp_secret_of,
    user_of,
)
from safeharbor.core.testing.cast import Member

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/dashboard/", "/staff/audit/", "/admin/", "/accounts/staff/", "/accounts/security/"]


def enter_code(client: Client, code: str):
    return client.post("/accounts/mfa/", {"code": code})


# --- After the password ---------------------------------------------------------------------


def test_a_staff_member_without_a_device_is_sent_to_set_one_up(db: None) -> None:
    make_staff_without_mfa("newcomer", ["moderator"])
    client = Client()
    response = sign_in(client, "newcomer")
    assert response["Location"] == "/accounts/mfa/setup/"
    assert client.session[MFA_SESSION_KEY] is False
    assert audit_rows("accounts.login") == []


def test_a_staff_member_with_a_device_is_asked_for_a_code(cast: dict[str, Member]) -> None:
    client = Client()
    response = sign_in(client, "triager")
    assert response["Location"] == "/accounts/mfa/"
    assert client.session[MFA_SESSION_KEY] is False
    assert audit_rows("accounts.login") == []


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_page_redirects_to_the_code_until_it_is_verified(admin: Member, path: str) -> None:
    client = Client()
    sign_in(client, "admin")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/"
    enter_code(client, code_for(totp_secret_of(admin)))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_page_redirects_to_set_up_a_device_until_there_is_one(path: str, db: None) -> None:
    make_staff_without_mfa("newcomer", ["admin"])
    client = Client()
    sign_in(client, "newcomer")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/setup/"


def test_the_api_is_not_redirected_to_mfa(admin: Member) -> None:
    client = Client()
    sign_in(client, "admin")
    response = client.get("/api/v1/me")
    assert response.status_code == 401  # the API takes keys, never a half-signed-in session


# --- Verifying a code at sign-in -------------------------------------------------------------


def test_a_right_code_completes_the_sign_in_and_is_audited(
    admin: Member, clock: TimeMachineFixture
) -> None:
    client = Client()
    sign_in(client, "admin", next_url="/staff/audit/")
    response = enter_code(client, code_for(totp_secret_of(admin)))
    assert response.status_code == 302
    assert response["Location"] == "/staff/audit/"
    assert client.session[MFA_SESSION_KEY] is True
    assert client.session[SUDO_SESSION_KEY] > 0  # a full sign-in counts as recent authentication
    event = only_audit_row("accounts.login")
    assert (event.actor_id, event.details) == (user_of(admin).pk, {"mfa": True})
    device = TOTPDevice.objects.get(user=user_of(admin))
    assert device.last_used_step == int(timezone.now().timestamp()) // 30


def test_it_refuses_a_wrong_totp_code_and_counts_the_failure(
    admin: Member, clock: TimeMachineFixture
) -> None:
    client = Client()
    sign_in(client, "admin")
    right = code_for(totp_secret_of(admin))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = enter_code(client, wrong)
    assert response.status_code == 200
    assert "That code is not valid" in error_text(response)
    assert client.session[MFA_SESSION_KEY] is False
    assert client.get("/dashboard/")["Location"] == "/accounts/mfa/"
    assert audit_rows("accounts.login") == []
    assert only_audit_row("accounts.login_failed").details == {
        "account": "admin",
        "stage": "mfa",
    }
    assert LoginFailure.objects.filter(identifier="admin").count() == 1


def test_it_refuses_a_code_that_is_not_numeric(admin: Member) -> None:
    client = Client()
    sign_in(client, "admin")
    response = enter_code(client, "abcdef")
    assert "That code is not valid" in error_text(response)
    assert client.session[MFA_SESSION_KEY] is False
    assert audit_rows("accounts.login") == []


def test_it_refuses_an_expired_code_from_five_minutes_ago(
    admin: Member, clock: TimeMachineFixture
) -> None:
    client = Client()
    sign_in(client, "admin")
    old = code_for(totp_secret_of(admin), timezone.now() - timedelta(minutes=5))
    assert old != code_for(totp_secret_of(admin))  # (a one-in-a-million coincidence would mislead)
    response = enter_code(client, old)
    assert "That code is not valid" in error_text(response)
    assert client.session[MFA_SESSION_KEY] is False
    assert audit_rows("accounts.login") == []


def test_it_accepts_the_code_of_the_next_30_seconds_for_clock_drift(
    admin: Member, clock: TimeMachineFixture
) -> None:
    client = Client()
    sign_in(client, "admin")
    enter_code(client, code_for(totp_secret_of(admin), timezone.now() + timedelta(seconds=30)))
    assert client.session[MFA_SESSION_KEY] is True


def test_it_refuses_a_reused_totp_code(admin: Member, clock: TimeMachineFixture) -> None:
    code = code_for(totp_secret_of(admin))
    first = Client()
    sign_in(first, "admin")
    enter_code(first, code)
    assert first.session[MFA_SESSION_KEY] is True

    second = Client()  # someone who saw the code over the shoulder, within the same 30 seconds
    sign_in(second, "admin")
    response = enter_code(second, code)
    assert "That code is not valid" in error_text(response)
    assert second.session[MFA_SESSION_KEY] is False
    assert len(audit_rows("accounts.login")) == 1


def test_it_refuses_an_older_code_once_a_newer_one_was_used(
    admin: Member, clock: TimeMachineFixture
) -> None:
    earlier = code_for(totp_secret_of(admin))
    clock.shift(30)
    first = Client()
    sign_in(first, "admin")
    enter_code(first, code_for(totp_secret_of(admin)))
    second = Client()
    sign_in(second, "admin")
    enter_code(second, earlier)  # still inside the drift window, but older than the one used
    assert second.session[MFA_SESSION_KEY] is False


# --- Enrolment ------------------------------------------------------------------------------


@pytest.fixture
def enrolling() -> Client:
    """A new staff member past the password, on the set-up page."""
    make_staff_without_mfa("newcomer", ["moderator"])
    client = Client()
    sign_in(client, "newcomer")
    return client


def secret_of(client: Client) -> str:
    page = client.get("/accounts/mfa/setup/")
    assert page.status_code == 200
    secret = page.context["secret"].replace(" ", "")
    assert TOTPDevice.objects.get(secret=secret).confirmed_at is None
    return secret


def test_enrolment_with_a_right_code_shows_ten_recovery_codes_once(
    enrolling: Client, clock: TimeMachineFixture
) -> None:
    secret = secret_of(enrolling)
    response = enrolling.post("/accounts/mfa/setup/", {"code": code_for(secret)})
    assert response["Location"] == "/accounts/mfa/recovery-codes/"

    page = enrolling.get("/accounts/mfa/recovery-codes/")
    codes = page.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert code.encode() in page.content
    device = TOTPDevice.objects.get(secret=secret)
    assert device.confirmed_at is not None
    stored = RecoveryCode.objects.filter(user=device.user, used_at__isnull=True)
    assert stored.count() == 10
    assert not set(codes) & set(stored.values_list("code_hash", flat=True))  # only hashes kept
    assert only_audit_row("accounts.mfa_enrolled").actor_id == device.user.pk
    assert only_audit_row("accounts.login").details == {"mfa": True}

    reload = enrolling.get("/accounts/mfa/recovery-codes/")
    assert reload.context["codes"] is None
    assert codes[0].encode() not in reload.content
    assert enrolling.get("/dashboard/").status_code == 200


def test_the_set_up_page_keeps_the_same_secret_until_it_is_confirmed(enrolling: Client) -> None:
    assert secret_of(enrolling) == secret_of(enrolling)
    assert TOTPDevice.objects.filter(user__username="newcomer").count() == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("000000", "That code is not right"),
        ("abcdef", "That code is not right"),
        ("12345", "at least 6 characters"),
    ],
)
def test_enrolment_refuses_a_wrong_or_malformed_code(
    enrolling: Client, code: str, error: str
) -> None:
    secret = secret_of(enrolling)
    if code == code_for(secret):  # pragma: no cover - one chance in a million
        pytest.skip("the wrong code happens to be right")
    response = enrolling.post("/accounts/mfa/setup/", {"code": code})
    assert response.status_code == 200
    assert error in error_text(response)
    assert TOTPDevice.objects.get(secret=secret).confirmed_at is None
    assert not RecoveryCode.objects.exists()
    assert audit_rows("accounts.mfa_enrolled") == []
    assert enrolling.get("/dashboard/")["Location"] == "/accounts/mfa/setup/"


def test_enrolment_refuses_an_expired_code(enrolling: Client, clock: TimeMachineFixture) -> None:
    secret = secret_of(enrolling)
    old = code_for(secret, timezone.now() - timedelta(minutes=5))
    response = enrolling.post("/accounts/mfa/setup/", {"code": old})
    assert "That code is not right" in error_text(response)
    assert TOTPDevice.objects.get(secret=secret).confirmed_at is None


def test_someone_with_a_device_cannot_enrol_again(admin: Member) -> None:
    secret_before = TOTPDevice.objects.get(user=user_of(admin)).secret
    response = admin.client.get("/accounts/mfa/setup/")
    assert response["Location"] == "/accounts/security/"
    assert TOTPDevice.objects.get(user=user_of(admin)).secret == secret_before


# --- Recovery codes -------------------------------------------------------------------------


def test_a_recovery_code_works_once_and_its_use_is_audited(admin: Member) -> None:
    codes = regenerate_recovery_codes(user_of(admin))
    first = Client()
    sign_in(first, "admin")
    response = enter_code(first, codes[0])
    assert response.status_code == 302
    assert first.session[MFA_SESSION_KEY] is True
    event = only_audit_row("accounts.recovery_code_used")
    assert (event.actor_id, event.details) == (user_of(admin).pk, {"codes_left": 9})
    assert RecoveryCode.objects.filter(user=user_of(admin), used_at__isnull=False).count() == 1
    warning = first.get("/dashboard/")
    assert b"You signed in with a recovery code; 9 remain" in warning.content

    second = Client()
    sign_in(second, "admin")
    response = enter_code(second, codes[0])
    assert "That code is not valid" in error_text(response)
    assert second.session[MFA_SESSION_KEY] is False
    assert len(audit_rows("accounts.recovery_code_used")) == 1


def test_a_recovery_code_is_accepted_without_its_dash_and_in_capitals(admin: Member) -> None:
    codes = regenerate_recovery_codes(user_of(admin))
    client = Client()
    sign_in(client, "admin")
    enter_code(client, codes[3].replace("-", "").upper())
    assert client.session[MFA_SESSION_KEY] is True


def test_new_recovery_codes_replace_the_old_ones(admin: Member) -> None:
    old = regenerate_recovery_codes(user_of(admin))
    grant_sudo_to(admin.client)
    response = admin.client.post("/accounts/mfa/recovery-codes/new/")
    assert response["Location"] == "/accounts/mfa/recovery-codes/"
    new = admin.client.get("/accounts/mfa/recovery-codes/").context["codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=user_of(admin)).count() == 10
    assert len(audit_rows("accounts.recovery_codes_regenerated")) == 2

    client = Client()
    sign_in(client, "admin")
    enter_code(client, old[0])
    assert client.session[MFA_SESSION_KEY] is False
    enter_code(client, new[0])
    assert client.session[MFA_SESSION_KEY] is True


# --- MFA required while signed in -----------------------------------------------------------


def test_a_role_granted_to_a_signed_in_researcher_forces_mfa_setup_on_the_next_request(
    researcher: Member,
) -> None:
    assert researcher.client.get("/dashboard/").status_code == 200
    set_user_roles(user_of(researcher), ["security-triager"], actor=None)
    response = researcher.client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/setup/"
    assert researcher.client.get("/accounts/mfa/setup/").status_code == 200


def test_a_staff_member_whose_mfa_was_reset_must_set_it_up_again_on_the_next_request(
    cast: dict[str, Member],
) -> None:
    triager = cast["triager"]
    assert triager.client.get("/dashboard/").status_code == 200
    reset_mfa(user_of(triager), actor=user_of(cast["admin"]))
    response = triager.client.get("/dashboard/")
    assert response["Location"] == "/accounts/mfa/setup/"


def test_a_researcher_who_turned_on_mfa_is_asked_for_a_code(
    researcher: Member, clock: TimeMachineFixture
) -> None:
    page = researcher.client.get("/accounts/mfa/setup/")
    secret = page.context["secret"].replace(" ", "")
    researcher.client.post("/accounts/mfa/setup/", {"code": code_for(secret)})
    assert TOTPDevice.objects.get(user=user_of(researcher)).confirmed_at is not None

    clock.shift(30)
    client = Client()
    assert sign_in(client, "researcher")["Location"] == "/accounts/mfa/"
    assert client.get("/dashboard/")["Location"] == "/accounts/mfa/"
    enter_code(client, code_for(secret))
    assert client.get("/dashboard/").status_code == 200


def test_recovery_codes_cannot_be_made_without_mfa(researcher: Member) -> None:
    session = researcher.client.session
    session[SUDO_SESSION_KEY] = 4_102_444_800  # far in the future: sudo granted
    session.save()
    response = researcher.client.post("/accounts/mfa/recovery-codes/new/")
    assert response["Location"] == "/accounts/security/"
    assert not RecoveryCode.objects.filter(user=researcher.user).exists()
