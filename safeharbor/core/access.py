"""Who may read the audit log. Objects a user may not see are 404, never 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from safeharbor.core.models import AuditEvent, WebhookDelivery, WebhookEndpoint


def visible_audit_events_for_user(user: Any) -> QuerySet[AuditEvent]:
    if not (user.is_authenticated and user.has_perm("core.view_auditevent")):
        raise Http404
    return AuditEvent.objects.all()


def webhook_deliveries_for_user(user: Any) -> QuerySet[WebhookDelivery]:
    if not (user.is_authenticated and user.has_perm("core.replay_webhookdelivery")):
        raise Http404
    return WebhookDelivery.objects.select_related("endpoint")


def get_webhook_delivery_for_user(user: Any, delivery_id: int) -> WebhookDelivery:
    delivery = webhook_deliveries_for_user(user).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    return delivery


def webhook_endpoints_for_user(user: Any) -> QuerySet[WebhookEndpoint]:
    if not (user.is_authenticated and user.has_perm("core.change_webhookendpoint")):
        raise Http404
    return WebhookEndpoint.objects.all()


def get_webhook_endpoint_for_user(user: Any, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoints_for_user(user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint
