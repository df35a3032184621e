from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    """Input schemas refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ProblemTypeOut(Schema):
    type: str
    title: str
    status: int
    description: str


class AuditEventOut(Schema):
    sequence: int
    created_at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    ip: str
    details: dict[str, Any]
    hash: str

    @staticmethod
    def resolve_actor(event: Any) -> str:
        return str(event.actor_label)
