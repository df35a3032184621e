"""Disclosure: mutual agreement, objection, the timer, redaction, the public pages, CVE IDs and
the CSAF 2.0 and OSV exports."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Report, Weakness
from safeharbor.disclosure.transitions import Actor

pytestmark = pytest.mark.django_db
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"


@pytest.fixture
def resolved(researcher, make_report, move, weaknesses):
    report = make_report(
        researcher,
        title="Reflected XSS in search",
        description="The `q` parameter of /search is reflected. Internal host: db-7.corp",
        cvss_vector=VECTOR,
        weakness=Weakness.objects.get(code="CWE-79"),
    )
    return move(report, "triaged", "resolved")


def _disclosure(member, report, **data):
    return member.client.post(reverse("disclosure:report_disclosure", args=[report.pk]), data)


def test_the_researcher_requests_and_the_team_agrees(triager, researcher, resolved, anon) -> None:
    assert _disclosure(researcher, resolved, action="request", kind="full").status_code == 302
    # The requester cannot agree with themself.
    assert _disclosure(researcher, resolved, action="agree").status_code == 409
    assert _disclosure(triager, resolved, action="agree").status_code == 302
    resolved.refresh_from_db()
    assert resolved.is_disclosed
    assert resolved.disclosed_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "disclosure.disclosure_requested",
        "disclosure.disclosure_agreed",
        "disclosure.report_disclosed",
    } <= actions
    listing = anon.get(reverse("disclosure:disclosed")).content.decode()
    assert "Reflected XSS in search" in listing
    public = anon.get(reverse("disclosure:report_public", args=[resolved.pk]))
    assert public.status_code == 200


def test_an_objection_stops_the_timer_and_disclose_due_is_idempotent(
    triager, researcher, make_report, move
) -> None:
    kept = move(make_report(researcher, title="Kept"), "triaged", "resolved")
    timed = move(make_report(researcher, title="Timed"), "triaged", "resolved")
    assert timed.disclosure_due_at == timed.resolved_at + timedelta(days=30)
    response = _disclosure(triager, kept, action="object", reason="Fix not deployed everywhere")
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.disclosure_state == "objected"
    assert kept.disclosure_due_at is None
    call_command("vdp", "disclose-due")
    assert not Report.objects.filter(disclosure_state="disclosed").exists()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        call_command("vdp", "disclose-due")
        call_command("vdp", "disclose-due")
    assert list(Report.objects.filter(disclosure_state="disclosed")) == [timed]
    assert AuditEvent.objects.filter(action="disclosure.report_disclosed").count() == 1
    assert AuditEvent.objects.get(action="disclosure.report_disclosed").details["why"] == "timer"


def test_only_resolved_reports_can_be_disclosed(researcher, make_report) -> None:
    report = make_report(researcher)
    assert _disclosure(researcher, report, action="request", kind="full").status_code == 409


def test_the_public_page_shows_the_redacted_version_and_keeps_the_original(
    triager, researcher, resolved, anon
) -> None:
    url = reverse("disclosure:report_public_edit", args=[resolved.pk])
    response = triager.client.post(
        url,
        {
            "public_summary": "XSS in search, fixed.",
            "public_description": "The `q` parameter of /search is reflected. [redacted]",
            "cve_id": "CVE-2025-1234",
        },
    )
    assert response.status_code == 302
    bad = triager.client.post(url, {"cve_id": "CVE-25-1"})
    assert bad.status_code == 400
    assert "A CVE ID looks like CVE-2025-12345" in bad.content.decode()
    services.request_disclosure(resolved, kind="full", actor=None, by=Actor.TEAM)
    services.agree_disclosure(resolved, actor=researcher.user, by=Actor.RESEARCHER)
    resolved.refresh_from_db()
    assert "db-7.corp" in resolved.description  # the original is kept
    page = anon.get(reverse("disclosure:report_public", args=[resolved.pk])).content.decode()
    assert "[redacted]" in page
    assert "db-7.corp" not in page
    assert "CVE-2025-1234" in page
    assert AuditEvent.objects.get(action="disclosure.public_version_updated").details["cve_id"] == (
        "CVE-2025-1234"
    )


def test_a_limited_disclosure_shows_the_summary_only(researcher, resolved, anon) -> None:
    Report.objects.filter(pk=resolved.pk).update(public_summary="Short summary.")
    services.request_disclosure(resolved, kind="limited", actor=None, by=Actor.TEAM)
    services.agree_disclosure(resolved, actor=researcher.user, by=Actor.RESEARCHER)
    page = anon.get(reverse("disclosure:report_public", args=[resolved.pk])).content.decode()
    assert "Short summary." in page
    assert "db-7.corp" not in page


def test_people_outside_a_disclosed_report_only_ever_get_its_public_version(
    researcher, resolved, cast
) -> None:
    Report.objects.filter(pk=resolved.pk).update(public_summary="Short summary.")
    services.request_disclosure(resolved, kind="limited", actor=None, by=Actor.TEAM)
    services.agree_disclosure(resolved, actor=researcher.user, by=Actor.RESEARCHER)
    participants_page = reverse("disclosure:report_detail", args=[resolved.pk])
    outsider = cast["other_researcher"].client
    response = outsider.get(participants_page)
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosure:report_public", args=[resolved.pk])
    assert "db-7.corp" not in outsider.get(response["Location"]).content.decode()
    # The researcher who reported it still sees the whole report.
    assert "db-7.corp" in researcher.client.get(participants_page).content.decode()


def _disclose(report: Report, researcher) -> Report:
    services.update_public_version(
        report,
        services.PublicVersion(
            public_summary="Reflected XSS in search, fixed.",
            public_description="The `q` parameter is reflected.",
            public_steps_to_reproduce="",
            public_impact="Session theft.",
            cve_id="CVE-2025-1234",
        ),
        actor=None,
    )
    services.request_disclosure(report, kind="full", actor=None, by=Actor.TEAM)
    return services.agree_disclosure(report, actor=researcher.user, by=Actor.RESEARCHER)


def test_the_csaf_export_is_a_valid_csaf_2_0_security_advisory(researcher, resolved, anon):
    validator = pytest.importorskip(
        "csaf.csaf.v20", reason="the csaf package (dev extra) validates CSAF 2.0 documents"
    )
    report = _disclose(resolved, researcher)
    response = anon.get(reverse("disclosure:report_csaf", args=[report.pk]))
    assert response.status_code == 200
    document = json.loads(response.content)
    result = validator.validate(document, preset="mandatory")
    failures = [r for r in result.results if not getattr(r, "passed", True)]
    assert result.overall_valid, failures
    vulnerability = document["vulnerabilities"][0]
    assert vulnerability["cve"] == "CVE-2025-1234"
    assert vulnerability["cwe"]["id"] == "CWE-79"
    assert vulnerability["scores"][0]["cvss_v3"]["vectorString"] == VECTOR
    assert "db-7.corp" not in response.content.decode()


def test_the_osv_export_has_the_schema_fields(researcher, resolved, anon) -> None:
    report = _disclose(resolved, researcher)
    record = anon.get(reverse("disclosure:report_osv", args=[report.pk])).json()
    assert record["id"] == f"SAFEHARBOR-VDP-{report.pk}"
    assert record["aliases"] == ["CVE-2025-1234"]
    assert record["severity"] == [{"type": "CVSS_V3", "score": VECTOR}]
    assert record["published"].endswith("Z")
    assert record["modified"].endswith("Z")
    assert record["summary"] == "Reflected XSS in search"
    assert "Session theft." in record["details"]
    assert record["affected"][0]["ecosystem_specific"]["asset"] == "app.example.org"
    assert {r["type"] for r in record["references"]} == {"REPORT", "ADVISORY"}


def test_exports_of_an_undisclosed_report_are_not_found(cast, resolved) -> None:
    for name in ("report_csaf", "report_osv"):
        url = reverse(f"disclosure:{name}", args=[resolved.pk])
        assert_access(cast, "get", url, allowed=set())
    Report.objects.filter(pk=resolved.pk).update(
        disclosure_state="disclosed", disclosed_at=timezone.now()
    )
    everyone = set(cast)
    for name in ("report_csaf", "report_osv"):
        url = reverse(f"disclosure:{name}", args=[resolved.pk])
        assert_access(cast, "get", url, allowed=everyone)


def test_disclosure_and_public_version_are_for_participants_and_the_team(cast, resolved) -> None:
    assert_access(
        cast,
        "post",
        reverse("disclosure:report_disclosure", args=[resolved.pk]),
        allowed={"researcher", "admin", "triager"},
        allowed_status={302, 400, 409},
        data={},
    )
    assert_access(
        cast,
        "post",
        reverse("disclosure:report_public_edit", args=[resolved.pk]),
        allowed={"admin", "triager"},
        allowed_status={302, 400},
        data={},
    )
