"""Who may read and edit the intervention term lists. Everyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from safeharbor.safety.models import TermListVersion

EDIT_PERMISSION = "safety.change_termlistversion"


def term_lists_for_user(user: Any) -> QuerySet[TermListVersion]:
    if not user.is_authenticated:
        raise Http404
    if not user.has_perm(EDIT_PERMISSION):
        raise Http404
    return TermListVersion.objects.all()


def get_version_for_user(user: Any, locale: str, number: int) -> TermListVersion:
    return get_object_or_404(term_lists_for_user(user), locale=locale, number=number)
