"""Outbound webhooks, signed with Standard Webhooks (the ``standardwebhooks`` library).

Any app announces an event with ``emit_event(event_type, data)`` inside the transaction of the
change it announces: one ``WebhookDelivery`` per enabled endpoint that wants the event is stored
with the change, and its first attempt is enqueued after commit. An attempt that fails is retried
after 1 min, 5 min, 30 min, 2 h and 12 h; after the sixth failed attempt the delivery is a dead
letter, which an administrator can replay from /webhooks/.

Every attempt of one delivery carries the same ``webhook-id`` (receivers drop duplicates by it),
a fresh ``webhook-timestamp`` and the signature of ``id.timestamp.body``.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from standardwebhooks import Webhook

from safeharbor.core.audit import record_audit
from safeharbor.core.http_client import OutboundBadStatus, OutboundError, fetch
from safeharbor.core.models import DeliveryState, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; one more failure after the last is a dead letter.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
ATTEMPT_TIMEOUT = 10.0
# While one worker sends, the delivery is not due for anyone else (longer than an attempt lasts).
ATTEMPT_LEASE = timedelta(minutes=2)
MAX_ANSWER_BYTES = 64 * 1024


class WebhookError(ValueError):
    """A request about webhooks that cannot be carried out; the message is shown as it is."""


def new_secret() -> str:
    """A fresh Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def body_of(delivery: WebhookDelivery) -> str:
    """The exact bytes sent (and signed): the same on every attempt."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)


def signed_headers(delivery: WebhookDelivery, body: str, when: datetime) -> dict[str, str]:
    signature = Webhook(delivery.endpoint.secret).sign(
        msg_id=delivery.message_id, timestamp=when.astimezone(UTC), data=body
    )
    return {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


# --- Announcing events -------------------------------------------------------------------------


def emit_event(event_type: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Store one delivery of the event per enabled endpoint that wants it; each is first sent
    after the surrounding transaction commits. Returns the deliveries (none without endpoints)."""
    now = timezone.now()
    # Round-trip through JSON so what is stored is what is sent (dates as ISO 8601 strings).
    normalized = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    deliveries = []
    for endpoint in WebhookEndpoint.objects.filter(enabled=True):
        if not endpoint.wants(event_type):
            continue
        message_id = "msg_" + uuid.uuid4().hex
        delivery = WebhookDelivery.objects.create(
            message_id=message_id,
            endpoint=endpoint,
            event_type=event_type,
            payload={
                "type": event_type,
                "timestamp": now.isoformat().replace("+00:00", "Z"),
                "data": normalized,
            },
            next_attempt_at=now,
            created_at=now,
        )
        deliveries.append(delivery)
        _enqueue_after_commit(delivery.pk, None)
    return deliveries


def _enqueue_after_commit(delivery_id: int, when: datetime | None) -> None:
    from safeharbor.core.tasks import deliver_webhook

    def enqueue() -> None:
        if when is None:
            deliver_webhook.enqueue(delivery_id)
        elif deliver_webhook.get_backend().supports_defer:
            deliver_webhook.using(run_after=when).enqueue(delivery_id)
        # A backend that cannot defer (immediate, in tests) leaves the retry to
        # ``deliver_due_webhooks`` (``safeharbor webhooks deliver-due``).

    transaction.on_commit(enqueue)


# --- Sending -----------------------------------------------------------------------------------


