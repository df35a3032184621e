from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone
from time_machine import TimeMachineFixture

from safeharbor.accounts.models import APIKey
from safeharbor.accounts.services import create_api_key
from safeharbor.accounts.tests.steps import audit_rows, grant_sudo_to, only_audit_row, user_of
from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.cast import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(admin: Member) -> Client:
    """The administrator's browser, in sudo mode."""
    grant_sudo_to(admin.client)
    return admin.client


def create_through_the_page(boss: Client, name: str = "web-backend", scopes=("audit:read",)):
    return boss.post("/accounts/api-keys/new/", {"name": name, "scopes": list(scopes)})


def call_api(raw_key: str, path: str = "/api/v1/me", header: str = "Authorization"):
    value = f"Bearer {raw_key}" if header == "Authorization" else raw_key
    return Client(headers={header: value}).get(path)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    document = json.loads(response.content)
    assert document["type"].endswith(f"/{code}")
    assert document["status"] == status
    return document


# --- Creating a key on the page -------------------------------------------------------------


def test_a_created_key_is_shown_once_on_the_list_page(boss: Client, admin: Member) -> None:
    response = create_through_the_page(boss)
    assert response["Location"] == "/accounts/api-keys/"
    page = boss.get("/accounts/api-keys/")
    raw = page.context["new_key"]["key"]
    assert page.context["new_key"]["name"] == "web-backend"
    assert raw.startswith("shk_")
    assert raw.encode() in page.content
    reload = boss.get("/accounts/api-keys/")
    assert reload.context["new_key"] is None
    assert raw.encode() not in reload.content
    assert b"web-backend" in reload.content  # still listed, by name and prefix only

    key = APIKey.objects.get(name="web-backend")
    assert key.scopes == ["audit:read"]
    assert key.created_by == user_of(admin)
    event = only_audit_row("accounts.api_key_created")
    assert (event.actor_id, event.target_id) == (user_of(admin).pk, str(key.pk))
    assert event.details == {"scopes": ["audit:read"]}


def test_only_the_sha256_of_the_key_is_stored(boss: Client) -> None:
    create_through_the_page(boss)
    raw = boss.get("/accounts/api-keys/").context["new_key"]["key"]
    secret = raw.rsplit("_", 1)[1] if raw.count("_") == 2 else raw[len("shk_") + 9 :]
    key = APIKey.objects.get(name="web-backend")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(f"shk_{key.prefix}_")
    row = json.dumps(model_to_dict(key), default=str)
    assert raw not in row
    assert secret not in row
    audit = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert secret not in audit


def test_the_key_authenticates_the_api(boss: Client) -> None:
    create_through_the_page(boss)
    raw = boss.get("/accounts/api-keys/").context["new_key"]["key"]
    for header in ["Authorization", "X-API-Key"]:
        response = call_api(raw, header=header)
        assert response.status_code == 200
        body = response.json()
        assert (body["name"], body["scopes"]) == ("web-backend", ["audit:read"])


def test_last_use_is_recorded_at_most_once_a_minute(api_client, clock: TimeMachineFixture) -> None:
    key = api_client.key
    assert key.last_used_at is None
    assert api_client.get("/api/v1/me").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == timezone.now()
    assert key.last_used_ip == "127.0.0.1"
    first_use = timezone.now()

    clock.shift(timedelta(seconds=30))
    api_client.get("/api/v1/me")
    key.refresh_from_db()
    assert key.last_used_at == first_use

    clock.shift(timedelta(seconds=30))
    api_client.get("/api/v1/me")
    key.refresh_from_db()
    assert key.last_used_at == first_use + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("name", "scopes", "field"),
    [
        ("reader", ["audit:delete"], "scopes"),
        ("reader", [], "scopes"),
        ("", ["audit:read"], "name"),
    ],
)
def test_it_refuses_unknown_or_missing_scopes_and_a_missing_name(
    boss: Client, name: str, scopes: list[str], field: str
) -> None:
    response = create_through_the_page(boss, name, scopes)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not APIKey.objects.exists()
    assert audit_rows("accounts.api_key_created") == []


def test_it_refuses_a_duplicate_name(boss: Client) -> None:
    create_api_key(name="web-backend", scopes=["audit:read"], actor=None)
    response = create_through_the_page(boss, " web-backend ")
    assert response.status_code == 200
    assert "An API key named 'web-backend' exists already" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert APIKey.objects.count() == 1
    assert len(audit_rows("accounts.api_key_created")) == 1


# --- Revoking -------------------------------------------------------------------------------


def test_revoking_asks_for_confirmation_then_the_key_gets_401(admin: Member, api_client) -> None:
    url = f"/accounts/api-keys/{api_client.key.pk}/revoke/"
    page = admin.client.get(url)
    assert page.context["title"] == f"Revoke the API key {api_client.key.name}?"
    assert api_client.get("/api/v1/me").status_code == 200

    response = admin.client.post(url)
    assert response["Location"] == "/accounts/api-keys/"
    key = APIKey.objects.get(pk=api_client.key.pk)
    assert key.revoked_at is not None
    event = only_audit_row("accounts.api_key_revoked")
    assert (event.actor_id, event.target_id) == (user_of(admin).pk, str(key.pk))
    assert_problem(api_client.get("/api/v1/me"), 401, "unauthenticated")
    assert_problem(api_client.get("/api/v1/audit-events"), 401, "unauthenticated")


def test_the_list_shows_active_keys_unless_asked_for_revoked_ones(
    admin: Member, make_api_client
) -> None:
    make_api_client("audit:read", name="kept")
    gone = make_api_client("audit:read", name="gone")
    admin.client.post(f"/accounts/api-keys/{gone.key.pk}/revoke/")

    def names(query: str) -> set[str]:
        return {key.name for key in admin.client.get(f"/accounts/api-keys/{query}").context["page"]}

    assert names("") == {"kept"}
    assert names("?status=revoked") == {"gone"}
    assert names("?status=all") == {"kept", "gone"}


# --- Malformed, unknown and under-scoped keys ----------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["garbage", "shk_", "shk_abc", "shk_abc_", "x" * 10_240, "shk_" + "a" * 10_240],
    ids=["garbage", "prefix-only", "no-secret", "empty-secret", "10KB", "10KB-with-prefix"],
)
def test_malformed_keys_get_401_problem_documents(api_client, raw: str) -> None:
    document = assert_problem(call_api(raw), 401, "unauthenticated")
    assert document["title"] == "An API key is required."


def test_a_wrong_secret_with_a_right_prefix_gets_401(api_client) -> None:
    forged = f"shk_{api_client.key.prefix}_{'A' * 43}"
    response = call_api(forged)
    assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="safeharbor"'
    api_client.key.refresh_from_db()
    assert api_client.key.last_used_at is None


def test_no_key_at_all_gets_401(db: None) -> None:
    assert_problem(Client().get("/api/v1/me"), 401, "unauthenticated")


def test_a_key_without_the_scope_gets_403_insufficient_scope(make_api_client) -> None:
    other = make_api_client("audit:write")
    document = assert_problem(other.get("/api/v1/audit-events"), 403, "insufficient-scope")
    assert document["required_scope"] == "audit:read"
    assert other.get("/api/v1/me").status_code == 200  # authenticated, just not allowed there


def test_a_key_with_the_scope_reads_the_audit_log(api_client) -> None:
    response = api_client.get("/api/v1/audit-events")
    assert response.status_code == 200
    actions = [item["action"] for item in response.json()["items"]]
    assert actions == ["accounts.api_key_created"]
