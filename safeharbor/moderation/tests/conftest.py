from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from safeharbor.moderation.reference import load_reference_data


@pytest.fixture
def taxonomy(db: None) -> None:
    load_reference_data()


@pytest.fixture
def platform(taxonomy: None, make_api_client: Callable[..., Any]) -> Any:
    """The platform's service, with a key that may send reports."""
    return make_api_client("reports:write", name="platform")


@pytest.fixture
def send_report(platform: Any) -> Callable[..., Any]:
    """POST /api/v1/reports with sensible defaults; keyword arguments override fields."""

    def send(key: str | None = None, **fields: Any) -> Any:
        payload = {"content_id": "post-1", "category": "spam", "content_type": "text"}
        payload.update(fields)
        headers = {"Idempotency-Key": key} if key else {}
        import json

        return platform.client.post(
            "/api/v1/reports", json.dumps(payload), content_type="application/json", headers=headers
        )

    return send


@pytest.fixture
def receiver(settings: Any) -> Any:
    """The platform's webhook receiver, on 127.0.0.1."""
    from safeharbor.core.testing.webhook_receiver import WebhookReceiver

    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True
    local = WebhookReceiver().start()
    yield local
    local.stop()


@pytest.fixture
def platform_endpoint(receiver: Any) -> Any:
    from safeharbor.core.models import WebhookEndpoint
    from safeharbor.core.webhooks import new_secret

    return WebhookEndpoint.objects.create(name="platform", url=receiver.url(), secret=new_secret())


@pytest.fixture
def second_moderator(cast: Any) -> Any:
    """Another moderator (appeals need a reviewer other than the one who decided)."""
    from safeharbor.core.testing.cast import Member, make_staff, signed_in_client

    user = make_staff("moderator2", ["moderator"])
    return Member("moderator2", user, signed_in_client(user))


INCOMPATIBLE = {
    "action": "remove",
    "policy": "spam",
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Terms of service 4.2 (spam)",
    "incompatible_content_explanation": "Repeated identical commercial links.",
    "decision_facts": "The post repeats the same link forty times.",
    "territorial_scope": ["DE", "FR", "ES"],
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
}


@pytest.fixture
def decision_form() -> dict[str, Any]:
    return dict(INCOMPATIBLE)
