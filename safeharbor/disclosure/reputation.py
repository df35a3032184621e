"""Researcher reputation, signal and impact, in the spirit of HackerOne's rules.

Points per closed report (drafts and withdrawn reports count for nothing):

    Resolved                                               +7
    Informative                                             0
    Not applicable                                         -5
    Spam                                                  -10
    Duplicate, filed before the original was resolved      +2
    Duplicate, filed after the original was resolved        0
    Duplicate, filed after the original was disclosed      -5
    Bounty bonus: a report with at least one bounty        +3, and +1 more if a bonus was paid

Reputation is the sum. Signal is the average of the state points over the closed reports
(-10 to +7: how often a report is valid). Impact is the average of all points, bonus included,
over the resolved reports (how much the valid reports were worth). Both are 0 without reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from safeharbor.disclosure.models import Report, ReportState

STATE_POINTS: dict[str, int] = {
    ReportState.RESOLVED: 7,
    ReportState.INFORMATIVE: 0,
    ReportState.NOT_APPLICABLE: -5,
    ReportState.SPAM: -10,
}
DUPLICATE_EARLY = 2
DUPLICATE_LATE = 0
DUPLICATE_OF_DISCLOSED = -5
BOUNTY_POINTS = 3
BONUS_POINTS = 1


def duplicate_points(report: Report) -> int:
    original = report.duplicate_of
    filed = report.submitted_at
    if original is None or filed is None:
        return DUPLICATE_LATE
    if original.disclosed_at is not None and filed > original.disclosed_at:
        return DUPLICATE_OF_DISCLOSED
    if original.resolved_at is None or filed < original.resolved_at:
        return DUPLICATE_EARLY
    return DUPLICATE_LATE


def state_points(report: Report) -> int | None:
    """Points for the report's state, or None when it does not count (open, withdrawn)."""
    if report.is_draft or report.submitted_at is None:
        return None
    if report.state == ReportState.DUPLICATE:
        return duplicate_points(report)
    return STATE_POINTS.get(report.state)


def bounty_points(has_bounty: bool, has_bonus: bool) -> int:
    return (BOUNTY_POINTS if has_bounty else 0) + (BONUS_POINTS if has_bonus else 0)


def standing(reports: Iterable[tuple[Report, bool, bool]]) -> tuple[int, float, float]:
    """(reputation, signal, impact) from (report, has_bounty, has_bonus) triples."""
    reputation = 0
    closed_points: list[int] = []
    resolved_points: list[int] = []
    for report, has_bounty, has_bonus in reports:
        points = state_points(report)
        if points is None:
            continue
        bonus = bounty_points(has_bounty, has_bonus)
        reputation += points + bonus
        closed_points.append(points)
        if report.state == ReportState.RESOLVED:
            resolved_points.append(points + bonus)
    signal = sum(closed_points) / len(closed_points) if closed_points else 0.0
    impact = sum(resolved_points) / len(resolved_points) if resolved_points else 0.0
    return reputation, round(signal, 2), round(impact, 2)
