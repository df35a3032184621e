"""A decision as the outside world sees it: its statement of reasons in the DSA Transparency
Database's JSON shape, the webhook event data, and the notices to the reporter and the content
owner. Pure functions of stored data: nothing here changes state."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from safeharbor.moderation import dsa
from safeharbor.moderation.models import (
    Appeal,
    AppealOutcome,
    Decision,
    ReportSource,
)
from safeharbor.moderation.models import (
    ContentType as PlatformContentType,
)

_CONTENT_TYPES = {
    "text": dsa.ContentType.TEXT,
    "message": dsa.ContentType.TEXT,
    "image": dsa.ContentType.IMAGE,
    "video": dsa.ContentType.VIDEO,
    "livestream": dsa.ContentType.VIDEO,
    "audio": dsa.ContentType.AUDIO,
}


def _content_type_label(value: str) -> str:
    labels = dict(PlatformContentType.choices)
    return str(labels.get(value, value or "Other"))


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def _day(value: Any) -> str | None:
    return value.date().isoformat() if value is not None else None


def source_type(decision: Decision) -> str:
    """Where the case came from, in the database's terms: a trusted flagger's notice, another
    notice (Art. 16) or own initiative (automated detection)."""
    sources = set(decision.case.reports.values_list("source", flat=True))
    if ReportSource.TRUSTED_FLAGGER in sources:
        return dsa.SourceType.TRUSTED_FLAGGER
    if ReportSource.USER in sources:
        return dsa.SourceType.ARTICLE_16
    return dsa.SourceType.VOLUNTARY


def transparency_database_statement(decision: Decision) -> dict[str, Any]:
    """The statement of reasons with the field names and enum values of the DSA Transparency
    Database API (POST /api/v1/statement). Fields that do not apply are left out."""
    case = decision.case
    content_type = _CONTENT_TYPES.get(case.content_type, dsa.ContentType.OTHER)
    end = _day(decision.end_date)
    statement: dict[str, Any] = {
        "decision_visibility": list(decision.decision_visibility),
        "decision_visibility_other": decision.decision_visibility_other,
        "end_date_visibility_restriction": end if decision.decision_visibility else None,
        "decision_monetary": decision.decision_monetary,
        "decision_monetary_other": decision.decision_monetary_other,
        "end_date_monetary_restriction": end if decision.decision_monetary else None,
        "decision_provision": decision.decision_provision,
        "end_date_service_restriction": end if decision.decision_provision else None,
        "decision_account": decision.decision_account,
        "end_date_account_restriction": end if decision.decision_account else None,
        "decision_ground": decision.decision_ground,
        "illegal_content_legal_ground": decision.illegal_content_legal_ground,
        "illegal_content_explanation": decision.illegal_content_explanation,
        "incompatible_content_ground": decision.incompatible_content_ground,
        "incompatible_content_explanation": decision.incompatible_content_explanation,
        "incompatible_content_illegal": _yes_no(decision.incompatible_content_illegal),
        "category": decision.policy.dsa_category,
        "category_specification": list(decision.category_specification),
        "content_type": [content_type],
        "content_type_other": (
            _content_type_label(case.content_type) if content_type == dsa.ContentType.OTHER else ""
        ),
        "content_language": (case.content_language.split("-")[0].upper() or None),
        "content_date": _day(case.opened_at),
        "application_date": _day(decision.application_date),
        "territorial_scope": list(decision.territorial_scope),
        "decision_facts": decision.decision_facts,
        "source_type": source_type(decision),
        "automated_detection": _yes_no(decision.automated_detection),
        "automated_decision": decision.automated_decision,
        "puid": str(decision.public_id),
    }
    return {name: value for name, value in statement.items() if value not in ("", None, [])}


def decision_data(decision: Decision) -> dict[str, Any]:
    """What the platform needs to enforce a decision: the action, the content, the statement
    of reasons, and the notices it must deliver itself."""
    case = decision.case
    return {
        "decision_id": str(decision.public_id),
        "case_id": str(case.public_id),
        "content_id": case.content_id,
        "content_url": case.content_url,
        "author_id": case.author_id,
        "action": decision.action,
        "policy": decision.policy.slug,
        "corrects": str(decision.corrects.public_id) if decision.corrects else None,
        "decided_at": decision.created_at,
        "end_date": decision.end_date,
        "appealable_until": appeal_deadline(decision) if decision.restricts else None,
        "statement_of_reasons": (
            transparency_database_statement(decision) if decision.restricts else None
        ),
        "notices": notices(decision),
    }


def appeal_data(appeal: Appeal) -> dict[str, Any]:
    outcome_decision = appeal.outcome_decision
    return {
        "appeal_id": str(appeal.public_id),
        "decision_id": str(appeal.decision.public_id),
        "case_id": str(appeal.case.public_id),
        "content_id": appeal.case.content_id,
        "author_id": appeal.case.author_id,
        "appellant_id": appeal.appellant_id,
        "outcome": appeal.outcome,
        "decided_at": appeal.decided_at,
        # A reversal lifts the original restriction: the new decision says what applies now.
        "new_decision": decision_data(outcome_decision) if outcome_decision else None,
        "notices": {
            "content_owner": {
                "recipient_id": appeal.appellant_id,
                "text": appeal_notice_text(appeal),
            }
        },
    }


def appeal_deadline(decision: Decision) -> Any:
    from datetime import timedelta

    from safeharbor.moderation.services import current_settings

    return decision.created_at + timedelta(days=current_settings().appeal_window_days)


# --- Notices -----------------------------------------------------------------------------------


def _statement_lines(decision: Decision) -> list[str]:
    lines = [f"Decision: {decision.get_action_display()} ({decision.policy.name})."]
    if decision.restricts:
        restrictions = [dsa.DecisionVisibility(v).label for v in decision.decision_visibility]
        if decision.decision_account:
            restrictions.append(decision.get_decision_account_display())
        if decision.decision_monetary:
            restrictions.append(decision.get_decision_monetary_display())
        if decision.decision_provision:
            restrictions.append(decision.get_decision_provision_display())
        lines.append("Restriction: " + "; ".join(restrictions) + ".")
        if decision.decision_ground == dsa.DecisionGround.ILLEGAL_CONTENT:
            lines.append(f"Ground: illegal content under {decision.illegal_content_legal_ground}.")
            lines.append(f"Why: {decision.illegal_content_explanation}")
        else:
            lines.append(
                f"Ground: incompatible with our terms ({decision.incompatible_content_ground})."
            )
            lines.append(f"Why: {decision.incompatible_content_explanation}")
        lines.append(f"Facts and circumstances: {decision.decision_facts}")
        automated = "was" if decision.automated_detection else "was not"
        lines.append(
            f"Automated means {automated} used to detect the content; the decision was "
            f"{decision.get_automated_decision_display().lower()}."
        )
        lines.append("Territorial scope: " + ", ".join(decision.territorial_scope) + ".")
        if decision.end_date:
            lines.append(f"The restriction ends on {decision.end_date:%Y-%m-%d}.")
    else:
        lines.append(f"Reasons: {decision.decision_facts}")
    return lines


def owner_notice_text(decision: Decision) -> str:
    lines = [
        f"{settings.SITE_NAME} reviewed your content {decision.case.content_id}.",
        *_statement_lines(decision),
    ]
    if decision.restricts:
        lines.append(
            f"You may appeal this decision until {appeal_deadline(decision):%Y-%m-%d}; another "
            "reviewer will look at it. You may also use an out-of-court dispute settlement body "
            "or a court."
        )
    return "\n".join(lines)


def reporter_notice_text(decision: Decision) -> str:
    outcome = (
        "We took action on the content you reported."
        if decision.restricts
        else "We reviewed the content you reported and found no violation."
    )
    return "\n".join(
        [
            f"Thank you for your report to {settings.SITE_NAME}. {outcome}",
            *_statement_lines(decision),
        ]
    )


def appeal_notice_text(appeal: Appeal) -> str:
    if appeal.outcome == AppealOutcome.REVERSE:
        return (
            f"Your appeal about {appeal.case.content_id} succeeded: a different reviewer "
            "reversed the decision and the restriction is lifted."
        )
    return (
        f"Your appeal about {appeal.case.content_id} was reviewed by a different reviewer, "
        "who upheld the decision. You may still use an out-of-court dispute settlement body "
        "or a court."
    )


def notices(decision: Decision) -> dict[str, Any]:
    """The notices of a decision. Reporters with an email address known to Safeharbor get it by
    email (``delivered_by_safeharbor``); the platform delivers the others with the text given."""
    case = decision.case
    reporters = []
    seen: set[str] = set()
    for report in case.reports.order_by("received_at"):
        key = report.reporter_id or report.reporter_email
        if not key or key in seen:
            continue
        seen.add(key)
        reporters.append(
            {
                "reporter_id": report.reporter_id or None,
                "delivered_by_safeharbor": bool(report.reporter_email),
                "text": reporter_notice_text(decision),
            }
        )
    return {
        "content_owner": {
            "recipient_id": case.author_id or None,
            "delivered_by_safeharbor": False,
            "text": owner_notice_text(decision),
        },
        "reporters": reporters,
    }