def attempt_delivery(delivery_id: int) -> str:
    """Send the delivery once if it is pending and due; record the outcome and schedule the next
    attempt or declare it dead. Idempotent: a delivered, dead, not-yet-due or currently-sending
    delivery is left alone. Returns the delivery's state afterwards ("missing" if none)."""
    now = timezone.now()
    taken = (
        WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + ATTEMPT_LEASE)
    )
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "missing"
    if not taken:
        return delivery.state
    status, error = _send(delivery, now)
    with transaction.atomic():
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status = status
        delivery.last_error = error[:500]
        if not error:
            delivery.state = DeliveryState.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = DeliveryState.DEAD
            delivery.next_attempt_at = None
            record_audit(
                "core.webhook_dead",
                target=delivery,
                details={
                    "event_type": delivery.event_type,
                    "endpoint": delivery.endpoint.name,
                    "attempts": delivery.attempts,
                    "last_status": status,
                    "last_error": delivery.last_error,
                },
            )
        else:
            wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
            delivery.next_attempt_at = now + wait
            _enqueue_after_commit(delivery.pk, delivery.next_attempt_at)
        delivery.save()
    if error:
        logger.warning(
            "Webhook %s to %s failed (attempt %s): %s",
            delivery.message_id,
            delivery.endpoint.name,
            delivery.attempts,
            delivery.last_error,
        )
    return delivery.state


def _send(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, str]:
    """(status, error): error is "" on a 2xx answer."""
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        return None, "The endpoint is disabled."
    body = body_of(delivery)
    try:
        response = fetch(
            "POST",
            endpoint.url,
            headers=signed_headers(delivery, body, now),
            body=body.encode(),
            timeout=ATTEMPT_TIMEOUT,
            retries=0,  # the backoff schedule above is the retry policy
            max_bytes=MAX_ANSWER_BYTES,
        )
    except OutboundBadStatus as error:
        return error.status, str(error)
    except OutboundError as error:
        return None, str(error)
    if not 200 <= response.status < 300:
        return response.status, f"The endpoint answered {response.status}; 2xx is required."
    return response.status, ""


def deliver_due_webhooks(limit: int = 500) -> int:
    """Attempt every pending delivery whose time has come (after a crash, or where the task
    backend cannot defer tasks). Returns the number attempted."""
    due = WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
    count = 0
    for delivery_id in list(due):
        attempt_delivery(delivery_id)
        count += 1
    return count


# --- Administration ----------------------------------------------------------------------------


def replay_delivery(
    delivery: WebhookDelivery, *, actor: Any, request: HttpRequest | None = None
) -> WebhookDelivery:
    """Send a dead letter once more (same webhook-id, fresh signature). If that attempt fails
    too, it is a dead letter again."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.state != DeliveryState.DEAD:
            raise WebhookError("Only dead letters can be replayed.")
        locked.state = DeliveryState.PENDING
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["state", "next_attempt_at"])
        record_audit(
            "core.webhook_replayed",
            actor=actor,
            request=request,
            target=locked,
            details={
                "event_type": locked.event_type,
                "endpoint": locked.endpoint.name,
                "attempts": locked.attempts,
            },
        )
        _enqueue_after_commit(locked.pk, None)
    return locked


def save_endpoint(
    endpoint: WebhookEndpoint,
    changes: dict[str, Any],
    *,
    actor: Any,
    request: HttpRequest | None = None,
    rotate_secret: bool = False,
) -> WebhookEndpoint:
    """Create (no pk yet) or change an endpoint; a new endpoint gets a fresh secret. The audit
    row names what changed, never the secret."""
    with transaction.atomic():
        creating = endpoint.pk is None
        changed = {
            name: [None if creating else getattr(endpoint, name), value]
            for name, value in changes.items()
            if creating or getattr(endpoint, name) != value
        }
        for name, value in changes.items():
            setattr(endpoint, name, value)
        if creating or rotate_secret:
            endpoint.secret = new_secret()
        endpoint.updated_at = timezone.now()
        endpoint.save()
        record_audit(
            "core.webhook_endpoint_created" if creating else "core.webhook_endpoint_changed",
            actor=actor,
            request=request,
            target=endpoint,
            details={"changed": changed, "secret_rotated": rotate_secret and not creating},
        )
    return endpoint


def delivery_counts() -> dict[str, int]:
    rows = WebhookDelivery.objects.values("state").annotate(count=models.Count("pk"))
    counts = {state.value: 0 for state in DeliveryState}
    counts.update({row["state"]: row["count"] for row in rows})
    return counts
