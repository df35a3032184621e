from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from time_machine import TimeMachineFixture

from safeharbor.accounts.middleware import MFA_SESSION_KEY
from safeharbor.accounts.models import LoginFailure
from safeharbor.accounts.tests.steps import audit_rows, code_for, sign_in, totp_secret_of
from safeharbor.core.testing.cast import Member

pytestmark = pytest.mark.django_db

WRONG = "not the password at all"


def refusal(response) -> str:
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1, errors
    return str(errors[0])


def fail_five_times(identifier: str = "researcher", client: Client | None = None) -> None:
    for _ in range(5):
        response = sign_in(client or Client(), identifier, WRONG)
        assert "do not match" in refusal(response)


def test_five_failed_passwords_lock_the_account_even_with_the_right_password(
    researcher: Member, clock: TimeMachineFixture
) -> None:
    fail_five_times()
    client = Client()
    response = sign_in(client, "researcher")
    assert response.status_code == 200
    message = refusal(response)
    assert message.startswith("Too many failed sign-in attempts.")
    assert "try again in 15 minutes" in message
    assert "_auth_user_id" not in client.session
    assert audit_rows("accounts.login") == []
    assert len(audit_rows("accounts.login_failed")) == 5  # the locked attempt is not even tried


def test_four_failed_passwords_do_not_lock_the_account(researcher: Member) -> None:
    for _ in range(4):
        sign_in(Client(), "researcher", WRONG)
    assert sign_in(Client(), "researcher")["Location"] == "/dashboard/"


def test_the_lock_counts_down_and_lifts_after_fifteen_minutes(
    researcher: Member, clock: TimeMachineFixture
) -> None:
    fail_five_times()
    clock.shift(timedelta(minutes=14, seconds=30))
    assert "try again in 1 minute," in refusal(sign_in(Client(), "researcher"))
    clock.shift(timedelta(seconds=30))
    client = Client()
    response = sign_in(client, "researcher")
    assert response["Location"] == "/dashboard/"
    assert len(audit_rows("accounts.login")) == 1


def test_failures_by_email_and_by_username_count_together(researcher: Member) -> None:
    for identifier in ["researcher", "RESEARCHER", "researcher@example.org"]:
        sign_in(Client(), identifier, WRONG)
    sign_in(Client(), "Researcher@Example.org", WRONG)
    sign_in(Client(), "researcher", WRONG)
    assert set(LoginFailure.objects.values_list("identifier", flat=True)) == {"researcher"}
    for identifier in ["researcher", "researcher@example.org"]:
        assert "Too many failed sign-in attempts" in refusal(sign_in(Client(), identifier))


def test_the_lock_of_one_account_does_not_touch_another(cast: dict[str, Member]) -> None:
    fail_five_times("researcher")
    assert sign_in(Client(), "other_researcher")["Location"] == "/dashboard/"


def test_a_successful_sign_in_clears_the_failures(researcher: Member) -> None:
    for _ in range(4):
        sign_in(Client(), "researcher", WRONG)
    sign_in(Client(), "researcher")
    assert not LoginFailure.objects.filter(identifier="researcher").exists()
    for _ in range(4):
        sign_in(Client(), "researcher", WRONG)
    assert sign_in(Client(), "researcher")["Location"] == "/dashboard/"


def test_wrong_mfa_codes_count_too(admin: Member, clock: TimeMachineFixture) -> None:
    client = Client()
    sign_in(client, "admin")
    right = code_for(totp_secret_of(admin))
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        response = client.post("/accounts/mfa/", {"code": wrong})
        assert "That code is not valid" in str(response.context["form"].errors["code"])
    response = client.post("/accounts/mfa/", {"code": right})
    assert "Too many failed sign-in attempts" in refusal(response)
    assert client.session[MFA_SESSION_KEY] is False
    assert audit_rows("accounts.login") == []
    assert [e.details["stage"] for e in audit_rows("accounts.login_failed")] == ["mfa"] * 5
    assert "Too many failed sign-in attempts" in refusal(sign_in(Client(), "admin"))


def test_wrong_passwords_lock_the_mfa_step_too(admin: Member, clock: TimeMachineFixture) -> None:
    client = Client()
    sign_in(client, "admin")  # right password, now at the code step
    fail_five_times("admin")
    response = client.post("/accounts/mfa/", {"code": code_for(totp_secret_of(admin))})
    assert "Too many failed sign-in attempts" in refusal(response)
    assert client.session[MFA_SESSION_KEY] is False


def test_many_failures_from_one_address_pause_sign_in_from_it(researcher: Member) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(20):
        sign_in(attacker, f"guess{number}@example.org", WRONG)
    assert "Too many failed sign-in attempts" in refusal(sign_in(attacker, "researcher"))
    elsewhere = Client(REMOTE_ADDR="198.51.100.1")
    assert sign_in(elsewhere, "researcher")["Location"] == "/dashboard/"


def test_the_wait_counts_from_the_failure_that_keeps_the_lock_on(
    researcher: Member, clock: TimeMachineFixture
) -> None:
    # Seven failures a minute apart (concurrent attempts can all get past the check): the lock
    # lifts when the fifth newest (minute 2) is 15 minutes old, at minute 17.
    from django.utils import timezone

    start = timezone.now()
    for minute in range(7):
        LoginFailure.objects.create(
            identifier="researcher", ip="192.0.2.1", created_at=start + timedelta(minutes=minute)
        )
    clock.shift(timedelta(minutes=6))
    assert "try again in 11 minutes," in refusal(sign_in(Client(), "researcher"))
    clock.shift(timedelta(minutes=11))
    assert sign_in(Client(), "researcher")["Location"] == "/dashboard/"
