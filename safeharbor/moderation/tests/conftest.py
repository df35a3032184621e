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
