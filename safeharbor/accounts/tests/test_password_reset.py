from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from time_machine import TimeMachineFixture

from safeharbor.accounts.models import LoginFailure, User
from safeharbor.accounts.tests.steps import (
    audit_rows,
    link_in_last_email,
    make_staff_without_mfa,
    only_audit_row,
    sign_in,
    user_of,
)
from safeharbor.core.testing.cast import PASSWORD, Member

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 77"


def ask_for_reset(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, email: str):
    with django_capture_on_commit_callbacks(execute=True):
        return Client().post("/accounts/password/reset/", {"email": email})


def choose_password(link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    """Open the emailed link and submit the new password, as a browser would."""
    client = Client()
    opened = client.get(link)
    assert opened.status_code == 302  # Django moves the token out of the URL into the session
    form_page = client.get(opened["Location"])
    assert form_page.context["validlink"] is True
    return client.post(
        opened["Location"],
        {"new_password1": password, "new_password2": confirm if confirm is not None else password},
    )


def test_it_emails_a_link_to_a_known_address(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    response = ask_for_reset(django_capture_on_commit_callbacks, "RESEARCHER@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["researcher@example.org"]
    assert mail.outbox[0].subject == "Reset your password for Safeharbor"
    assert link_in_last_email().startswith("/accounts/password/reset/")


def test_an_unknown_address_gets_the_same_page_and_no_email(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    response = ask_for_reset(django_capture_on_commit_callbacks, "stranger@example.org")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_a_deactivated_account_gets_no_email(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    User.objects.filter(pk=user_of(researcher).pk).update(is_active=False)
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    assert mail.outbox == []


def test_the_link_sets_the_password_and_is_audited(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    response = choose_password(link_in_last_email())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    user = User.objects.get(pk=user_of(researcher).pk)
    assert user.check_password(NEW_PASSWORD)
    event = only_audit_row("accounts.password_reset")
    assert (event.actor_id, event.target_id) == (user.pk, str(user.pk))
    assert sign_in(Client(), "researcher", NEW_PASSWORD)["Location"] == "/dashboard/"
    assert sign_in(Client(), "researcher", PASSWORD).status_code == 200


def test_the_link_is_single_use(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    link = link_in_last_email()
    choose_password(link)
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False
    assert b"This link does not work" in again.content
    assert len(audit_rows("accounts.password_reset")) == 1


def test_an_expired_link_does_not_work(
    researcher: Member,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    clock: TimeMachineFixture,
) -> None:
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    clock.shift(timedelta(minutes=61))
    page = Client().get(link_in_last_email(), follow=True)
    assert page.context["validlink"] is False
    assert User.objects.get(pk=user_of(researcher).pk).check_password(PASSWORD)


def test_the_new_password_must_be_strong(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    response = choose_password(link_in_last_email(), "short")
    assert response.status_code == 200
    assert "Use at least 15 characters" in " ".join(
        response.context["form"].errors["new_password2"]
    )
    assert User.objects.get(pk=user_of(researcher).pk).check_password(PASSWORD)
    assert audit_rows("accounts.password_reset") == []


def test_a_reset_lifts_the_sign_in_lock(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    for _ in range(5):
        sign_in(Client(), "researcher", "not the password at all")
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    choose_password(link_in_last_email())
    assert not LoginFailure.objects.exists()
    assert sign_in(Client(), "researcher", NEW_PASSWORD)["Location"] == "/dashboard/"


def test_a_reset_signs_out_the_sessions_that_used_the_old_password(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    assert researcher.client.get("/dashboard/").status_code == 200
    ask_for_reset(django_capture_on_commit_callbacks, "researcher@example.org")
    choose_password(link_in_last_email())
    assert researcher.client.get("/dashboard/")["Location"].startswith("/accounts/login/")


def test_invited_staff_whose_link_expired_can_ask_for_a_new_one(
    clock: TimeMachineFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    invited = make_staff_without_mfa("grace", ["moderator"])
    invited.set_unusable_password()  # as invited: no password chosen yet
    invited.save()
    clock.shift(timedelta(hours=2))  # the invitation link of an hour has expired
    ask_for_reset(django_capture_on_commit_callbacks, "grace@example.org")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Set your password for Safeharbor"
    assert choose_password(link_in_last_email())["Location"] == "/accounts/password/reset/done/"
    assert User.objects.get(username="grace").check_password(NEW_PASSWORD)
