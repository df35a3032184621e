"""Program metrics: medians and response efficiency, on the public program page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from safeharbor.disclosure.metrics import program_metrics

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_medians_and_response_efficiency(researcher, make_report, move, anon) -> None:
    with time_machine.travel(MONDAY, tick=False) as clock:
        fast = make_report(researcher, title="Fast")
        slow = make_report(researcher, title="Slow")
        clock.shift(timedelta(hours=4))
        move(fast, "triaged")  # first response and triage after 4 hours
        clock.shift(timedelta(days=10))
        move(slow, "triaged")  # 10 days: both targets (2 and 5 business days) missed
        move(fast, "resolved")
        metrics = program_metrics()
    assert metrics.median_first_response == timedelta(days=5, hours=4)
    assert metrics.median_triage == timedelta(days=5, hours=4)
    assert metrics.median_resolution == timedelta(days=10, hours=4)
    assert metrics.median_bounty is None
    assert metrics.response_efficiency == 50.0
    assert metrics.efficiency_reports == 2
    with time_machine.travel(MONDAY + timedelta(days=11), tick=False):
        page = anon.get(reverse("disclosure:program")).content.decode()
    assert "Response efficiency, last 90 days" in page
    assert "50.0% of 2 reports met every response target" in page
    assert "5.2 days" in page


def test_reports_older_than_90_days_leave_the_efficiency_figure(
    researcher, make_report, move
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        make_report(researcher)
    with time_machine.travel(MONDAY + timedelta(days=100), tick=False):
        metrics = program_metrics()
    assert metrics.response_efficiency is None
    assert metrics.reports == 1
