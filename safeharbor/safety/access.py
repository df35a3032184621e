"""Who may see and change the directory's staff pages. What a user may not see is 404, never 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from safeharbor.safety.models import Organization

DIRECTORY_PERMISSION = "safety.change_organization"


def _require(condition: bool) -> None:
    if not condition:
        raise Http404


def require_directory_editor(user: Any) -> None:
    _require(user.is_authenticated)
    _require(user.has_perm(DIRECTORY_PERMISSION))


def editable_organizations_for_user(user: Any) -> QuerySet[Organization]:
    require_directory_editor(user)
    return Organization.objects.all()


def get_organization_for_user(user: Any, slug: str) -> Organization:
    organization = (
        editable_organizations_for_user(user)
        .select_related("replaced_by")
        .prefetch_related("contacts")
        .filter(slug=slug)
        .first()
    )
    _require(organization is not None)
    assert organization is not None
    return organization
