from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from safeharbor.core.models import AuditEvent
from safeharbor.moderation.models import Case, CaseState, InvalidTransition
from safeharbor.moderation.priority import priority_points

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_reports_about_the_same_content_join_one_case(send_report) -> None:
    send_report(content_id="post-1", reporter_id="a")
    send_report(content_id="post-1", reporter_id="b")
    send_report(content_id="post-2", reporter_id="a")
    assert Case.objects.count() == 2
    case = Case.objects.get(content_id="post-1")
    assert (case.report_count, case.distinct_reporters) == (2, 2)
    assert case.reports.count() == 2


def test_a_repeat_reporter_and_anonymous_reporters_count_once(send_report) -> None:
    send_report(reporter_id="a")
    send_report(reporter_id="a")
    send_report(reporter_id="")
    send_report(reporter_id="")
    case = Case.objects.get()
    assert (case.report_count, case.distinct_reporters) == (4, 2)


def test_priority_follows_the_documented_formula_and_is_recomputed_on_join(send_report) -> None:
    with time_machine.travel(T0, tick=False):
        send_report(category="hate", reporter_id="a", content_metadata={"views": 99})
    case = Case.objects.get()
    # tier 3 = 20, user = 0, one reporter = 0, 3 x log10(100) = 6
    assert case.priority_points == 26
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        send_report(category="hate", reporter_id="b", trusted_flagger=True,
                    content_metadata={"views": 999_999})  # fmt: skip
    case.refresh_from_db()
    # + trusted flagger 15, two reporters 5, reach capped at 15 (log10 1e6 x 3 = 18)
    assert case.priority_points == 20 + 15 + 5 + 15
    assert case.priority_points == priority_points(
        tier=3, trust="trusted_flagger", distinct_reporters=2, reach=999_999
    )
    assert case.reach == 999_999


def test_age_adds_a_point_an_hour_through_the_sort_key(send_report) -> None:
    with time_machine.travel(T0, tick=False):
        send_report(content_id="old", category="spam")  # 0 points, opened first
    with time_machine.travel(T0 + timedelta(hours=10), tick=False):
        send_report(content_id="new", category="spam", trusted_flagger=True)  # 15 points
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        send_report(content_id="newer", category="spam", trusted_flagger=True)  # 15 points
    ordered = list(Case.objects.order_by("-priority_key").values_list("content_id", flat=True))
    # old: 0 + 20 h waited = 20; new: 15 + 10 = 25; newer: 15 + 0 = 15.
    assert ordered == ["new", "old", "newer"]


def test_the_sla_depends_on_the_tier(send_report) -> None:
    with time_machine.travel(T0, tick=False):
        send_report(content_id="a", category="imminent-self-harm")
        send_report(content_id="b", category="spam")
    assert Case.objects.get(content_id="a").sla_due_at == T0 + timedelta(hours=1)
    assert Case.objects.get(content_id="b").sla_due_at == T0 + timedelta(hours=72)


def test_a_more_severe_report_raises_the_category_and_shortens_the_sla(send_report) -> None:
    with time_machine.travel(T0, tick=False):
        send_report(category="spam")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        send_report(category="violence-threats")
    case = Case.objects.get()
    assert (case.category.slug, case.severity_tier) == ("violence-threats", 2)
    assert case.sla_due_at == T0 + timedelta(minutes=30, hours=4)


def test_a_child_safety_report_moves_the_case_to_the_child_safety_queue_and_drops_the_claim(
    send_report, cast
) -> None:
    send_report(category="spam")
    case = Case.objects.get()
    from safeharbor.moderation.services import claim_case

    claim_case(case, actor=cast["moderator"].user)
    send_report(category="child-sexual-abuse-material")
    case.refresh_from_db()
    assert (case.queue.slug, case.required_role) == ("child-safety", "child-safety")
    assert (case.claimed_by, case.state) == (None, CaseState.OPEN)
    event = AuditEvent.objects.get(action="moderation.case_rerouted")
    assert event.details["from_queue"] == "general"
    assert event.details["to_queue"] == "child-safety"


def test_a_csam_report_restricts_a_case_of_the_same_severity_tier(send_report, cast) -> None:
    from django.urls import reverse

    send_report(category="violent-extremism")  # tier 1, like CSAM, with no restriction
    send_report(category="child-sexual-abuse-material", content_text="the reported description")
    case = Case.objects.get()
    assert (case.queue.slug, case.required_role) == ("child-safety", "child-safety")
    assert case.category.slug == "child-sexual-abuse-material"
    page = reverse("moderation:case_detail", args=[case.public_id])
    assert cast["moderator"].client.get(page).status_code == 404
    assert cast["child_safety"].client.get(page).status_code == 200


def test_no_later_report_lifts_a_child_safety_restriction(send_report) -> None:
    send_report(category="child-sexual-abuse-material")
    send_report(category="violent-extremism")
    send_report(category="trafficking")
    case = Case.objects.get()
    assert (case.queue.slug, case.required_role) == ("child-safety", "child-safety")
    assert case.category.slug == "child-sexual-abuse-material"


def test_restricting_a_category_restricts_its_open_cases(send_report, cast) -> None:
    from safeharbor.moderation.models import PolicyCategory
    from safeharbor.moderation.services import claim_case, update_policy_category

    send_report(category="harassment-bullying")
    case = Case.objects.get()
    claim_case(case, actor=cast["moderator"].user)
    category = PolicyCategory.objects.get(slug="harassment-bullying")
    update_policy_category(category, {"required_role": "child-safety"}, actor=cast["admin"].user)
    case.refresh_from_db()
    # Its queue is one for child-safety specialists (the fallback one: the category is not in
    # the child-safety queue's routing rules).
    assert (case.required_role, case.queue.required_role, case.claimed_by) == (
        "child-safety",
        "child-safety",
        None,
    )
    assert AuditEvent.objects.filter(action="moderation.case_rerouted").count() == 1


def test_a_decided_case_does_not_take_new_reports(send_report) -> None:
    send_report()
    case = Case.objects.get()
    case.transition_to(CaseState.DECIDED)
    case.save()
    send_report()
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "target"),
    [("closed", "open"), ("decided", "in_review"), ("escalated", "open"), ("open", "appealed")],
)
def test_state_changes_outside_the_table_are_refused(send_report, start, target) -> None:
    send_report()
    case = Case.objects.get()
    case.state = start
    with pytest.raises(InvalidTransition):
        case.transition_to(target)


def test_allowed_transitions_go_through(send_report) -> None:
    send_report()
    case = Case.objects.get()
    for state in ("in_review", "decided", "appealed", "decided", "closed"):
        case.transition_to(state)
    assert case.state == "closed"
    assert case.closed_at is not None
