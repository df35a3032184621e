"""The one helper that writes audit rows, and the verifier of the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from safeharbor.core.models import AuditChainHead, AuditEvent
from safeharbor.core.requests import client_ip

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(
    *,
    sequence: int,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    ip: str,
    details: Any,
    prev_hash: str,
) -> str:
    payload = _canonical(
        [
            sequence,
            created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor_id,
            actor_label,
            action,
            target_type,
            target_id,
            target_label,
            ip,
            details,
            prev_hash,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _event_hash(event: AuditEvent) -> str:
    return compute_hash(
        sequence=event.sequence,
        created_at=event.created_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        target_label=event.target_label,
        ip=event.ip,
        details=event.details,
        prev_hash=event.prev_hash,
    )


def _describe_actor(actor: Any, request: HttpRequest | None) -> tuple[int | None, str]:
    # An API call acts as its key, even if a browser session cookie came along with it.
    api_key = getattr(request, "auth", None) if request is not None else None
    if api_key is not None and hasattr(api_key, "audit_label"):
        return None, api_key.audit_label
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, "system"


def record_audit(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row: who (actor or API key), did what (action), to what (target), from
    where (IP), when, with which details. Runs inside the caller's transaction, so the row exists
    exactly when the change it records does."""
    if actor is None and request is not None and getattr(request, "auth", None) is None:
        actor = getattr(request, "user", None)
    actor_id, actor_label = _describe_actor(actor, request)
    # Round-trip through JSON so that the hashed value is what the database gives back.
    normalized_details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, sequence=0, hash=GENESIS_HASH)
        event = AuditEvent(
            sequence=head.sequence + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label[:200],
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_label=(target_label or (str(target) if target is not None else ""))[:200],
            ip=client_ip(request) if request is not None else "",
            details=normalized_details,
            prev_hash=head.hash,
        )
        event.hash = _event_hash(event)
        event.save()
        head.sequence = event.sequence
        head.hash = event.hash
        head.save(update_fields=["sequence", "hash"])
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    reason: str = ""


def verify_audit_chain() -> ChainReport:
    """Walk the chain in order; report the first row whose content, link or place is wrong."""
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainReport(
                False,
                checked,
                expected_sequence,
                f"row #{expected_sequence} is missing (next row found is #{event.sequence})",
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.sequence,
                f"row #{event.sequence} does not link to the row before it",
            )
        if _event_hash(event) != event.hash:
            return ChainReport(
                False,
                checked,
                event.sequence,
                f"row #{event.sequence} was changed after it was written",
            )
        expected_prev = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_sequence = head.sequence if head else 0
    head_hash = head.hash if head else GENESIS_HASH
    if head_sequence > checked:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"rows #{checked + 1} to #{head_sequence} were removed: the log ends at row "
            f"#{checked} but its head records row #{head_sequence}",
        )
    if head_sequence < checked:
        return ChainReport(
            False,
            head_sequence,
            head_sequence + 1,
            f"rows from #{head_sequence + 1} on were added outside the audit service or the head "
            f"was rolled back: the head records row #{head_sequence}",
        )
    if head_hash != expected_prev and checked == 0:
        return ChainReport(False, 0, 1, "the log is empty but its head was altered")
    if head_hash != expected_prev:
        return ChainReport(
            False,
            checked - 1,
            checked,
            f"the head's hash differs from row #{checked}: the newest row or the head was altered",
        )
    return ChainReport(True, checked)
