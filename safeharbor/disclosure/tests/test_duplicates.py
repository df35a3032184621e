"""Duplicate suggestions: fingerprints, scoring, who sees which suggestion, confirming one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safeharbor.core.models import AuditEvent
from safeharbor.disclosure.duplicates import (
    endpoint_template,
    endpoints_of,
    parameters_of,
    suggest_duplicates,
)
from safeharbor.disclosure.models import DuplicateKey, Report, ReportState

pytestmark = pytest.mark.django_db

IDOR = (
    "Changing the numeric id in GET /api/v2/users/1234/invoices?format=pdf returns another "
    "customer's invoice. The `invoice_id` parameter is not checked against the session."
)
PARAPHRASE = (
    "An attacker can read invoices of other customers: requesting "
    "https://app.example.org/API/v2/users/98/invoices/ with a different invoice_id=5 value "
    "shows them, because the session is never compared to the owner."
)


def test_endpoints_are_normalised_to_templates() -> None:
    assert endpoint_template("/API/v2/users/42/orders/?a=1") == "/api/v2/users/{id}/orders"
    assert (
        endpoint_template("/files/3f2a9c1e-1b2c-4d5e-8f90-123456789abc/download")
        == "/files/{id}/download"
    )
    assert endpoint_template("/users/{userId}/orders") == "/users/{id}/orders"
    assert endpoint_template("/12/34") == ""
    assert endpoints_of("", PARAPHRASE) == {"/api/v2/users/{id}/invoices"}


def test_parameters_are_found_in_the_text() -> None:
    assert parameters_of("", IDOR) >= {"format", "invoice_id"}
    assert parameters_of("Redirect_URI", "") == {"redirect_uri"}


def test_a_paraphrased_report_suggests_the_original_with_a_score(
    researcher, other_researcher, make_report
) -> None:
    original = make_report(other_researcher, title="IDOR on invoices", description=IDOR)
    make_report(other_researcher, title="XSS in search", description="The q parameter reflects.")
    later = make_report(
        researcher, title="Other customers' invoices readable", description=PARAPHRASE
    )
    assert DuplicateKey.objects.filter(report=later).exists()
    suggestions = suggest_duplicates(later)
    assert [s.report_id for s in suggestions] == [original.pk]
    best = suggestions[0]
    assert best.score >= 0.5
    assert "endpoint /api/v2/users/{id}/invoices" in best.reasons
    assert "parameter invoice_id" in best.reasons
    # Only earlier reports are suggested.
    assert suggest_duplicates(original) == []


def test_the_triager_sees_suggestions_and_the_researcher_only_their_own_or_disclosed(
    triager, researcher, other_researcher, make_report
) -> None:
    original = make_report(other_researcher, title="IDOR on invoices", description=IDOR)
    later = make_report(researcher, title="Invoices of others", description=PARAPHRASE)
    url = reverse("disclosure:report_detail", args=[later.pk])
    staff_page = triager.client.get(url).content.decode()
    assert "Possible duplicates" in staff_page
    assert f"#{original.pk} IDOR on invoices" in staff_page
    own_page = researcher.client.get(url).content.decode()
    assert "IDOR on invoices" not in own_page
    assert "duplicate of an earlier report" not in own_page
    Report.objects.filter(pk=original.pk).update(disclosure_state="disclosed")
    own_page = researcher.client.get(url).content.decode()
    assert "Possibly a duplicate of an earlier report" in own_page
    assert f"#{original.pk} IDOR on invoices" in own_page


def test_confirming_a_duplicate_credits_the_later_reporter_on_the_original(
    triager, researcher, other_researcher, make_report
) -> None:
    original = make_report(other_researcher, title="IDOR on invoices", description=IDOR)
    later = make_report(researcher, title="Invoices of others", description=PARAPHRASE)
    response = triager.client.post(
        reverse("disclosure:report_state", args=[later.pk]),
        {"state": "duplicate", "duplicate_of": original.pk, "credit_original": "on"},
    )
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.state == ReportState.DUPLICATE
    assert later.duplicate_of == original
    assert later.credited_on_original
    row = AuditEvent.objects.get(action="disclosure.report_state_changed")
    assert row.details["duplicate_of"] == original.pk
    assert row.details["credited_on_original"] is True
    page = triager.client.get(reverse("disclosure:report_detail", args=[original.pk]))
    assert "Also reported by: researcher" in page.content.decode()
    assert original.activity.filter(kind="credited").exists()


def test_reindexing_rebuilds_the_index(researcher, make_report) -> None:
    from django.core.management import call_command

    report = make_report(researcher, description=IDOR)
    before = set(DuplicateKey.objects.filter(report=report).values_list("key", flat=True))
    DuplicateKey.objects.all().delete()
    call_command("vdp", "reindex-duplicates")
    assert set(DuplicateKey.objects.filter(report=report).values_list("key", flat=True)) == before
