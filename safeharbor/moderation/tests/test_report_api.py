from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from safeharbor.moderation.models import Case, Report
from safeharbor.moderation.reference import CATEGORIES

pytestmark = pytest.mark.django_db


def test_a_report_is_stored_and_opens_a_routed_case(send_report) -> None:
    response = send_report(
        content_id="post-42",
        category="hate",
        content_url="https://example.org/p/42",
        content_text="the post",
        content_metadata={"views": 1000},
        content_language="en",
        author_id="user-7",
        reporter_id="user-9",
        text="this is hateful",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    report = Report.objects.get()
    assert body["id"] == str(report.public_id)
    assert (report.category.slug, report.source, report.channel) == ("hate", "user", "api")
    assert report.api_key is not None
    assert report.api_key.name == "platform"
    assert report.content_metadata == {"views": 1000}
    case = Case.objects.get()
    assert body["case_id"] == str(case.public_id)
    assert (case.content_id, case.state, case.queue.slug) == ("post-42", "open", "general")
    assert (case.report_count, case.reach, case.author_id) == (1, 1000, "user-7")


def test_the_same_idempotency_key_returns_the_same_report_and_stores_nothing_new(
    send_report,
) -> None:
    first = send_report(key="k-1", content_id="post-1")
    again = send_report(key="k-1", content_id="post-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Report.objects.count() == 1
    assert Case.objects.get().report_count == 1


def test_the_key_may_also_come_in_the_body(send_report) -> None:
    first = send_report(idempotency_key="body-key")
    again = send_report(idempotency_key="body-key")
    assert again.json()["id"] == first.json()["id"]
    assert Report.objects.get().idempotency_key == "body-key"


def test_a_key_reused_for_a_different_report_is_refused(send_report) -> None:
    send_report(key="k-1", content_id="post-1")
    response = send_report(key="k-1", content_id="post-2")
    assert response.status_code == 422
    assert response.json()["type"] == "/api/v1/problems/idempotency-key-reused"
    assert Report.objects.count() == 1


def test_header_and_body_keys_must_agree(send_report) -> None:
    response = send_report(key="a", idempotency_key="b")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "idempotency_key"]
    assert not Report.objects.exists()


def test_without_a_key_every_request_is_a_new_report(send_report) -> None:
    send_report()
    send_report()
    assert Report.objects.count() == 2
    assert Case.objects.get().report_count == 2


def test_an_unknown_category_is_a_422_listing_the_valid_ones(send_report) -> None:
    response = send_report(category="kittens")
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/api/v1/problems/validation-error"
    assert body["errors"][0]["loc"] == ["body", "category"]
    assert sorted(body["valid_categories"]) == sorted(spec.slug for spec in CATEGORIES)
    assert not Report.objects.exists()


def test_an_inactive_category_is_unknown(send_report) -> None:
    from safeharbor.moderation.models import PolicyCategory

    PolicyCategory.objects.filter(slug="spam").update(active=False)
    response = send_report(category="spam")
    assert response.status_code == 422
    assert "spam" not in response.json()["valid_categories"]


@pytest.mark.parametrize(
    ("fields", "location"),
    [
        ({"content_id": ""}, ["body", "payload", "content_id"]),
        ({"content_type": "hologram"}, ["body", "payload", "content_type"]),
        ({"content_url": "javascript:alert(1)"}, ["body", "payload", "content_url"]),
        ({"media_hash": "sha256:xyz"}, ["body", "payload", "media_hash"]),
        ({"content_text": "x" * 20_001}, ["body", "payload", "content_text"]),
        ({"content_metadata": {"blob": "x" * 9000}}, ["body", "payload", "content_metadata"]),
        (
            {"content_metadata": {str(n): n for n in range(51)}},
            ["body", "payload", "content_metadata"],
        ),
        ({"colour": "red"}, ["body", "payload", "colour"]),
        ({"source": "automated", "trusted_flagger": True}, ["body", "payload"]),
    ],
)
def test_malformed_payloads_are_422_with_field_errors(send_report, fields, location) -> None:
    response = send_report(**fields)
    assert response.status_code == 422, response.content
    assert [error["loc"] for error in response.json()["errors"]] == [location]
    assert not Report.objects.exists()


def test_a_body_that_is_not_json_is_refused(platform) -> None:
    response = platform.post("/api/v1/reports", raw=b"{not json")
    assert response.status_code in (400, 422)
    assert not Report.objects.exists()


def test_a_trusted_flagger_report_is_recorded_as_such(send_report) -> None:
    send_report(trusted_flagger=True)
    report = Report.objects.get()
    assert (report.source, report.trusted_flagger) == ("trusted_flagger", True)
    assert Case.objects.get().reporter_trust == "trusted_flagger"


def test_reporting_needs_the_reports_scope(taxonomy, make_api_client) -> None:
    reader = make_api_client("audit:read")
    response = reader.post("/api/v1/reports", {"content_id": "x", "category": "spam"})
    assert response.status_code == 403
    assert response.json()["required_scope"] == "reports:write"
    assert not Report.objects.exists()


def test_reporting_needs_an_api_key(taxonomy, anon) -> None:
    response = anon.post(
        "/api/v1/reports", json.dumps({"content_id": "x", "category": "spam"}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 401
    assert not Report.objects.exists()


def test_the_categories_endpoint_lists_active_slugs(platform, make_api_client) -> None:
    response = platform.get("/api/v1/reports/categories")
    assert response.status_code == 200
    slugs = [row["slug"] for row in response.json()]
    assert "child-sexual-abuse-material" in slugs
    assert len(slugs) == 14
    assert make_api_client("audit:read").get("/api/v1/reports/categories").status_code == 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_concurrent_requests_with_one_key_store_one_report(send_report) -> None:
    _race(lambda: send_report(key="race-key", content_id="race"))
    assert Report.objects.filter(idempotency_key="race-key").count() == 1
    assert Case.objects.filter(content_id="race").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_reports_about_new_content_join_one_case(send_report) -> None:
    counter = iter(range(100))
    _race(lambda: send_report(content_id="fresh", reporter_id=f"r{next(counter)}"), workers=6)
    case = Case.objects.get(content_id="fresh")
    assert case.report_count == Report.objects.filter(content_id="fresh").count() == 6
    assert case.distinct_reporters == 6


def _race(call, workers: int = 2) -> None:
    barrier = threading.Barrier(workers)
    statuses: list[int] = []
    ids: list[str] = []

    def run() -> None:
        from django.db import connections

        barrier.wait()
        try:
            response = call()
            statuses.append(response.status_code)
            ids.append(response.json().get("id", ""))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * workers, statuses


def test_an_enormous_or_negative_view_count_is_clamped_not_an_error(send_report) -> None:
    from safeharbor.moderation.models import Case

    assert send_report(content_id="big", content_metadata={"views": 10**30}).status_code == 201
    assert send_report(content_id="big", content_metadata={"views": 10**40}).status_code == 201
    assert send_report(content_id="neg", content_metadata={"views": -5}).status_code == 201
    assert Case.objects.get(content_id="big").reach == 2**63 - 1
    assert Case.objects.get(content_id="neg").reach == 0
