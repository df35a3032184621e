"""Who may read the audit log. Objects a user may not see are 404, never 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from safeharbor.core.models import AuditEvent


def visible_audit_events_for_user(user: Any) -> QuerySet[AuditEvent]:
    if not (user.is_authenticated and user.has_perm("core.view_auditevent")):
        raise Http404
    return AuditEvent.objects.all()
