import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from ninja.pagination import paginate
from pydantic import field_validator

from safeharbor.accounts.api_auth import APIKeyAuth
from safeharbor.core.audit import record_audit
from safeharbor.core.models import AuditEvent
from safeharbor.core.pagination import CursorPagination, reject_unknown_query
from safeharbor.core.problems import PROBLEM_TYPES, Problem
from safeharbor.core.schemas import AuditEventOut, ProblemTypeOut, StrictSchema

router = Router(tags=["core"])


class AuditFilters(StrictSchema):
    action: str | None = None
    target_type: str | None = None
    since: datetime | None = None


@router.get(
    "/audit-events",
    response=list[AuditEventOut],
    auth=APIKeyAuth("audit:read"),
    summary="List audit events, newest first",
)
@paginate(CursorPagination)
def list_audit_events(request: HttpRequest, filters: Query[AuditFilters]):
    reject_unknown_query(request, AuditFilters, CursorPagination.Input)
    events = AuditEvent.objects.all()
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.since:
        events = events.filter(created_at__gte=filters.since)
    return events


MAX_DETAILS_BYTES = 8192


class PlatformAuditEventIn(StrictSchema):
    action: str = Field(
        max_length=90,
        pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
        description="What happened, dotted lower case; stored as platform.<action>.",
    )
    actor: str = Field("", max_length=150, description="Who did it on the platform (id or name).")
    target_type: str = Field("", max_length=90)
    target_id: str = Field("", max_length=64)
    target_label: str = Field("", max_length=200)
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("details")
    @classmethod
    def details_fit(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value)) > MAX_DETAILS_BYTES:
            raise ValueError(f"details must be at most {MAX_DETAILS_BYTES} bytes of JSON")
        return value


@router.post(
    "/audit-events",
    response={201: AuditEventOut},
    auth=APIKeyAuth("audit:write"),
    summary="Record a platform event in the tamper-evident audit log",
)
def create_audit_event(request: HttpRequest, payload: PlatformAuditEventIn) -> Status:
    event = record_audit(
        f"platform.{payload.action}",
        request=request,
        target_label=payload.target_label,
        details={
            **payload.details,
            # Set last so that a client's details cannot overwrite them.
            "platform_actor": payload.actor,
            "platform_target": {"type": payload.target_type, "id": payload.target_id},
        },
    )
    return Status(201, event)


@router.get(
    "/problems/{code}", response=ProblemTypeOut, auth=None, summary="Describe a problem type"
)
def describe_problem(request: HttpRequest, code: str) -> dict[str, object]:
    problem = PROBLEM_TYPES.get(code)
    if problem is None:
        raise Problem("not-found", f"There is no problem type {code!r}.")
    return {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
        "description": problem.description,
    }
