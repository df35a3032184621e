from __future__ import annotations

import json

import pytest
from django.test import Client
from openapi_spec_validator import validate

from safeharbor.core.audit import record_audit
from safeharbor.core.pagination import encode_cursor

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM, response.content
    document = json.loads(response.content)
    assert document["status"] == response.status_code
    assert document["type"].startswith("/api/v1/problems/")
    assert document["title"]
    return document


def test_the_openapi_document_is_valid_and_lists_every_route() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    from safeharbor.api import api

    routes = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = "/" + (prefix + path).replace("//", "/").lstrip("/")
            for operation in path_view.operations:
                for method in operation.methods:
                    routes.add((method.lower(), full.replace("api/v1/", "", 1)))
    documented = {
        (method, path.replace("/api/v1", "", 1))
        for path, item in document["paths"].items()
        for method in item
    }
    assert routes, "no routes found"
    assert {
        ("get", "/me"),
        ("get", "/audit-events"),
        ("post", "/audit-events"),
        ("get", "/problems/{code}"),
    } <= documented
    assert routes == documented


def test_the_interactive_docs_use_local_files_only() -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html


def test_it_refuses_requests_without_a_key_as_problem_json() -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert problem_of(response)["type"].endswith("/unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_answers_with_the_key_it_authenticated(api_client) -> None:
    response = api_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["name"] == api_client.key.name
    assert response.json()["scopes"] == ["audit:read"]


def test_the_x_api_key_header_also_works(api_client) -> None:
    response = Client().get("/api/v1/me", headers={"X-API-Key": api_client.raw_key})
    assert response.status_code == 200


@pytest.fixture
def writer(make_api_client):
    return make_api_client("audit:write")


def test_a_platform_service_records_an_event_in_the_chain(writer) -> None:
    from safeharbor.core.audit import verify_audit_chain
    from safeharbor.core.models import AuditEvent

    response = writer.post(
        "/api/v1/audit-events",
        {
            "action": "account.suspended",
            "actor": "mod-7",
            "target_type": "account",
            "target_id": "u123",
            "details": {"reason": "spam"},
        },
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(sequence=response.json()["sequence"])
    assert event.action == "platform.account.suspended"
    assert event.actor_label == f"api-key:{writer.key.name}"
    assert event.details["reason"] == "spam"
    assert event.details["platform_actor"] == "mod-7"
    assert verify_audit_chain().ok


def test_unknown_body_fields_are_refused_with_422(writer) -> None:
    response = writer.post("/api/v1/audit-events", {"action": "x.y", "actoin": "typo"})
    assert response.status_code == 422
    document = problem_of(response)
    assert document["type"].endswith("/validation-error")
    assert any("actoin" in error["loc"] for error in document["errors"])


def test_malformed_json_is_a_400_problem(writer) -> None:
    for body in [b"{not json", b"\xff\xfe", b'{"action": "a.b",']:
        response = writer.post("/api/v1/audit-events", raw=body)
        assert response.status_code == 400, body
        assert problem_of(response)["type"].endswith("/malformed-request")


def test_a_body_over_the_upload_limit_is_a_413_problem(writer, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = writer.post("/api/v1/audit-events", {"action": "a.b", "details": {"x": "y" * 2000}})
    assert response.status_code == 413
    document = problem_of(response)
    assert document["type"].endswith("/payload-too-large")
    assert document["max_length"] == 1000


def test_wrong_body_types_are_refused_with_422(writer) -> None:
    for payload in [
        {"action": 5},
        {"action": "Not Dotted Lower!"},
        {"action": "a.b", "details": "not an object"},
        {"action": "a.b", "details": {"blob": "x" * 9000}},
        [1, 2, 3],
        "just a string",
    ]:
        response = writer.post("/api/v1/audit-events", payload)
        assert response.status_code == 422, payload
        assert problem_of(response)["type"].endswith("/validation-error")


def test_wrong_types_are_refused_with_422(api_client) -> None:
    response = api_client.get("/api/v1/audit-events", limit="many")
    assert response.status_code == 422
    assert "limit" in problem_of(response)["detail"]
    assert api_client.get("/api/v1/audit-events", limit=0).status_code == 422
    assert api_client.get("/api/v1/audit-events", limit=201).status_code == 422
    assert api_client.get("/api/v1/audit-events", since="yesterday").status_code == 422


def test_a_forged_cursor_is_a_clear_400(api_client) -> None:
    for cursor in ["not-base64!!", "djI6MTA", encode_cursor(5).upper()]:
        response = api_client.get("/api/v1/audit-events", cursor=cursor)
        assert response.status_code == 400, cursor
        document = problem_of(response)
        assert document["type"].endswith("/invalid-parameter")
        assert document["parameter"] == "cursor"


def test_audit_events_page_with_cursors_newest_first(api_client) -> None:
    for number in range(7):
        record_audit("test.event", details={"n": number})
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, "action": "test."}
        if cursor:
            params["cursor"] = cursor
        body = api_client.get("/api/v1/audit-events", **params).json()
        seen += [item["details"]["n"] for item in body["items"]]
        cursor = body["next_cursor"]
        pages += 1
        if cursor is None:
            break
    assert seen == [6, 5, 4, 3, 2, 1, 0]
    assert pages == 3


def test_audit_events_need_the_audit_read_scope(make_api_client) -> None:
    from safeharbor.accounts.scopes import FOUNDATION_SCOPES

    assert "audit:read" in FOUNDATION_SCOPES
    client = make_api_client("audit:read")
    assert client.get("/api/v1/audit-events").status_code == 200


def test_a_key_without_the_scope_gets_403(monkeypatch, make_api_client) -> None:
    from safeharbor.accounts import scopes

    monkeypatch.setitem(scopes.FOUNDATION_SCOPES, "other:read", "Another scope.")
    client = make_api_client("other:read")
    response = client.get("/api/v1/audit-events")
    assert response.status_code == 403
    document = problem_of(response)
    assert document["type"].endswith("/insufficient-scope")
    assert document["required_scope"] == "audit:read"


def test_unknown_paths_under_the_api_are_problem_json_404(api_client) -> None:
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")


def test_a_wrong_method_is_a_405_problem(api_client) -> None:
    response = api_client.post("/api/v1/me", {"x": 1})
    assert response.status_code == 405
    document = problem_of(response)
    assert document["type"].endswith("/method-not-allowed")
    assert "GET" in response["Allow"]


def test_unknown_query_parameters_are_refused_with_422(api_client) -> None:
    response = api_client.get("/api/v1/audit-events", actoin="typo", limit=5)
    assert response.status_code == 422
    document = problem_of(response)
    assert document["type"].endswith("/validation-error")
    assert document["errors"] == [
        {"loc": ["query", "actoin"], "msg": "Unknown parameter.", "type": "extra_forbidden"}
    ]


def test_client_details_cannot_overwrite_the_platform_fields(writer) -> None:
    from safeharbor.core.models import AuditEvent

    response = writer.post(
        "/api/v1/audit-events",
        {"action": "a.b", "actor": "real", "details": {"platform_actor": "forged"}},
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(sequence=response.json()["sequence"])
    assert event.details["platform_actor"] == "real"


def test_an_api_call_with_a_session_cookie_is_recorded_as_the_key(writer, cast) -> None:

    from safeharbor.core.models import AuditEvent

    client: Client = cast["admin"].client
    response = client.post(
        "/api/v1/audit-events",
        json.dumps({"action": "a.b"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {writer.raw_key}"},
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(sequence=response.json()["sequence"])
    assert event.actor_label == f"api-key:{writer.key.name}"
    assert event.actor_id is None


def test_every_problem_type_is_described() -> None:
    from safeharbor.core.problems import PROBLEM_TYPES

    for code, problem in PROBLEM_TYPES.items():
        response = Client().get(f"/api/v1/problems/{code}")
        assert response.status_code == 200
        assert response.json() == {
            "type": f"/api/v1/problems/{code}",
            "title": problem.title,
            "status": problem.status,
            "description": problem.description,
        }
    assert problem_of(Client().get("/api/v1/problems/nope"))["type"].endswith("/not-found")


def test_an_unexpected_error_is_a_problem_not_a_traceback(monkeypatch, api_client) -> None:
    from safeharbor.core import api as core_api

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(core_api.AuditEvent.objects, "all", explode)
    response = api_client.get("/api/v1/audit-events")
    assert response.status_code == 500
    document = problem_of(response)
    assert "secret internals" not in response.content.decode()
    assert document["type"].endswith("/server-error")
