"""Who may see which queues, cases and categories. Objects a user may not see are 404.

Child-safety cases (a category whose required role is child-safety) are visible only to holders
of ``moderation.review_child_safety_cases``: every case query goes through ``case_roles_for``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from safeharbor.moderation.models import (
    CHILD_SAFETY_ROLE,
    Appeal,
    Case,
    Decision,
    PolicyCategory,
    Queue,
    Report,
)


def case_roles_for(user: Any) -> list[str]:
    """The ``required_role`` values of the cases this user may see ([] = none)."""
    if not user.is_authenticated:
        return []
    roles = []
    if user.has_perm("moderation.review_cases"):
        roles.append("")
    if user.has_perm("moderation.review_child_safety_cases"):
        roles.append(CHILD_SAFETY_ROLE)
    return roles


def visible_queues_for_user(user: Any) -> QuerySet[Queue]:
    roles = case_roles_for(user)
    if not roles:
        raise Http404
    return Queue.objects.filter(required_role__in=roles)


def get_queue_for_user(user: Any, slug: str) -> Queue:
    queue = visible_queues_for_user(user).filter(slug=slug).first()
    if queue is None:
        raise Http404
    return queue


def get_case_for_user(user: Any, public_id: UUID) -> Case:
    roles = case_roles_for(user)
    if not roles:
        raise Http404
    case = (
        Case.objects.select_related("queue", "category", "claimed_by")
        .filter(public_id=public_id, required_role__in=roles)
        .first()
    )
    if case is None:
        raise Http404
    return case


def categories_for_admin(user: Any) -> QuerySet[PolicyCategory]:
    if not (user.is_authenticated and user.has_perm("moderation.change_policycategory")):
        raise Http404
    return PolicyCategory.objects.all()


def get_category_for_admin(user: Any, slug: str) -> PolicyCategory:
    category = categories_for_admin(user).filter(slug=slug).first()
    if category is None:
        raise Http404
    return category


def get_report_of_case(case: Case, public_id: UUID) -> Report:
    report = case.reports.filter(public_id=public_id).first()
    if report is None:
        raise Http404
    return report


def get_decision_for_user(user: Any, public_id: UUID) -> Decision:
    roles = case_roles_for(user)
    if not roles:
        raise Http404
    decision = (
        Decision.objects.select_related("case", "policy", "corrects")
        .filter(public_id=public_id, case__required_role__in=roles)
        .first()
    )
    if decision is None:
        raise Http404
    return decision


def get_decision_for_platform(public_id: UUID) -> Decision:
    """The platform's API key sees every decision (it enforces them all)."""
    decision = Decision.objects.select_related("case", "policy").filter(public_id=public_id).first()
    if decision is None:
        raise Http404
    return decision


def get_appeal_for_platform(public_id: UUID) -> Appeal:
    appeal = Appeal.objects.select_related("case", "decision").filter(public_id=public_id).first()
    if appeal is None:
        raise Http404
    return appeal


def check_figures_access(user: Any) -> None:
    if not (user.is_authenticated and user.has_perm("moderation.view_transparency_figures")):
        raise Http404


def check_settings_access(user: Any) -> None:
    if not (user.is_authenticated and user.has_perm("moderation.change_moderationsettings")):
        raise Http404
