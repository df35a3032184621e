"""The moderation API: content reports and appeals from the platform, figures for transparency."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status

from safeharbor.accounts.api_auth import APIKeyAuth, api_key_of
from safeharbor.core.problems import Problem
from safeharbor.moderation.access import get_appeal_for_platform, get_decision_for_platform
from safeharbor.moderation.figures import moderation_figures
from safeharbor.moderation.models import Appeal, PolicyCategory
from safeharbor.moderation.schemas import (
    AppealIn,
    AppealOut,
    CategoryOut,
    FiguresOut,
    ReportIn,
    ReportOut,
)
from safeharbor.moderation.services import (
    AppealRefused,
    IdempotencyMismatch,
    Intake,
    ReportData,
    UnknownCategory,
    file_appeal,
    submit_report,
)

router = Router(tags=["Trust & safety"])

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _idempotency_key(request: HttpRequest, payload: ReportIn) -> str | None:
    header = request.headers.get("Idempotency-Key")
    if header is not None and not _IDEMPOTENCY_KEY.match(header):
        raise Problem(
            "validation-error",
            "The Idempotency-Key header must be 1 to 200 visible ASCII characters.",
            errors=[
                {"loc": ["header", "Idempotency-Key"], "msg": "Invalid key.", "type": "value_error"}
            ],
        )
    if header is not None and payload.idempotency_key not in (None, header):
        raise Problem(
            "validation-error",
            "The Idempotency-Key header and the idempotency_key field differ.",
            errors=[
                {
                    "loc": ["body", "idempotency_key"],
                    "msg": "Differs from the Idempotency-Key header.",
                    "type": "value_error",
                }
            ],
        )
    return header or payload.idempotency_key


def _report_out(intake: Intake) -> ReportOut:
    report = intake.report
    return ReportOut(
        id=report.public_id,
        case_id=report.case.public_id,
        category=report.category.slug,
        content_id=report.content_id,
        source=report.source,
        received_at=report.received_at,
    )


@router.post(
    "/reports",
    response={201: ReportOut},
    auth=APIKeyAuth("reports:write"),
    summary="Report content",
    description=(
        "Stores the report (committed before the answer) and joins it to the open case about "
        "the same content_id, or opens one. Send an `Idempotency-Key` header (or the "
        "`idempotency_key` field): retrying with the same key returns the first answer, with "
        "`Idempotent-Replayed: true`, and stores nothing new. An unknown category is a 422 "
        "whose `valid_categories` lists the accepted slugs."
    ),
)
def create_report(request: HttpRequest, response: HttpResponse, payload: ReportIn) -> object:
    key = _idempotency_key(request, payload)
    data = ReportData(
        content_id=payload.content_id,
        category=payload.category,
        content_type=payload.content_type,
        source="trusted_flagger" if payload.trusted_flagger else payload.source,
        trusted_flagger=payload.trusted_flagger,
        reporter_id=payload.reporter_id,
        content_url=payload.content_url,
        content_text=payload.content_text,
        content_metadata=payload.content_metadata,
        content_language=payload.content_language,
        media_url=payload.media_url,
        media_hash=payload.media_hash,
        author_id=payload.author_id,
        free_text=payload.text,
    )
    try:
        intake = submit_report(data, api_key=api_key_of(request), idempotency_key=key)
    except UnknownCategory as error:
        raise Problem(
            "validation-error",
            f"Unknown category {payload.category!r}; valid_categories lists the accepted ones.",
            errors=[{"loc": ["body", "category"], "msg": "Unknown category.", "type": "enum"}],
            valid_categories=error.valid,
        ) from None
    except IdempotencyMismatch as error:
        raise Problem("idempotency-key-reused", str(error)) from None
    if intake.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, _report_out(intake))


@router.get(
    "/reports/categories",
    response=list[CategoryOut],
    auth=APIKeyAuth("reports:write"),
    summary="The policy categories a report may name",
)
def list_categories(request: HttpRequest) -> object:
    return list(PolicyCategory.objects.filter(active=True))


# --- Appeals -----------------------------------------------------------------------------------


def _appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        id=appeal.public_id,
        decision_id=appeal.decision.public_id,
        case_id=appeal.case.public_id,
        state=appeal.state,
        outcome=appeal.outcome,
        created_at=appeal.created_at,
        decided_at=appeal.decided_at,
        new_decision_id=appeal.outcome_decision.public_id if appeal.outcome_decision else None,
    )


@router.post(
    "/appeals",
    response={201: AppealOut},
    auth=APIKeyAuth("appeals:write"),
    summary="Appeal a decision for its content owner",
    description=(
        "The content owner contests a decision (DSA Art. 20) within the installation's appeal "
        "window. The case returns to its queue; a reviewer other than the one who decided "
        "upholds or reverses, and the outcome is sent as a `moderation.appeal_decided` webhook. "
        "One appeal per decision: a second is a 409 `conflict` with `appeal_id`. Out of the "
        "window: 409 `appeal-window-closed` with `deadline`. Not the content owner: 403 "
        "`not-content-owner`."
    ),
)
def create_appeal(request: HttpRequest, payload: AppealIn) -> object:
    decision = get_decision_for_platform(payload.decision_id)
    try:
        appeal = file_appeal(
            decision, appellant_id=payload.appellant_id, text=payload.text, request=request
        )
    except AppealRefused as error:
        raise Problem(error.code, str(error), **error.extensions) from None
    return Status(201, _appeal_out(appeal))


@router.get(
    "/appeals/{appeal_id}",
    response=AppealOut,
    auth=APIKeyAuth("appeals:write"),
    summary="An appeal and its outcome",
)
def get_appeal(request: HttpRequest, appeal_id: UUID) -> object:
    return _appeal_out(get_appeal_for_platform(appeal_id))


# --- Figures -----------------------------------------------------------------------------------


@router.get(
    "/moderation/figures",
    response=FiguresOut,
    auth=APIKeyAuth("figures:read"),
    summary="Moderation figures for a period",
    description=(
        "Reports received and decisions made from `start` to `end` (dates, both included, in "
        "the installation's time zone): counts by category, source, action, ground and "
        "automation, appeals, and time to action (first report to first decision, median and "
        "90th percentile in hours)."
    ),
)
def get_figures(request: HttpRequest, start: date, end: date) -> object:
    if start > end:
        raise Problem(
            "validation-error",
            "The end date is before the start date.",
            errors=[{"loc": ["query", "end"], "msg": "Before start.", "type": "value_error"}],
        )
    tz = timezone.get_current_timezone()
    return moderation_figures(
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    ).as_dict()
