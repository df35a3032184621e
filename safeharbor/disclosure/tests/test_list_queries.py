"""Every list page of the program runs the same number of queries however many rows it shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeharbor.disclosure import services
from safeharbor.disclosure.models import Report
from safeharbor.disclosure.transitions import Actor

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    client.get(url)  # warm sessions and caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _disclose(report: Report, researcher) -> None:
    services.request_disclosure(report, kind="full", actor=None, by=Actor.TEAM)
    services.agree_disclosure(report, actor=researcher.user, by=Actor.RESEARCHER)


@pytest.mark.parametrize(
    ("page", "viewer"),
    [
        ("disclosure:my_reports", "researcher"),
        ("disclosure:disclosed", "anon"),
        ("disclosure:thanks", "anon"),
        ("disclosure:payouts", "triager"),
        ("disclosure:program", "anon"),
    ],
)
def test_list_pages_run_a_constant_number_of_queries(
    page: str, viewer: str, cast, researcher, make_report, move, triager
) -> None:
    program = services.current_program()
    program.submissions_per_hour = 1000
    program.save()

    def add(count: int) -> None:
        for number in range(count):
            report = move(make_report(researcher, title=f"Report {number}"), "triaged", "resolved")
            services.award_bounty(
                report, amount=Decimal(100), currency="USD", note="Thanks.", actor=triager.user
            )
            _disclose(report, researcher)

    add(2)
    client = cast[viewer].client
    url = reverse(page)
    baseline = _queries(client, url)
    add(8)
    assert _queries(client, url) == baseline, page
    if page in ("disclosure:my_reports", "disclosure:disclosed"):
        assert "Report 7" in client.get(url).content.decode()  # the rows are really shown
