"""Figures for transparency: counts by category, source, action and automation; time to action."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from safeharbor.moderation.figures import moderation_figures
from safeharbor.moderation.forms import DecisionForm
from safeharbor.moderation.models import Case
from safeharbor.moderation.services import claim_case, decide_case

pytestmark = pytest.mark.django_db


def _decide(case: Case, actor, form: dict) -> None:
    claim_case(case, actor=actor)
    decision_form = DecisionForm(form, case=case)
    assert decision_form.is_valid(), decision_form.errors
    decide_case(case, decision_form.decision(), actor=actor)


@pytest.fixture
def history(send_report, cast, decision_form):
    """Three cases reported at noon, decided after 1, 2 and 10 hours."""
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    moderator = cast["moderator"].user
    with time_machine.travel(noon, tick=False):
        send_report(content_id="a", category="spam")
        send_report(content_id="a", category="spam", source="automated")
        send_report(content_id="b", category="hate", trusted_flagger=True)
        send_report(content_id="c", category="spam")
    for content_id, hours, action in (
        ("a", 1, "remove"),
        ("b", 2, "label"),
        ("c", 10, "no_violation"),
    ):
        with time_machine.travel(noon + timedelta(hours=hours), tick=False):
            form = {**decision_form, "action": action}
            if content_id == "a":
                form["automated_detection"] = "on"  # pre-checked on the page: a bot flagged it
            if action == "no_violation":
                form = {"action": action, "policy": "spam", "decision_facts": "Fine."}
            _decide(Case.objects.get(content_id=content_id), moderator, form)
    return noon


def test_figures_count_reports_decisions_and_time_to_action(history) -> None:
    figures = moderation_figures(history - timedelta(hours=1), history + timedelta(days=1))
    assert figures.reports_total == 4
    assert figures.reports_by_category == {"spam": 3, "hate": 1}
    assert figures.reports_by_source == {
        "user": 2,
        "automated": 1,
        "trusted_flagger": 1,
        "hash_match": 0,
    }
    assert figures.decisions_total == 3
    assert figures.decisions_by_action == {"remove": 1, "label": 1, "no_violation": 1}
    assert figures.decisions_by_automation == {"AUTOMATED_DECISION_NOT_AUTOMATED": 3}
    assert figures.automated_detection == 1  # case "a" had an automated report
    assert figures.time_to_action.decisions == 3
    assert figures.time_to_action.median_hours == 2.0
    assert figures.time_to_action.p90_hours == 10.0


def test_a_period_without_activity_has_zero_counts(history) -> None:
    figures = moderation_figures(history + timedelta(days=2), history + timedelta(days=3))
    assert figures.reports_total == figures.decisions_total == 0
    assert figures.time_to_action.median_hours is None


def test_the_figures_page_and_api(history, cast, make_api_client) -> None:
    day = history.date().isoformat()
    page = cast["transparency_editor"].client.get(f"/moderation/figures/?start={day}&end={day}")
    assert page.status_code == 200
    assert "median 2.0 hours" in page.content.decode()
    api = make_api_client("figures:read")
    body = api.get("/api/v1/moderation/figures", start=day, end=day).json()
    assert body["decisions_by_action"] == {"remove": 1, "label": 1, "no_violation": 1}
    assert body["time_to_action"] == {"decisions": 3, "median_hours": 2.0, "p90_hours": 10.0}
    assert (
        make_api_client("reports:write")
        .get("/api/v1/moderation/figures", start=day, end=day)
        .status_code
        == 403
    )
    bad = api.get("/api/v1/moderation/figures", start=day, end="2000-01-01")
    assert bad.status_code == 422
