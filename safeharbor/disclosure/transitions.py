"""The one table of report state transitions, and who may make each.

Services ask ``transition_refusal`` before changing a state; the HTML form shows its answer on the
field and the API answers 409 with it. Nothing else decides whether a move is allowed.
"""

from __future__ import annotations

from enum import Enum

from safeharbor.disclosure.models import ReportState as S


class Actor(Enum):
    TEAM = "team"  # the security team (triagers, administrators, triage API keys)
    RESEARCHER = "researcher"  # the report's own researcher


_REOPEN = frozenset({S.NEW, S.TRIAGED})
_CLOSE = frozenset({S.INFORMATIVE, S.DUPLICATE, S.NOT_APPLICABLE, S.SPAM})

# state -> the states the security team may move it to.
TEAM_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.NEEDS_MORE_INFO, S.TRIAGED} | _CLOSE),
    S.NEEDS_MORE_INFO: frozenset({S.NEW, S.TRIAGED} | _CLOSE),
    S.TRIAGED: frozenset({S.NEEDS_MORE_INFO, S.RETESTING, S.RESOLVED} | _CLOSE),
    S.RETESTING: frozenset({S.TRIAGED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.RETESTING, S.TRIAGED}),
    S.INFORMATIVE: _REOPEN,
    S.DUPLICATE: _REOPEN,
    S.NOT_APPLICABLE: _REOPEN,
    S.SPAM: _REOPEN,
    S.WITHDRAWN: frozenset(),
}

# state -> the states the researcher may move their own report to: withdraw before triage, and
# (implicitly, by answering) send a report waiting for more information back to the team.
RESEARCHER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.WITHDRAWN}),
    S.NEEDS_MORE_INFO: frozenset({S.WITHDRAWN, S.NEW}),
}


def allowed_targets(state: str, actor: Actor) -> frozenset[str]:
    table = TEAM_TRANSITIONS if actor is Actor.TEAM else RESEARCHER_TRANSITIONS
    return table.get(state, frozenset())


def transition_refusal(state: str, target: str, actor: Actor) -> str | None:
    """Why ``actor`` may not move a report from ``state`` to ``target``, or None if they may."""
    if target not in S.values:
        return f"{target!r} is not a report state."
    if state == target:
        return f"The report is already {S(state).label}."
    if target in allowed_targets(state, actor):
        return None
    if actor is Actor.RESEARCHER and target == S.WITHDRAWN:
        return "A report can be withdrawn only before it is triaged."
    allowed = sorted(S(t).label for t in allowed_targets(state, actor))
    who = "The security team" if actor is Actor.TEAM else "You"
    options = ", ".join(allowed) if allowed else "no other state"
    return (
        f"{who} cannot move a report from {S(state).label} to {S(target).label}; "
        f"from {S(state).label} it can go to: {options}."
    )
