"""Background work of the core app. Tasks take ids and are idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_webhook(delivery_id: int) -> str:
    """One attempt of one webhook delivery, if it is still pending and due."""
    from safeharbor.core.webhooks import attempt_delivery

    return attempt_delivery(delivery_id)
