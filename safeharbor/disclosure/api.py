"""The vulnerability disclosure API: the program and scope, submission on a researcher's behalf,
and (with ``vdp:triage``) the security team's state changes and comments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import field_validator

from safeharbor.accounts.api_auth import APIKeyAuth, api_key_of
from safeharbor.accounts.models import User
from safeharbor.core.pagination import CursorPagination
from safeharbor.core.problems import Problem
from safeharbor.core.schemas import StrictSchema
from safeharbor.disclosure import access, services
from safeharbor.disclosure.models import (
    MAX_MARKDOWN_CHARS,
    Asset,
    Report,
    ReportState,
    Severity,
    Weakness,
)
from safeharbor.disclosure.severity import SeverityError, parse_cvss, resolve_severity
from safeharbor.disclosure.transitions import Actor

router = Router(tags=["Vulnerability disclosure"])


class AssetOut(Schema):
    id: int
    asset_type: str
    identifier: str
    in_scope: bool
    bounty_eligible: bool
    max_severity: str
    tier: int
    instructions: str


class BountyRangeOut(Schema):
    severity: str
    tier: int
    min_amount: Decimal
    max_amount: Decimal


class ProgramOut(Schema):
    name: str
    policy: str
    safe_harbor: list[str]
    disclosure_mode: str
    response_targets_business_days: dict[str, int]
    submissions_open: bool
    bounty_currency: str | None
    bounty_table_version: int | None
    bounty_ranges: list[BountyRangeOut]
    scope: list[AssetOut]


@router.get(
    "/vdp/program",
    response=ProgramOut,
    auth=APIKeyAuth("vdp:read"),
    summary="The program: policy, response targets, bounty table and scope",
)
def get_program(request: HttpRequest) -> dict[str, Any]:
    program = services.current_program()
    table = services.current_bounty_table()
    return {
        "name": program.name,
        "policy": program.policy,
        "safe_harbor": program.safe_harbor_elements,
        "disclosure_mode": program.disclosure_mode,
        "response_targets_business_days": {
            "first_response": program.first_response_days,
            "triage": program.triage_days,
            "bounty": program.bounty_days,
            "resolution": program.resolution_days,
        },
        "submissions_open": program.submissions_open,
        "bounty_currency": table.currency if table else None,
        "bounty_table_version": table.version if table else None,
        "bounty_ranges": list(table.ranges.all()) if table else [],
        "scope": list(Asset.objects.filter(archived=False)),
    }


class ReportIn(StrictSchema):
    researcher: str = Field(
        description="Username of the researcher on whose behalf the report is submitted.",
        max_length=150,
    )
    asset_id: int | None = None
    weakness: str | None = Field(None, description="A weakness code, e.g. CWE-79.", max_length=200)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=MAX_MARKDOWN_CHARS)
    steps_to_reproduce: str = Field("", max_length=MAX_MARKDOWN_CHARS)
    impact: str = Field("", max_length=MAX_MARKDOWN_CHARS)
    endpoint: str = Field("", max_length=500)
    parameter: str = Field("", max_length=200)
    cvss_vector: str = Field("", max_length=200, description="CVSS 3.1 or 4.0 base vector.")
    severity: Severity | None = Field(None, description="Used when no CVSS vector is given.")
    draft: bool = False

    @field_validator("cvss_vector")
    @classmethod
    def _check_vector(cls, value: str) -> str:
        # Raises with the cvss library's reason, which pydantic ties to this field.
        if value.strip():
            parse_cvss(value)
        return value


class ReportOut(Schema):
    id: int
    title: str
    state: str
    is_draft: bool
    asset_id: int | None
    weakness: str | None
    severity: str
    cvss_vector: str
    cvss_score: Decimal | None
    submitted_at: datetime | None
    disclosed: bool
    cve_id: str

    @staticmethod
    def resolve_weakness(report: Report) -> str | None:
        return report.weakness.code if report.weakness else None

    @staticmethod
    def resolve_disclosed(report: Report) -> bool:
        return report.is_disclosed


def _validation_problem(field: str, message: str) -> Problem:
    return Problem(
        "validation-error",
        f"Invalid fields: {field}.",
        errors=[{"loc": ["body", "payload", field], "msg": message, "type": "value_error"}],
    )


def _raise_service_error(error: services.DisclosureError) -> None:
    if isinstance(error, services.RateLimited):
        raise Problem("rate-limited", str(error), retry_after=error.retry_after) from None
    if isinstance(error, services.TransitionRefused):
        raise Problem("conflict", str(error)) from None
    if isinstance(error, services.SubmissionRefused):
        raise Problem("submission-refused", str(error)) from None
    raise _validation_problem(error.field or "payload", str(error)) from None


@router.post(
    "/vdp/reports",
    response={201: ReportOut},
    auth=APIKeyAuth("vdp:submit"),
    summary="Submit a vulnerability report on a researcher's behalf",
)
def create_report(request: HttpRequest, payload: ReportIn) -> Status:
    researcher = User.objects.filter(username=payload.researcher, is_active=True).first()
    if researcher is None or not access.may_submit(researcher):
        raise _validation_problem("researcher", "No active researcher has this username.")
    asset = None
    if payload.asset_id is not None:
        asset = Asset.objects.filter(pk=payload.asset_id, archived=False).first()
        if asset is None:
            raise _validation_problem("asset_id", "No such asset in the program's scope.")
    weakness = None
    if payload.weakness:
        weakness = Weakness.objects.filter(code=payload.weakness, active=True).first()
        if weakness is None:
            raise _validation_problem("weakness", "No such weakness code.")
    try:
        scored = resolve_severity(
            payload.cvss_vector, payload.severity.value if payload.severity else ""
        )
    except SeverityError as error:  # the schema checked the vector already
        raise _validation_problem("cvss_vector", str(error)) from None
    data = services.ReportInput(
        title=payload.title,
        description=payload.description,
        steps_to_reproduce=payload.steps_to_reproduce,
        impact=payload.impact,
        endpoint=payload.endpoint,
        parameter=payload.parameter,
        asset=asset,
        weakness=weakness,
        severity=scored,
    )
    try:
        report = services.submit_report(researcher, data, draft=payload.draft, request=request)
    except services.DisclosureError as error:
        _raise_service_error(error)
        raise
    return Status(201, report)


@router.get(
    "/vdp/reports",
    response=list[ReportOut],
    auth=APIKeyAuth("vdp:read"),
    summary="Reports this key submitted, and disclosed reports (every report for vdp:triage)",
)
@paginate(CursorPagination)
def list_reports(request: HttpRequest) -> QuerySet[Report]:
    return access.visible_reports_for_key(api_key_of(request)).select_related("weakness")


@router.get(
    "/vdp/reports/{report_id}",
    response=ReportOut,
    auth=APIKeyAuth("vdp:read"),
    summary="One report",
)
def get_report(request: HttpRequest, report_id: int) -> Report:
    return access.get_report_for_key(api_key_of(request), report_id, need="view")


class TransitionIn(StrictSchema):
    state: ReportState
    reason: str = Field("", max_length=2000)
    duplicate_of: int | None = Field(None, description="For duplicate: the earlier report's id.")
    credit_original: bool = Field(
        False, description="For duplicate: add this researcher to the original's reporters."
    )


@router.post(
    "/vdp/reports/{report_id}/transitions",
    response=ReportOut,
    auth=APIKeyAuth("vdp:triage"),
    summary="Change a report's state (409 with the reason when the move is not allowed)",
)
def transition_report(request: HttpRequest, report_id: int, payload: TransitionIn) -> Report:
    key = api_key_of(request)
    report = access.get_report_for_key(key, report_id, need="triage")
    original = None
    if payload.duplicate_of is not None:
        original = access.visible_reports_for_key(key).filter(pk=payload.duplicate_of).first()
        if original is None:
            raise _validation_problem("duplicate_of", "No such report.")
    try:
        return services.change_state(
            report,
            payload.state.value,
            actor=None,
            by=Actor.TEAM,
            reason=payload.reason,
            duplicate_of=original,
            credit_original=payload.credit_original,
            request=request,
        )
    except services.DisclosureError as error:
        _raise_service_error(error)
        raise


class CommentIn(StrictSchema):
    body: str = Field(min_length=1, max_length=MAX_MARKDOWN_CHARS)
    internal: bool = False


class CommentOut(Schema):
    id: int
    body: str
    internal: bool
    created_at: datetime


@router.post(
    "/vdp/reports/{report_id}/comments",
    response={201: CommentOut},
    auth=APIKeyAuth("vdp:triage"),
    summary="Comment on a report as the security team (internal notes stay internal)",
)
def comment_report(request: HttpRequest, report_id: int, payload: CommentIn) -> Status:
    report = access.get_report_for_key(api_key_of(request), report_id, need="triage")
    comment = services.add_comment(
        report, payload.body, actor=None, internal=payload.internal, request=request
    )
    return Status(201, comment)
