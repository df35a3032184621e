from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from safeharbor.accounts.models import APIKey, User
from safeharbor.accounts.roles import ADMIN
from safeharbor.accounts.tests.steps import audit_rows, only_audit_row, sign_in
from safeharbor.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- createadmin ------------------------------------------------------------------------------


@pytest.fixture
def no_configured_password(settings):
    settings.SAFEHARBOR_ADMIN_PASSWORD = None
    return settings


def test_createadmin_makes_a_superuser_administrator_and_prints_a_generated_password_once(
    no_configured_password, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        out, err = run("createadmin", "--if-none")
    found = re.findall(r"Password \(shown once[^)]*\): (\S+)", out)
    assert len(found) == 1
    password = found[0]
    assert len(password) >= 20
    assert out.count(password) == 1
    assert password not in err

    user = User.objects.get(username="admin")
    assert (user.is_superuser, user.is_staff, user.is_active) == (True, True, True)
    assert user.role_names == {ADMIN}
    assert user.email == "admin@localhost"
    assert user.check_password(password)
    assert only_audit_row("accounts.admin_created").target_id == str(user.pk)
    assert mail.outbox == []  # the password was printed; no invitation is sent
    assert sign_in(Client(), "admin", password)["Location"] == "/accounts/mfa/setup/"


def test_createadmin_uses_the_configured_password_and_does_not_print_it(settings) -> None:
    settings.SAFEHARBOR_ADMIN_PASSWORD = "the configured admin passphrase 9"
    out, err = run("createadmin", "--if-none", "--username", "root", "--email", "Root@Example.ORG")
    assert "the configured admin passphrase 9" not in out + err
    assert "Password" not in out
    assert "Administrator 'root' created." in out
    user = User.objects.get(username="root")
    assert user.check_password("the configured admin passphrase 9")
    assert user.email == "root@example.org"
    assert user.is_superuser


def test_a_second_createadmin_with_if_none_does_nothing(no_configured_password) -> None:
    run("createadmin", "--if-none")
    hash_before = User.objects.get(username="admin").password
    audit_before = AuditEvent.objects.count()
    out, _ = run("createadmin", "--if-none", "--username", "second")
    assert "An administrator exists already; none created." in out
    assert "Password" not in out
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]
    assert User.objects.get(username="admin").password == hash_before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "Use at least 15 characters"),
        ("password1234", "most common passwords"),
        ("the admin of this place", "guess from your account or this site: admin"),
    ],
)
def test_createadmin_refuses_a_weak_configured_password(
    settings, password: str, reason: str
) -> None:
    settings.SAFEHARBOR_ADMIN_PASSWORD = password
    with pytest.raises(CommandError, match="SAFEHARBOR_ADMIN_PASSWORD is refused") as error:
        run("createadmin", "--if-none")
    assert reason in str(error.value)
    assert not User.objects.exists()
    assert audit_rows("accounts.admin_created") == []


def test_createadmin_without_if_none_refuses_a_taken_username(no_configured_password) -> None:
    run("createadmin")
    with pytest.raises(CommandError, match="The username 'admin' is taken"):
        run("createadmin", "--email", "other@example.org")
    assert User.objects.count() == 1


# --- apikey -----------------------------------------------------------------------------------


def test_apikey_create_prints_the_key_once_on_stdout(db: None) -> None:
    out, err = run("apikey", "create", "ci-bot", "--scope", "audit:read")
    raw = out.strip()
    assert out == raw + "\n"  # only the key, so that scripts can capture it
    assert raw.startswith("shk_")
    assert raw not in err
    assert "This is the only time the key is shown" in err
    key = APIKey.objects.get(name="ci-bot")
    assert key.scopes == ["audit:read"]
    assert raw not in key.key_hash
    event = only_audit_row("accounts.api_key_created")
    assert (event.actor_label, event.target_id) == ("system", str(key.pk))
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["name"] == "ci-bot"


def test_apikey_create_takes_several_scopes(db: None) -> None:
    run("apikey", "create", "ci-bot", "--scope", "audit:write", "--scope", "audit:read")
    assert APIKey.objects.get(name="ci-bot").scopes == ["audit:read", "audit:write"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "audit:delete"], "Unknown scope"),
        ([], "Choose at least one scope"),
    ],
)
def test_apikey_create_refuses_unknown_or_missing_scopes(
    db: None, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("apikey", "create", "ci-bot", *args)
    assert not APIKey.objects.exists()


def test_apikey_create_refuses_a_duplicate_name(db: None) -> None:
    run("apikey", "create", "ci-bot", "--scope", "audit:read")
    with pytest.raises(CommandError, match="exists already"):
        run("apikey", "create", "ci-bot", "--scope", "audit:read")
    assert APIKey.objects.count() == 1


def test_apikey_revoke_makes_the_key_fail(db: None) -> None:
    raw = run("apikey", "create", "ci-bot", "--scope", "audit:read")[0].strip()
    out, _ = run("apikey", "revoke", "ci-bot")
    assert out.strip() == "Revoked 'ci-bot'."
    key = APIKey.objects.get(name="ci-bot")
    assert key.revoked_at is not None
    assert only_audit_row("accounts.api_key_revoked").target_id == str(key.pk)
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert response.status_code == 401


def test_apikey_revoke_of_an_unknown_name_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="There is no API key named 'nope'"):
        run("apikey", "revoke", "nope")


def test_apikey_list_shows_names_and_prefixes_but_never_secrets(db: None) -> None:
    raw = run("apikey", "create", "ci-bot", "--scope", "audit:read")[0].strip()
    run("apikey", "create", "old-bot", "--scope", "audit:read")
    run("apikey", "revoke", "old-bot")
    out, _ = run("apikey", "list")
    key = APIKey.objects.get(name="ci-bot")
    lines = out.splitlines()
    assert lines[0].startswith(f"ci-bot\tactive\tshk_{key.prefix}_…\taudit:read\tlast used never")
    assert lines[1].startswith("old-bot\trevoked\t")
    assert raw not in out
    assert raw.split("_", 2)[2] not in out


def test_apikey_scopes_lists_the_known_scopes(db: None) -> None:
    out, _ = run("apikey", "scopes")
    assert "audit:read\tRead the audit log." in out.splitlines()
