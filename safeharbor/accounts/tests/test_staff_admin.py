from __future__ import annotations

import pyotp
import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from safeharbor.accounts.models import RecoveryCode, TOTPDevice, User
from safeharbor.accounts.services import regenerate_recovery_codes
from safeharbor.accounts.tests.steps import (
    audit_rows,
    grant_sudo_to,
    link_in_last_email,
    make_staff_without_mfa,
    only_audit_row,
    sign_in,
    user_of,
)
from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.cast import Member, make_staff

pytestmark = pytest.mark.django_db

STAFF_NAMES = {"admin", "triager", "moderator", "child_safety", "transparency_editor"}


@pytest.fixture
def boss(admin: Member) -> Client:
    """The administrator's browser, in sudo mode."""
    grant_sudo_to(admin.client)
    return admin.client


@pytest.fixture
def triager(cast: dict[str, Member]) -> User:
    user = user_of(cast["triager"])
    assert user is not None
    return user


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def audit_by(actor: User, action: str) -> list[AuditEvent]:
    return [event for event in audit_rows(action) if event.actor_id == actor.pk]


# --- Inviting staff ---------------------------------------------------------------------------


def invite(boss: Client, capture, **fields):
    data = {
        "username": "grace",
        "email": "Grace@Example.org",
        "roles": ["moderator", "child-safety"],
    }
    with capture(execute=True):
        return boss.post("/accounts/staff/new/", {**data, **fields})


def test_inviting_staff_sets_roles_emails_a_set_password_link_and_is_audited(
    boss: Client, admin: Member, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    response = invite(boss, django_capture_on_commit_callbacks)
    grace = User.objects.get(username="grace")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/staff/{grace.pk}/"
    assert grace.email == "grace@example.org"
    assert grace.email_verified_at is not None
    assert not grace.has_usable_password()
    assert grace.role_names == {"T&S moderator", "Child-safety specialist"}
    assert not grace.is_staff  # only administrators reach the Django admin
    (created,) = audit_by(user_of(admin), "accounts.staff_created")
    assert (created.actor_id, created.target_id) == (user_of(admin).pk, str(grace.pk))
    assert created.details == {"roles": ["child-safety", "moderator"]}
    (roles,) = [e for e in audit_rows("accounts.roles_changed") if e.target_id == str(grace.pk)]
    assert roles.details == {"before": [], "after": ["Child-safety specialist", "T&S moderator"]}
    assert roles.actor_id == user_of(admin).pk

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.org"]
    assert mail.outbox[0].subject == "Set your password for Safeharbor"
    assert "An account was created for you" in mail.outbox[0].body


def test_the_invited_person_sets_a_password_and_must_then_set_up_mfa(
    boss: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    invite(boss, django_capture_on_commit_callbacks)
    browser = Client()
    set_password_page = browser.get(link_in_last_email())["Location"]
    password = "hopper's compiler from 1952"
    response = browser.post(
        set_password_page, {"new_password1": password, "new_password2": password}
    )
    assert response["Location"] == "/accounts/password/reset/done/"
    assert User.objects.get(username="grace").check_password(password)
    assert sign_in(Client(), "grace", password)["Location"] == "/accounts/mfa/setup/"


def test_inviting_an_administrator_opens_the_django_admin_to_them(
    boss: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    invite(boss, django_capture_on_commit_callbacks, roles=["admin"])
    assert User.objects.get(username="grace").is_staff


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"username": "TRIAGER"}, "The username 'TRIAGER' is taken."),
        ({"email": "Triager@example.org"}, "An account with the address triager@example.org"),
    ],
)
def test_inviting_refuses_a_taken_username_or_email(
    boss: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    fields: dict[str, str],
    error: str,
) -> None:
    response = invite(boss, django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].non_field_errors())
    assert User.objects.count() == 7
    assert mail.outbox == []
    assert audit_by(User.objects.get(username="admin"), "accounts.staff_created") == []


