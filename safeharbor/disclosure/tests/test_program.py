from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from safeharbor.core.models import AuditEvent
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Asset, BountyTable

pytestmark = pytest.mark.django_db


def _program_form(**extra):
    data = {
        "name": "Example VDP",
        "policy": "Test **only** your own accounts. <script>alert(1)</script>",
        "safe_harbor_authorization": "on",
        "safe_harbor_dmca": "on",
        "safe_harbor_statement": "We will not pursue good-faith research.",
        "disclosure_mode": "mutual",
        "disclosure_delay_days": 30,
        "first_response_days": 1,
        "triage_days": 3,
        "bounty_days": 7,
        "resolution_days": 60,
        "offers_bounties": "on",
        "submissions_open": "on",
        "submissions_per_hour": 10,
        "preferred_languages": "en,de",
        "contact_email": "security@example.org",
        "encryption_key_url": "https://example.org/key.asc",
        "security_txt_expires": (datetime.now(UTC) + timedelta(days=180)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
    }
    data.update(extra)
    return data


def test_an_admin_edits_the_program_and_the_public_page_shows_it(admin, anon) -> None:
    response = admin.client.post(reverse("disclosure:program_edit"), _program_form())
    assert response.status_code == 302
    program = services.current_program()
    assert program.name == "Example VDP"
    assert program.triage_days == 3
    assert program.preferred_languages == "en, de"
    assert not program.safe_harbor_terms_waiver
    audit = AuditEvent.objects.get(action="disclosure.program_updated")
    assert "triage_days" in audit.details["fields"]
    assert audit.actor_id == admin.user.pk
    page = anon.get(reverse("disclosure:program")).content.decode()
    assert "Example VDP" in page
    assert "<strong>only</strong>" in page
    assert "<script>alert(1)" not in page
    assert "3 business days" in page
    assert "DMCA exemption" in page
    assert "Terms of service waiver" not in page


def test_bounty_tables_are_versioned(admin, anon) -> None:
    url = reverse("disclosure:bounty_table")
    first = {"currency": "eur", "critical_1_min": "2000", "critical_1_max": "5000"}
    assert admin.client.post(url, first).status_code == 302
    second = {
        "currency": "EUR",
        "critical_1_min": "3000",
        "critical_1_max": "8000",
        "note": "Raised",
    }
    assert admin.client.post(url, second).status_code == 302
    tables = list(BountyTable.objects.order_by("version"))
    assert [t.version for t in tables] == [1, 2]
    assert str(tables[0].ranges.get().max_amount) == "5000.00"  # v1 is unchanged
    assert AuditEvent.objects.filter(action="disclosure.bounty_table_published").count() == 2
    assert "3000\u20138000" in anon.get(reverse("disclosure:program")).content.decode()
    bad = {"currency": "EUR", "high_2_min": "500", "high_2_max": "100"}
    assert admin.client.post(url, bad).status_code == 400
    assert BountyTable.objects.count() == 2


def test_a_triager_manages_the_scope(triager, anon) -> None:
    url = reverse("disclosure:asset_create")
    data = {
        "asset_type": "wildcard",
        "identifier": "*.example.org",
        "in_scope": "on",
        "bounty_eligible": "on",
        "max_severity": "critical",
        "tier": 1,
        "instructions": "Use your own tenant.",
    }
    assert triager.client.post(url, data).status_code == 302
    asset = Asset.objects.get()
    assert AuditEvent.objects.get(action="disclosure.asset_created").target_id == str(asset.pk)
    data["in_scope"] = ""
    assert (
        triager.client.post(reverse("disclosure:asset_edit", args=[asset.pk]), data).status_code
        == 302
    )
    asset.refresh_from_db()
    assert asset.in_scope is False
    changed = AuditEvent.objects.get(action="disclosure.asset_updated")
    assert changed.details["changed"] == {"in_scope": "False"}
    page = anon.get(reverse("disclosure:program")).content.decode()
    assert "Out of scope" in page
    assert "*.example.org" in page
    assert triager.client.post(url, data).status_code == 400  # the same asset again
