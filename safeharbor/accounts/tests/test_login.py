from __future__ import annotations

import pytest
from django.test import Client

from safeharbor.accounts.middleware import MFA_SESSION_KEY
from safeharbor.accounts.models import LoginFailure, User
from safeharbor.accounts.tests.steps import audit_rows, only_audit_row, sign_in, user_of
from safeharbor.core.testing.cast import PASSWORD, Member

pytestmark = pytest.mark.django_db


def signed_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def test_it_signs_a_researcher_in_with_the_username(researcher: Member) -> None:
    client = Client()
    response = sign_in(client, "researcher")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert signed_in_user_id(client) == user_of(researcher).pk
    event = only_audit_row("accounts.login")
    assert (event.actor_id, event.target_id) == (
        user_of(researcher).pk,
        str(user_of(researcher).pk),
    )
    assert event.details == {"mfa": False}
    assert event.ip == "127.0.0.1"
    user_of(researcher).refresh_from_db()
    assert user_of(researcher).last_login is not None


def test_it_signs_in_with_the_email_in_any_case(researcher: Member) -> None:
    client = Client()
    response = sign_in(client, "  RESEARCHER@Example.ORG ")
    assert response.status_code == 302
    assert signed_in_user_id(client) == user_of(researcher).pk
    assert only_audit_row("accounts.login").actor_id == user_of(researcher).pk


def test_it_signs_in_with_the_username_in_any_case(researcher: Member) -> None:
    client = Client()
    sign_in(client, "ReSeArChEr")
    assert signed_in_user_id(client) == user_of(researcher).pk


def test_a_researcher_without_mfa_lands_on_the_dashboard(researcher: Member) -> None:
    client = Client()
    response = sign_in(client, "researcher")
    assert response["Location"] == "/dashboard/"
    assert client.session[MFA_SESSION_KEY] is True
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200
    assert b"Your researcher account" in dashboard.content


def test_a_wrong_password_gives_a_clear_error_and_no_session(researcher: Member) -> None:
    client = Client()
    response = sign_in(client, "researcher", "not the password at all")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "That username or email and password do not match an account we know."
    ]
    assert b"do not match an account we know" in response.content
    assert signed_in_user_id(client) is None
    assert audit_rows("accounts.login") == []
    failure = only_audit_row("accounts.login_failed")
    assert failure.details == {"account": "researcher", "stage": "password"}
    assert failure.actor_id is None
    assert LoginFailure.objects.filter(identifier="researcher").count() == 1


def test_an_unknown_account_gets_the_same_error_as_a_wrong_password(db: None) -> None:
    client = Client()
    response = sign_in(client, "nobody@example.org", "whatever password")
    assert response.context["form"].non_field_errors() == [
        "That username or email and password do not match an account we know."
    ]
    account = only_audit_row("accounts.login_failed").details["account"]
    assert account.startswith("unknown:")
    assert "nobody" not in account


def test_a_password_typed_into_the_username_field_is_never_stored(db: None) -> None:
    from safeharbor.accounts.models import LoginFailure
    from safeharbor.core.models import AuditEvent

    sign_in(Client(), "My Secret Passphrase 99", "")
    sign_in(Client(), "My Secret Passphrase 99", "x")
    stored = [str(e.details) for e in AuditEvent.objects.all()]
    stored += list(LoginFailure.objects.values_list("identifier", flat=True))
    assert stored
    assert not [text for text in stored if "passphrase" in text.lower()]


def test_an_unverified_researcher_is_sent_to_the_verification_page(db: None) -> None:
    user = User(username="newcomer", email="newcomer@example.org")
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    response = sign_in(client, "newcomer")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/sent/"
    assert signed_in_user_id(client) is None
    assert client.session["safeharbor_unverified_user"] == user.pk
    assert audit_rows("accounts.login") == []
    page = client.get("/accounts/verify/sent/")
    assert b"Send the link again" in page.content


def test_a_deactivated_account_cannot_sign_in(researcher: Member) -> None:
    User.objects.filter(pk=user_of(researcher).pk).update(is_active=False)
    client = Client()
    response = sign_in(client, "researcher")
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert audit_rows("accounts.login") == []


def test_it_goes_to_a_local_next_page_after_signing_in(researcher: Member) -> None:
    response = sign_in(Client(), "researcher", next_url="/accounts/security/")
    assert response["Location"] == "/accounts/security/"


def test_it_ignores_a_next_page_on_another_site(researcher: Member) -> None:
    response = sign_in(Client(), "researcher", next_url="https://evil.example/phish")
    assert response["Location"] == "/dashboard/"


def test_a_signed_in_visitor_of_the_login_page_goes_on_to_the_dashboard(
    researcher: Member,
) -> None:
    response = researcher.client.get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_signing_out_ends_the_session_and_is_audited(researcher: Member) -> None:
    response = researcher.client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(researcher.client) is None
    assert only_audit_row("accounts.logout").actor_id == user_of(researcher).pk
    assert researcher.client.get("/dashboard/")["Location"].startswith("/accounts/login/")


def test_signing_out_only_accepts_post(researcher: Member) -> None:
    assert researcher.client.get("/accounts/logout/").status_code == 405
    assert signed_in_user_id(researcher.client) == user_of(researcher).pk