def test_inviting_needs_at_least_one_known_role(
    boss: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    for roles in ([], ["overlord"]):
        response = invite(boss, django_capture_on_commit_callbacks, roles=roles)
        assert "roles" in response.context["form"].errors
    assert not User.objects.filter(username="grace").exists()
    assert mail.outbox == []


# --- Roles ----------------------------------------------------------------------------------


def test_changing_roles_is_audited_with_before_and_after(
    boss: Client, admin: Member, triager: User
) -> None:
    response = boss.post(f"/accounts/staff/{triager.pk}/roles/", {"roles": ["moderator", "admin"]})
    assert response["Location"] == f"/accounts/staff/{triager.pk}/"
    triager.refresh_from_db()
    assert User.objects.get(pk=triager.pk).role_names == {"T&S moderator", "Administrator"}
    assert triager.is_staff
    (event,) = audit_by(user_of(admin), "accounts.roles_changed")
    assert event.target_id == str(triager.pk)
    assert event.details == {
        "before": ["Security triager"],
        "after": ["Administrator", "T&S moderator"],
    }
    assert "Roles of triager saved." in messages_of(boss.get(response["Location"]))


def test_saving_the_same_roles_writes_no_audit_row(
    boss: Client, admin: Member, triager: User
) -> None:
    boss.post(f"/accounts/staff/{triager.pk}/roles/", {"roles": ["security-triager"]})
    assert audit_by(user_of(admin), "accounts.roles_changed") == []


def test_removing_every_role_leaves_a_researcher(boss: Client, triager: User) -> None:
    boss.post(f"/accounts/staff/{triager.pk}/roles/", {})
    triager = User.objects.get(pk=triager.pk)
    assert triager.role_names == frozenset()
    assert not triager.is_staff_member


def test_an_unknown_role_is_refused(boss: Client, admin: Member, triager: User) -> None:
    response = boss.post(
        f"/accounts/staff/{triager.pk}/roles/", {"roles": ["overlord"]}, follow=True
    )
    assert "Choose roles from the list." in messages_of(response)
    assert User.objects.get(pk=triager.pk).role_names == {"Security triager"}
    assert audit_by(user_of(admin), "accounts.roles_changed") == []


def test_an_administrator_cannot_remove_their_own_administrator_role(
    boss: Client, admin: Member
) -> None:
    response = boss.post(
        f"/accounts/staff/{user_of(admin).pk}/roles/", {"roles": ["moderator"]}, follow=True
    )
    assert "You cannot remove your own Administrator role." in messages_of(response)
    assert User.objects.get(pk=user_of(admin).pk).role_names == {"Administrator"}
    assert audit_by(user_of(admin), "accounts.roles_changed") == []


def test_an_administrator_may_add_roles_to_themselves(boss: Client, admin: Member) -> None:
    boss.post(f"/accounts/staff/{user_of(admin).pk}/roles/", {"roles": ["admin", "moderator"]})
    assert User.objects.get(pk=user_of(admin).pk).role_names == {"Administrator", "T&S moderator"}


def test_the_roles_form_only_accepts_post(boss: Client, triager: User) -> None:
    assert boss.get(f"/accounts/staff/{triager.pk}/roles/").status_code == 405


# --- Resetting MFA --------------------------------------------------------------------------


def test_resetting_mfa_asks_for_confirmation_then_removes_the_device_and_codes(
    boss: Client, admin: Member, triager: User
) -> None:
    regenerate_recovery_codes(triager)
    url = f"/accounts/staff/{triager.pk}/reset-mfa/"
    page = boss.get(url)
    assert page.status_code == 200
    assert page.context["title"] == "Reset two-factor authentication of triager?"
    assert TOTPDevice.objects.filter(user=triager).exists()
    assert audit_rows("accounts.mfa_reset") == []

    response = boss.post(url)
    assert response["Location"] == f"/accounts/staff/{triager.pk}/"
    assert not TOTPDevice.objects.filter(user=triager).exists()
    assert not RecoveryCode.objects.filter(user=triager).exists()
    event = only_audit_row("accounts.mfa_reset")
    assert (event.actor_id, event.target_id) == (user_of(admin).pk, str(triager.pk))
    assert sign_in(Client(), "triager")["Location"] == "/accounts/mfa/setup/"


# --- Deactivating ---------------------------------------------------------------------------


def test_deactivating_asks_for_confirmation_then_locks_the_person_out(
    boss: Client, admin: Member, cast: dict[str, Member], triager: User
) -> None:
    url = f"/accounts/staff/{triager.pk}/active/"
    page = boss.get(url)
    assert page.context["title"] == "Deactivate triager?"
    assert User.objects.get(pk=triager.pk).is_active

    response = boss.post(url)
    assert response["Location"] == f"/accounts/staff/{triager.pk}/"
    assert not User.objects.get(pk=triager.pk).is_active
    event = only_audit_row("accounts.deactivated")
    assert (event.actor_id, event.target_id) == (user_of(admin).pk, str(triager.pk))
    # Their open session ends, and they cannot sign in again.
    assert cast["triager"].client.get("/dashboard/")["Location"].startswith("/accounts/login/")
    assert sign_in(Client(), "triager").status_code == 200


def test_reactivating_lets_the_person_in_again(boss: Client, triager: User) -> None:
    url = f"/accounts/staff/{triager.pk}/active/"
    boss.post(url)
    assert boss.get(url).context["title"] == "Reactivate triager?"
    boss.post(url)
    assert User.objects.get(pk=triager.pk).is_active
    assert len(audit_rows("accounts.activated")) == 1
    assert sign_in(Client(), "triager")["Location"] == "/accounts/mfa/"


def test_an_administrator_cannot_deactivate_themselves(boss: Client, admin: Member) -> None:
    response = boss.post(f"/accounts/staff/{user_of(admin).pk}/active/", follow=True)
    assert "You cannot deactivate your own account." in messages_of(response)
    assert User.objects.get(pk=user_of(admin).pk).is_active
    assert audit_rows("accounts.deactivated") == []


def test_an_unknown_account_is_not_found(boss: Client) -> None:
    assert boss.get("/accounts/staff/999999/").status_code == 404
    assert boss.post("/accounts/staff/999999/active/").status_code == 404


# --- The list -------------------------------------------------------------------------------


def listed(client: Client, query: str = "") -> set[str]:
    response = client.get(f"/accounts/staff/{query}")
    assert response.status_code == 200
    return {account.username for account in response.context["page"]}


def test_the_list_shows_staff_by_default(admin: Member) -> None:
    assert listed(admin.client) == STAFF_NAMES


def test_the_list_filters_by_kind(admin: Member) -> None:
    assert listed(admin.client, "?kind=researchers") == {"researcher", "other_researcher"}
    assert listed(admin.client, "?kind=all") == STAFF_NAMES | {"researcher", "other_researcher"}


def test_the_list_filters_by_role(admin: Member) -> None:
    assert listed(admin.client, "?role=Administrator") == {"admin"}
    assert listed(admin.client, "?role=T%26S+moderator") == {"moderator"}
    assert listed(admin.client, "?kind=researchers&role=Administrator") == set()


def test_the_list_searches_username_and_email(admin: Member) -> None:
    make_staff_without_mfa("zoe", ["moderator"])
    User.objects.filter(username="zoe").update(email="z.person@safety.example")
    assert listed(admin.client, "?q=CHILD") == {"child_safety"}
    assert listed(admin.client, "?q=safety.example") == {"zoe"}
    assert listed(admin.client, "?q=research&kind=all") == {"researcher", "other_researcher"}
    assert listed(admin.client, "?q=nobody-like-this") == set()


def test_the_list_shows_roles_and_mfa_state(admin: Member) -> None:
    make_staff_without_mfa("zoe", ["moderator", "transparency-editor"])
    content = admin.client.get("/accounts/staff/?q=zoe").content.decode()
    assert "T&amp;S moderator, Transparency editor" in content
    assert '<span class="warn">off</span>' in content


def test_the_list_makes_as_many_queries_for_many_people_as_for_few(
    admin: Member, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin.client.get("/accounts/staff/?kind=all").status_code == 200
        return len(context.captured_queries)

    few = queries_for_the_list()
    for number in range(20):
        if number % 2:
            make_staff(f"staff{number:02}", ["moderator", "security-triager"])
        else:
            make_staff_without_mfa(f"staff{number:02}", ["child-safety"])
    assert len(listed(admin.client, "?kind=all")) == 27
    assert queries_for_the_list() == few
    with django_assert_max_num_queries(few):
        admin.client.get("/accounts/staff/?kind=all")


def test_the_detail_page_shows_the_account(admin: Member, triager: User) -> None:
    page = admin.client.get(f"/accounts/staff/{triager.pk}/")
    assert page.context["account"] == triager
    assert page.context["form"].initial == {"roles": ["security-triager"]}
    content = page.content.decode()
    assert "triager@example.org" in content
    assert "<dd>on</dd>" in content


def test_the_detail_page_shows_mfa_off_after_a_reset(admin: Member, triager: User) -> None:
    TOTPDevice.objects.filter(user=triager).delete()
    TOTPDevice.objects.create(user=triager, secret=pyotp.random_base32())  # not confirmed
    assert "<dd>off</dd>" in admin.client.get(f"/accounts/staff/{triager.pk}/").content.decode()
    TOTPDevice.objects.filter(user=triager).update(confirmed_at=timezone.now())
    assert "<dd>on</dd>" in admin.client.get(f"/accounts/staff/{triager.pk}/").content.decode()
