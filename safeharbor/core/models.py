"""The hash-chained audit log.

Rows are appended only through ``safeharbor.core.audit.record_audit``. Each row stores the hash of
the row before it, and ``AuditChainHead`` remembers the last sequence number and hash so that even
the removal of the newest rows is detected by ``safeharbor audit verify``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.timezone import now as timezone_now


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Accounts with history are deactivated, never deleted: deleting would rewrite history.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    actor_label = models.CharField(max_length=200, editable=False)
    action = models.CharField(max_length=100, db_index=True, editable=False)
    target_type = models.CharField(max_length=100, blank=True, db_index=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    target_label = models.CharField(max_length=200, blank=True, editable=False)
    ip = models.CharField(max_length=45, blank=True, editable=False)
    details = models.JSONField(default=dict, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only and cannot be deleted.")


class AuditChainHead(models.Model):
    """One row: the sequence number and hash of the newest audit event."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head #{self.sequence}"


# --- Outbound webhooks (services in safeharbor.core.webhooks) ----------------------------------


class WebhookEndpoint(models.Model):
    """Where events go: one receiver of the platform, with its Standard Webhooks secret."""

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=2000)
    secret = models.CharField(
        max_length=200, help_text="Standard Webhooks secret (whsec_ + base64), shared with them."
    )
    enabled = models.BooleanField(default=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types sent to this endpoint; [] = all."
    )
    created_at = models.DateTimeField(default=timezone_now)
    updated_at = models.DateTimeField(default=timezone_now)

    class Meta:
        ordering = ["name", "pk"]
        permissions = [("replay_webhookdelivery", "Can see webhook deliveries and replay them")]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return self.enabled and (not self.event_types or event_type in self.event_types)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter"


class WebhookDelivery(models.Model):
    """One event for one endpoint. The ``message_id`` is the ``webhook-id`` header: the same on
    every attempt and replay, so the receiver can drop duplicates."""

    message_id = models.CharField(max_length=64, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="+")
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone_now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="core_webhook_due_idx",
                condition=models.Q(state="pending"),
            ),
            models.Index(fields=["state", "-created_at"], name="core_webhook_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
