from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from time_machine import TimeMachineFixture

from safeharbor.accounts.models import User
from safeharbor.accounts.tests.steps import (
    audit_rows,
    link_in_last_email,
    only_audit_row,
    sign_in,
    user_of,
)
from safeharbor.core.testing.cast import Member

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "marie.curie",
    "email": "Marie@Example.ORG",
    "password": "radium and polonium 1898",
}


@pytest.fixture
def registered(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Client:
    """A visitor who has just created an account (and got the email)."""
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/register/", GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/sent/"
    return client


def register(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, **changes: str):
    with django_capture_on_commit_callbacks(execute=True):
        return Client().post("/accounts/register/", {**GOOD, **changes})


def test_it_creates_an_unverified_researcher_and_emails_a_link(registered: Client) -> None:
    user = User.objects.get(username="marie.curie")
    assert user.email == "marie@example.org"
    assert user.email_verified_at is None
    assert user.check_password(GOOD["password"])
    assert not user.is_staff_member
    assert "_auth_user_id" not in registered.session
    event = only_audit_row("accounts.registered")
    assert (event.actor_id, event.target_id) == (user.pk, str(user.pk))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marie@example.org"]
    assert message.subject == "Confirm your email address for Safeharbor"
    assert link_in_last_email().startswith("/accounts/verify/")


def test_opening_the_link_asks_for_a_click_and_does_not_verify_yet(registered: Client) -> None:
    response = Client().get(link_in_last_email())
    assert response.status_code == 200
    assert b"Confirm my email address" in response.content
    assert User.objects.get(username=GOOD["username"]).email_verified_at is None


def test_the_link_verifies_the_address_and_is_audited(registered: Client) -> None:
    response = Client().post(link_in_last_email())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    user = User.objects.get(username="marie.curie")
    assert user.email_verified_at is not None
    assert only_audit_row("accounts.email_verified").actor_id == user.pk
    client = Client()
    assert sign_in(client, "marie.curie", GOOD["password"])["Location"] == "/dashboard/"


def test_the_link_works_only_once(registered: Client) -> None:
    link = link_in_last_email()
    Client().post(link)
    response = Client().post(link)
    assert response.status_code == 400
    assert len(audit_rows("accounts.email_verified")) == 1


def test_a_tampered_link_gives_a_400_page(registered: Client) -> None:
    link = link_in_last_email()
    head, token = link.rstrip("/").rsplit("/", 1)
    tampered = f"{head}/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}/"
    response = Client().get(tampered)
    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert User.objects.get(username="marie.curie").email_verified_at is None
    assert audit_rows("accounts.email_verified") == []


@pytest.mark.parametrize("uid", ["!!!", "MTIzNDU2Nzg5", "bm90LWEtbnVtYmVy"])
def test_a_link_with_a_bad_user_part_gives_a_400_page(registered: Client, uid: str) -> None:
    token = link_in_last_email().rstrip("/").rsplit("/", 1)[1]
    assert Client().get(f"/accounts/verify/{uid}/{token}/").status_code == 400


def test_a_link_for_one_account_does_not_verify_another(
    registered: Client, researcher: Member
) -> None:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    token = link_in_last_email().rstrip("/").rsplit("/", 1)[1]
    User.objects.filter(pk=user_of(researcher).pk).update(email_verified_at=None)
    other_uid = urlsafe_base64_encode(force_bytes(user_of(researcher).pk))
    assert Client().get(f"/accounts/verify/{other_uid}/{token}/").status_code == 400
    assert User.objects.get(pk=user_of(researcher).pk).email_verified_at is None


def test_an_expired_link_gives_a_400_page(registered: Client, clock: TimeMachineFixture) -> None:
    link = link_in_last_email()
    clock.shift(timedelta(minutes=61))
    response = Client().get(link)
    assert response.status_code == 400
    assert User.objects.get(username="marie.curie").email_verified_at is None


def test_it_refuses_a_handle_that_is_taken_in_any_case(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    response = register(django_capture_on_commit_callbacks, username="RESEARCHER")
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["This handle is taken; choose another."]
    assert not User.objects.filter(email="marie@example.org").exists()
    assert mail.outbox == []
    assert audit_rows("accounts.registered") == []


def test_it_refuses_an_email_that_is_taken_in_any_case(
    researcher: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    response = register(django_capture_on_commit_callbacks, email="Researcher@EXAMPLE.org")
    assert response.status_code == 200
    assert "An account with this address exists" in response.context["form"].errors["email"][0]
    assert not User.objects.filter(username="marie.curie").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        ("marie.curie", "short pass1", "Use at least 15 characters; this one has 11"),
        ("bluebirdcatcher", "my bluebirdcatcher 1", "guess from your account or this site"),
        ("marie.curie", "password1234", "one of the most common passwords"),
    ],
)
def test_it_refuses_a_weak_password_with_a_field_error(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    username: str,
    password: str,
    error: str,
) -> None:
    response = register(django_capture_on_commit_callbacks, username=username, password=password)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["password"]
    assert error in " ".join(errors["password"])
    assert not User.objects.filter(username=username).exists()
    assert mail.outbox == []


def test_it_refuses_a_password_too_similar_to_the_email(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    response = register(
        django_capture_on_commit_callbacks,
        email="sklodowska.lab@example.org",
        password="sklodowska.lab@example",
    )
    assert "guess from your account or this site: example, sklodowska.lab." in " ".join(
        response.context["form"].errors["password"]
    )


def test_it_refuses_a_handle_with_spaces_or_symbols(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    response = register(django_capture_on_commit_callbacks, username="marie curie!")
    assert response.context["form"].errors["username"] == [
        "Use only letters, digits, dots, dashes and underscores."
    ]
    assert not User.objects.exists()


def test_resend_sends_a_new_link_that_works(
    registered: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = registered.post("/accounts/verify/sent/")
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["marie@example.org"]
    assert Client().post(link_in_last_email()).status_code == 302
    assert User.objects.get(username="marie.curie").email_verified_at is not None


def test_resend_after_verification_sends_nothing(
    registered: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    Client().post(link_in_last_email())
    with django_capture_on_commit_callbacks(execute=True):
        registered.post("/accounts/verify/sent/")
    assert len(mail.outbox) == 1


def test_resend_without_a_pending_account_sends_nothing(
    db: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/verify/sent/")
    assert response.status_code == 200
    assert mail.outbox == []


def test_an_unverified_researcher_signing_in_can_ask_for_a_new_link(
    registered: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    client = Client()
    assert sign_in(client, "marie.curie", GOOD["password"])["Location"] == "/accounts/verify/sent/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/verify/sent/")
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["marie@example.org"]
