from __future__ import annotations

import pytest

from safeharbor.core.models import AuditEvent
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Asset, Report, ReportState

pytestmark = pytest.mark.django_db
URL = "/api/v1/vdp/reports"


def _payload(asset: Asset, **extra):
    body = {
        "researcher": "researcher",
        "asset_id": asset.pk,
        "title": "IDOR on invoices",
        "description": "Changing the id shows other customers' invoices.",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    }
    body.update(extra)
    return body


def test_a_key_with_vdp_submit_submits_on_a_researchers_behalf(make_api_client, researcher, asset):
    client = make_api_client("vdp:submit", "vdp:read")
    response = client.post(URL, _payload(asset))
    assert response.status_code == 201, response.content
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert report.researcher == researcher.user
    assert report.submitted_via_key == client.key
    assert body["cvss_score"] == "6.5"
    assert body["severity"] == "medium"
    assert body["state"] == "new"
    audit = AuditEvent.objects.get(action="disclosure.report_submitted")
    assert audit.actor_label == client.key.audit_label
    listed = client.get(URL).json()
    assert [item["id"] for item in listed["items"]] == [report.pk]
    assert client.get(f"{URL}/{report.pk}").json()["title"] == "IDOR on invoices"


def test_an_invalid_vector_gets_the_librarys_reason_on_the_field(
    make_api_client, researcher, asset
):
    response = make_api_client("vdp:submit").post(URL, _payload(asset, cvss_vector="CVSS:4.0/AV:N"))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["loc"][-1] == "cvss_vector"
    assert "Missing mandatory metrics" in error["msg"]
    assert not Report.objects.exists()


def test_submission_needs_the_scope_and_a_researcher(make_api_client, researcher, admin, asset):
    assert make_api_client("vdp:read").post(URL, _payload(asset)).status_code == 403
    staff = make_api_client("vdp:submit").post(URL, _payload(asset, researcher="admin"))
    assert staff.status_code == 422
    assert staff.json()["errors"][0]["loc"][-1] == "researcher"
    closed = services.current_program()
    closed.submissions_open = False
    closed.save()
    refused = make_api_client("vdp:submit").post(URL, _payload(asset))
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/submission-refused")
    assert not Report.objects.exists()


def test_a_key_does_not_see_reports_submitted_elsewhere(make_api_client, researcher, make_report):
    report = make_report(researcher)
    client = make_api_client("vdp:read")
    assert client.get(URL).json()["items"] == []
    assert client.get(f"{URL}/{report.pk}").status_code == 404


def test_a_disallowed_transition_is_409_with_the_reason(make_api_client, researcher, make_report):
    report = make_report(researcher)
    client = make_api_client("vdp:triage", "vdp:read")
    response = client.post(f"{URL}/{report.pk}/transitions", {"state": "resolved"})
    assert response.status_code == 409
    assert "from New to Resolved" in response.json()["detail"]
    ok = client.post(f"{URL}/{report.pk}/transitions", {"state": "triaged", "reason": "Valid"})
    assert ok.status_code == 200
    assert ok.json()["state"] == "triaged"
    report.refresh_from_db()
    assert report.state == ReportState.TRIAGED
    audit = AuditEvent.objects.get(action="disclosure.report_state_changed")
    assert audit.actor_label == client.key.audit_label
    assert (
        make_api_client("vdp:read")
        .post(f"{URL}/{report.pk}/transitions", {"state": "resolved"})
        .status_code
        == 403
    )


def test_the_program_endpoint_describes_scope_and_targets(make_api_client, asset):
    body = make_api_client("vdp:read").get("/api/v1/vdp/program").json()
    assert body["response_targets_business_days"]["triage"] == 5
    assert [a["identifier"] for a in body["scope"]] == ["app.example.org"]
    assert "DMCA exemption" in body["safe_harbor"]
