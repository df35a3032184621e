"""Program metrics for the public program page and the transparency module.

- **Medians** over the reports submitted in the last ``MEDIAN_WINDOW`` days: time to first
  response, to triage and to resolution (from submission), and to bounty (from triage).
- **Response efficiency** over the last ``EFFICIENCY_WINDOW`` days: the share of reports whose
  response targets (first response, triage, bounty, resolution) were all met. A target counts
  once it is due or done: met when done by its due time, missed when done late or overdue.
  Targets not yet due and not yet done are left out, so a fresh report does not count against
  the program; a report with no counted target is left out of the share.

Two queries whatever the number of reports.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from safeharbor.disclosure.models import Report, ReportState

MEDIAN_WINDOW = timedelta(days=365)
EFFICIENCY_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class ProgramMetrics:
    reports: int
    median_first_response: timedelta | None
    median_triage: timedelta | None
    median_bounty: timedelta | None
    median_resolution: timedelta | None
    response_efficiency: float | None  # 0-100, None without a counted report
    efficiency_reports: int


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _target_met(due: datetime | None, done: datetime | None, now: datetime) -> bool | None:
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if now > due else None


def program_metrics(*, now: datetime | None = None) -> ProgramMetrics:
    """The figures shown on the program page; the transparency module calls this too."""
    moment = now or timezone.now()
    submitted = Report.objects.filter(is_draft=False).exclude(state=ReportState.WITHDRAWN)
    rows = list(
        submitted.filter(submitted_at__gte=moment - MEDIAN_WINDOW).values_list(
            "submitted_at", "first_response_at", "triaged_at", "bounty_awarded_at", "resolved_at"
        )
    )
    first, triage, bounty, resolution = [], [], [], []
    for sent, responded, triaged, awarded, resolved in rows:
        if sent is None:
            continue
        if responded:
            first.append(responded - sent)
        if triaged:
            triage.append(triaged - sent)
        if awarded and triaged:
            bounty.append(max(awarded - triaged, timedelta(0)))
        if resolved:
            resolution.append(resolved - sent)
    recent = submitted.filter(submitted_at__gte=moment - EFFICIENCY_WINDOW).values_list(
        "first_response_due_at",
        "first_response_at",
        "triage_due_at",
        "triaged_at",
        "bounty_due_at",
        "bounty_awarded_at",
        "resolution_due_at",
        "resolved_at",
    )
    counted = met = 0
    for row in recent:
        outcomes = [_target_met(row[i], row[i + 1], moment) for i in range(0, 8, 2)]
        decided = [outcome for outcome in outcomes if outcome is not None]
        if not decided:
            continue
        counted += 1
        met += all(decided)
    return ProgramMetrics(
        reports=len(rows),
        median_first_response=_median(first),
        median_triage=_median(triage),
        median_bounty=_median(bounty),
        median_resolution=_median(resolution),
        response_efficiency=round(100 * met / counted, 1) if counted else None,
        efficiency_reports=counted,
    )
