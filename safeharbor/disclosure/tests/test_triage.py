from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeharbor.core.models import AuditEvent
from safeharbor.disclosure import services
from safeharbor.disclosure.models import (
    ActivityEvent,
    Comment,
    Report,
    ReportState,
    ResearcherProfile,
)

pytestmark = pytest.mark.django_db


def _state(member, report, state, **extra):
    return member.client.post(
        reverse("disclosure:report_state", args=[report.pk]), {"state": state, **extra}
    )


def test_a_triager_triages_and_resolves_with_audit_rows_and_a_timeline(
    triager, researcher, make_report, django_capture_on_commit_callbacks
):
    report = make_report(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        assert _state(triager, report, "triaged", reason="Confirmed").status_code == 302
        assert _state(triager, report, "resolved", reason="Fixed").status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.RESOLVED
    assert report.triaged_at
    assert report.resolved_at
    assert report.first_response_at
    assert report.disclosure_due_at == report.resolved_at + timedelta(days=30)
    rows = AuditEvent.objects.filter(action="disclosure.report_state_changed").order_by("sequence")
    assert [(r.details["from"], r.details["to"]) for r in rows] == [
        ("new", "triaged"),
        ("triaged", "resolved"),
    ]
    assert all(r.actor_id == triager.user.pk for r in rows)
    kinds = list(report.activity.values_list("kind", flat=True))
    assert kinds == ["submitted", "state_changed", "state_changed"]
    assert len(mail.outbox) == 2
    assert all(m.to == [researcher.user.email] for m in mail.outbox)
    assert ResearcherProfile.objects.get(user=researcher.user).reputation == 7
    page = researcher.client.get(reverse("disclosure:report_detail", args=[report.pk])).content
    assert b"triaged \xe2\x86\x92 resolved: Fixed" in page


def test_a_transition_outside_the_table_is_refused_with_the_reason(
    triager, researcher, make_report
):
    report = make_report(researcher)
    response = _state(triager, report, "resolved")
    assert response.status_code == 409
    assert "cannot move a report from New to Resolved" in response.content.decode()
    report.refresh_from_db()
    assert report.state == ReportState.NEW
    assert not AuditEvent.objects.filter(action="disclosure.report_state_changed").exists()


def test_a_duplicate_names_an_earlier_report(triager, researcher, other_researcher, make_report):
    original = make_report(other_researcher)
    later = make_report(researcher)
    assert _state(triager, original, "duplicate", duplicate_of=later.pk).status_code == 409
    assert _state(triager, later, "duplicate").status_code == 409
    assert _state(triager, later, "duplicate", duplicate_of=original.pk).status_code == 302
    later.refresh_from_db()
    assert later.state == ReportState.DUPLICATE
    assert later.duplicate_of == original
    # Filed before the original was resolved: +2.
    assert ResearcherProfile.objects.get(user=researcher.user).reputation == 2


def test_the_researcher_may_withdraw_before_triage_only(triager, researcher, make_report, move):
    report = make_report(researcher)
    url = reverse("disclosure:report_withdraw", args=[report.pk])
    assert researcher.client.post(url).status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.WITHDRAWN
    triaged = move(make_report(researcher), "triaged")
    response = researcher.client.post(reverse("disclosure:report_withdraw", args=[triaged.pk]))
    assert response.status_code == 409
    triaged.refresh_from_db()
    assert triaged.state == ReportState.TRIAGED


def test_researchers_never_see_internal_notes(
    triager, researcher, make_report, django_capture_on_commit_callbacks
):
    report = make_report(researcher)
    url = reverse("disclosure:report_comment", args=[report.pk])
    with django_capture_on_commit_callbacks(execute=True):
        triager.client.post(url, {"body": "SECRET-NOTE looks like a dup", "internal": "on"})
        triager.client.post(url, {"body": "Thanks, PUBLIC-REPLY we are looking."})
    assert Comment.objects.filter(internal=True).count() == 1
    detail = reverse("disclosure:report_detail", args=[report.pk])
    researcher_page = researcher.client.get(detail).content.decode()
    assert "PUBLIC-REPLY" in researcher_page
    assert "SECRET-NOTE" not in researcher_page
    assert "SECRET-NOTE" in triager.client.get(detail).content.decode()
    assert len(mail.outbox) == 1  # the public reply only
    assert "SECRET-NOTE" not in mail.outbox[0].body
    # A researcher cannot write an internal note by posting the field.
    researcher.client.post(url, {"body": "mine", "internal": "on"})
    assert Comment.objects.get(body="mine").internal is False


def test_the_researchers_answer_sends_needs_more_info_back_to_new(
    triager, researcher, make_report, move
):
    report = move(make_report(researcher), "needs_more_info")
    researcher.client.post(
        reverse("disclosure:report_comment", args=[report.pk]), {"body": "Here is a video."}
    )
    report.refresh_from_db()
    assert report.state == ReportState.NEW


def test_a_severity_change_needs_a_reason_and_is_audited(triager, researcher, make_report):
    report = make_report(researcher)
    url = reverse("disclosure:report_severity", args=[report.pk])
    response = triager.client.post(url, {"severity": "low"})
    assert response.status_code == 400
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N"
    assert (
        triager.client.post(url, {"cvss_vector": vector, "reason": "Reads data"}).status_code == 302
    )
    report.refresh_from_db()
    assert report.cvss_vector == vector
    assert report.severity == "high"
    audit = AuditEvent.objects.get(action="disclosure.severity_changed")
    assert audit.details["before"]["severity"] == "medium"
    assert audit.details["after"]["cvss_vector"] == vector
    assert audit.details["reason"] == "Reads data"
    assert report.activity.filter(kind="severity_changed").exists()


def test_assignment_is_audited_and_internal(triager, researcher, make_report):
    report = make_report(researcher)
    url = reverse("disclosure:report_assign", args=[report.pk])
    assert triager.client.post(url, {"assignee": triager.user.pk}).status_code == 302
    report.refresh_from_db()
    assert report.assignee == triager.user
    assert AuditEvent.objects.get(action="disclosure.report_assigned").details["to"] == "triager"
    assert ActivityEvent.objects.get(kind="assigned").internal is True
    # Only team members can be assigned.
    assert triager.client.post(url, {"assignee": researcher.user.pk}).status_code == 400


def test_reports_waiting_30_days_for_information_close_as_informative(
    researcher, make_report, move
):
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        stale = move(make_report(researcher), "needs_more_info")
    with time_machine.travel(start + timedelta(days=20), tick=False):
        fresh = move(make_report(researcher), "needs_more_info")
    with time_machine.travel(start + timedelta(days=30, minutes=1), tick=False):
        call_command("vdp", "close-stale")
        call_command("vdp", "close-stale")  # idempotent
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == ReportState.INFORMATIVE
    assert fresh.state == ReportState.NEEDS_MORE_INFO
    assert (
        AuditEvent.objects.filter(
            action="disclosure.report_state_changed", details__to="informative"
        ).count()
        == 1
    )


def test_the_queue_filters_highlights_missed_targets_and_runs_constant_queries(
    triager, researcher, make_report, move, asset, django_assert_num_queries
):
    program = services.current_program()
    program.submissions_per_hour = 100
    program.save()
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        late = make_report(researcher, title="Old SSRF report")
    for number in range(5):
        make_report(researcher, title=f"Fresh report {number}", severity="low")
    resolved = move(make_report(researcher, title="Done one"), "triaged", "resolved")
    url = reverse("disclosure:queue")
    page = triager.client.get(url).content.decode()
    assert "Old SSRF report" in page
    assert "Fresh report 4" in page
    assert resolved.title not in page
    assert "Missed: first response, triage" in page
    sla_page = triager.client.get(url, {"sla": "on"}).content.decode()
    assert "Old SSRF report" in sla_page
    assert "Fresh report" not in sla_page
    assert "Fresh report" not in triager.client.get(url, {"severity": "medium"}).content.decode()
    assert "Old SSRF" not in triager.client.get(url, {"q": "fresh"}).content.decode()
    assert "Done one" in triager.client.get(url, {"state": "resolved"}).content.decode()
    assert f"#{late.pk}" in triager.client.get(url, {"q": f"#{late.pk}"}).content.decode()

    triager.client.get(url)  # warm the session and permission caches of the client
    with CaptureQueriesContext(connection) as first:
        triager.client.get(url)
    baseline = len(first.captured_queries)
    for number in range(20):
        make_report(researcher, title=f"More {number}")
    with django_assert_num_queries(baseline):
        triager.client.get(url)


def test_the_research_profile_and_thanks_page_are_opt_in(researcher, make_report, move, anon):
    move(make_report(researcher), "triaged", "resolved")
    assert b"researcher" not in anon.get(reverse("disclosure:thanks")).content.split(b"<ol>")[1]
    response = researcher.client.post(
        reverse("disclosure:profile"),
        {"handle": "zero-cool", "hall_of_fame": "on", "public_profile": "on"},
    )
    assert response.status_code == 302
    assert b"zero-cool" in anon.get(reverse("disclosure:thanks")).content
    assert AuditEvent.objects.filter(action="disclosure.profile_updated").exists()


def test_reports_listed_for_a_researcher_are_their_own(researcher, other_researcher, make_report):
    mine = make_report(researcher, title="Mine report")
    theirs = make_report(other_researcher, title="Theirs report")
    page = researcher.client.get(reverse("disclosure:my_reports")).content.decode()
    assert mine.title in page
    assert theirs.title not in page
    assert Report.objects.count() == 2
