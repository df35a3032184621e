"""Bounties guided by the bounty table, retest payments, payout records and finance's CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Bounty, Payout, ResearcherProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(db: None):
    return services.publish_bounty_table(
        currency="EUR",
        ranges=[services.RangeInput("medium", 1, Decimal("500"), Decimal("1500"))],
        actor=None,
    )


@pytest.fixture
def triaged(researcher, make_report, move):
    return move(make_report(researcher, severity="medium"), "triaged")


def _award(member, report, **data):
    return member.client.post(reverse("disclosure:report_award", args=[report.pk]), data)


def test_the_page_shows_the_range_and_an_award_inside_it_is_audited(
    triager, researcher, triaged, table
) -> None:
    page = triager.client.get(reverse("disclosure:report_detail", args=[triaged.pk]))
    assert "Bounty table v1: 500.00 to 1500.00 EUR" in page.content.decode()
    response = _award(triager, triaged, kind="bounty", amount="1000", bonus="100")
    assert response.status_code == 302
    bounty = Bounty.objects.get(report=triaged)
    assert (bounty.total, bounty.currency, bounty.table) == (Decimal("1100"), "EUR", table)
    assert Payout.objects.get(bounty=bounty).status == "pending"
    row = AuditEvent.objects.get(action="disclosure.bounty_awarded")
    assert row.actor_id == triager.user.pk
    assert row.details["range"] == ["500.00", "1500.00"]
    assert row.details["outside_range"] is False
    triaged.refresh_from_db()
    assert triaged.bounty_awarded_at is not None
    # Bounty +3 and bonus +1 count towards reputation (the report is still open: no state points).
    assert ResearcherProfile.objects.get(user=researcher.user).reputation == 0
    own = researcher.client.get(reverse("disclosure:report_detail", args=[triaged.pk]))
    assert "1100.00 EUR" in own.content.decode()


def test_an_amount_outside_the_range_needs_a_reason(triager, triaged, table) -> None:
    response = _award(triager, triaged, kind="bounty", amount="5000")
    assert response.status_code == 400
    assert "say why this amount is outside the range" in response.content.decode()
    assert not Bounty.objects.exists()
    response = _award(triager, triaged, kind="bounty", amount="5000", note="Chained to RCE")
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="disclosure.bounty_awarded").details["outside_range"]


def test_retest_payments_are_not_held_to_the_range(triager, triaged, table) -> None:
    assert _award(triager, triaged, kind="retest", amount="50").status_code == 302
    assert Bounty.objects.get().kind == "retest"


def test_a_new_report_cannot_be_awarded(triager, researcher, make_report, table) -> None:
    report = make_report(researcher)
    response = _award(triager, report, kind="bounty", amount="600")
    assert response.status_code == 409
    assert not Bounty.objects.exists()


def test_payouts_are_recorded_and_exported_for_finance(triager, researcher, triaged, table):
    bounty = services.award_bounty(
        triaged, amount=Decimal("600"), note="=HYPERLINK(1)", actor=triager.user
    )
    payout = bounty.payouts.get()
    url = reverse("disclosure:payout", args=[payout.pk])
    assert triager.client.post(url, {"status": "paid"}).status_code == 302
    payout.refresh_from_db()
    assert payout.status == "pending"  # a reference is required for a paid record
    assert triager.client.post(url, {"status": "paid", "reference": "WIRE-7"}).status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == ("paid", "WIRE-7")
    assert payout.paid_at is not None
    assert AuditEvent.objects.get(action="disclosure.payout_recorded").details["to"] == "paid"
    response = triager.client.get(reverse("disclosure:payouts"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["status"] == "paid"
    assert rows[0]["reference"] == "WIRE-7"
    assert rows[0]["total"] == "600.00"
    assert rows[0]["researcher"] == "researcher"
    assert rows[0]["note"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert AuditEvent.objects.get(action="disclosure.payouts_exported").details["rows"] == 1


def test_payout_pages_are_for_those_who_award(cast, triaged, table) -> None:
    bounty = services.award_bounty(triaged, amount=Decimal("600"), actor=None)
    assert_access(cast, "get", reverse("disclosure:payouts"), allowed={"admin", "triager"})
    assert_access(
        cast,
        "post",
        reverse("disclosure:payout", args=[bounty.payouts.get().pk]),
        allowed={"admin", "triager"},
        allowed_status=302,
        data={"status": "failed"},
    )
    assert_access(
        cast,
        "post",
        reverse("disclosure:report_award", args=[triaged.pk]),
        allowed={"admin", "triager"},
        allowed_status={302, 400},
        data={},
    )


def test_the_payout_list_runs_a_constant_number_of_queries(
    triager, triaged, table, django_assert_max_num_queries
) -> None:
    for _ in range(5):
        services.award_bounty(triaged, amount=Decimal("600"), actor=None)
    with django_assert_max_num_queries(12):
        assert triager.client.get(reverse("disclosure:payouts")).status_code == 200
