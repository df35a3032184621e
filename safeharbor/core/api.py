from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from safeharbor.accounts.api_auth import APIKeyAuth
from safeharbor.core.models import AuditEvent
from safeharbor.core.pagination import CursorPagination
from safeharbor.core.problems import PROBLEM_TYPES, Problem
from safeharbor.core.schemas import AuditEventOut, ProblemTypeOut, StrictSchema

router = Router(tags=["core"])


class AuditFilters(StrictSchema):
    action: str | None = None
    target_type: str | None = None
    since: datetime | None = None


@router.get(
    "/audit-events", response=list[AuditEventOut], auth=APIKeyAuth("audit:read"),
    summary="List audit events, newest first",
)
@paginate(CursorPagination)
def list_audit_events(request: HttpRequest, filters: Query[AuditFilters]):  # type: ignore[no-untyped-def]
    events = AuditEvent.objects.all()
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.since:
        events = events.filter(created_at__gte=filters.since)
    return events


@router.get("/problems/{code}", response=ProblemTypeOut, auth=None, summary="Describe a problem type")
def describe_problem(request: HttpRequest, code: str) -> dict[str, object]:
    problem = PROBLEM_TYPES.get(code)
    if problem is None:
        raise Problem("not-found", f"There is no problem type {code!r}.")
    return {"type": problem.uri, "title": problem.title, "status": problem.status,
            "description": problem.description}
