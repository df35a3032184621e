"""Moderation figures for transparency reports (DSA Art. 15 and 24): reports received, decisions
by action, ground and automation, appeals, and the time from a case's opening to its first
decision. Read-only."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min

from safeharbor.moderation.models import (
    Appeal,
    AppealState,
    Decision,
    DecisionAction,
    PolicyCategory,
    Report,
    ReportSource,
)


@dataclass(frozen=True)
class TimeToAction:
    decisions: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class Figures:
    start: datetime
    end: datetime
    reports_total: int
    reports_by_category: dict[str, int]
    reports_by_source: dict[str, int]
    decisions_total: int
    decisions_by_action: dict[str, int]
    decisions_by_category: dict[str, int]
    decisions_by_ground: dict[str, int]
    decisions_by_automation: dict[str, int]
    automated_detection: int
    appeals_filed: int
    appeals_upheld: int
    appeals_reversed: int
    time_to_action: TimeToAction

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values at or
    below it (so p90 of ten values is the ninth)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _median(sorted_values: list[float]) -> float | None:
    if not sorted_values:
        return None
    middle = len(sorted_values) // 2
    if len(sorted_values) % 2:
        return sorted_values[middle]
    return (sorted_values[middle - 1] + sorted_values[middle]) / 2


def _counts(rows: Any, key: str) -> dict[str, int]:
    return {row[key] or "": row["n"] for row in rows}


def moderation_figures(start: datetime, end: datetime) -> Figures:
    """Figures for reports received and decisions made in [start, end). Corrections and appeal
    reversals count as decisions; time to action counts each case's first decision only."""
    reports = Report.objects.filter(received_at__gte=start, received_at__lt=end)
    decisions = Decision.objects.filter(created_at__gte=start, created_at__lt=end).exclude(
        action=DecisionAction.ESCALATE
    )
    slugs = dict(PolicyCategory.objects.values_list("pk", "slug"))
    by_category = reports.values("category").annotate(n=Count("pk"))
    by_source = _counts(reports.values("source").annotate(n=Count("pk")), "source")
    for source in ReportSource.values:
        by_source.setdefault(source, 0)
    hours = sorted(
        max(0.0, (decided - reported).total_seconds() / 3600)
        for reported, decided in _first_decision_times(start, end)
    )
    appeals = Appeal.objects.filter(created_at__gte=start, created_at__lt=end)
    decided_appeals = Appeal.objects.filter(
        decided_at__gte=start, decided_at__lt=end, state=AppealState.DECIDED
    )
    return Figures(
        start=start,
        end=end,
        reports_total=reports.count(),
        reports_by_category={slugs[row["category"]]: row["n"] for row in by_category},
        reports_by_source=by_source,
        decisions_total=decisions.count(),
        decisions_by_action=_counts(decisions.values("action").annotate(n=Count("pk")), "action"),
        decisions_by_category=_counts(
            decisions.values("policy__slug").annotate(n=Count("pk")), "policy__slug"
        ),
        decisions_by_ground=_counts(
            decisions.values("decision_ground").annotate(n=Count("pk")), "decision_ground"
        ),
        decisions_by_automation=_counts(
            decisions.values("automated_decision").annotate(n=Count("pk")), "automated_decision"
        ),
        automated_detection=decisions.filter(automated_detection=True).count(),
        appeals_filed=appeals.count(),
        appeals_upheld=decided_appeals.filter(outcome="uphold").count(),
        appeals_reversed=decided_appeals.filter(outcome="reverse").count(),
        time_to_action=TimeToAction(
            decisions=len(hours),
            median_hours=_round(_median(hours)),
            p90_hours=_round(_percentile(hours, 0.9)),
        ),
    )


def _first_decision_times(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """(first report, first decision) of each case first decided in the period: time to action
    runs from the first notice, also for cases reopened by an appeal."""
    first_decided = dict(
        Decision.objects.filter(corrects__isnull=True)
        .exclude(action=DecisionAction.ESCALATE)
        .values("case")
        .annotate(first=Min("created_at"))
        .filter(first__gte=start, first__lt=end)
        .values_list("case", "first")
    )
    first_reported = dict(
        Report.objects.filter(case__in=list(first_decided))
        .values("case")
        .annotate(first=Min("received_at"))
        .values_list("case", "first")
    )
    return [
        (first_reported[case], decided)
        for case, decided in first_decided.items()
        if case in first_reported
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
