from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import field_validator, model_validator

from safeharbor.core.schemas import StrictSchema

MAX_METADATA_BYTES = 8192
MAX_METADATA_KEYS = 50
MAX_CONTENT_TEXT = 20_000
MAX_FREE_TEXT = 5_000
IDENTIFIER = Field(max_length=200)

ContentTypeName = Literal[
    "text", "image", "video", "audio", "account", "message", "livestream", "other"
]


class ReportIn(StrictSchema):
    content_id: str = Field(
        min_length=1, max_length=200, description="The platform's id of the reported content."
    )
    category: str = Field(
        max_length=64, description="A policy category slug; see the categories of the taxonomy."
    )
    content_type: ContentTypeName = "other"
    content_url: str = Field(
        "", max_length=2000, pattern=r"^(https?://\S+)?$", description="http(s) address."
    )
    content_text: str = Field("", max_length=MAX_CONTENT_TEXT)
    content_metadata: dict[str, Any] = Field(
        default_factory=dict,
        description=f"At most {MAX_METADATA_KEYS} keys and {MAX_METADATA_BYTES} bytes as JSON. "
        "An integer `views` is used as the content's reach in the case priority.",
    )
    content_language: str = Field(
        "", max_length=16, pattern=r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)?$", description="BCP 47."
    )
    media_url: str = Field("", max_length=2000, pattern=r"^(https?://\S+)?$")
    media_hash: str = Field(
        "",
        max_length=80,
        pattern=r"^((sha256|pdq):[0-9a-f]{64}|md5:[0-9a-f]{32})?$",
        description="sha256:<hex>, md5:<hex> or pdq:<hex>.",
    )
    author_id: str = Field("", max_length=200)
    reporter_id: str = Field(
        "", max_length=200, description="The platform's id of the reporter; empty = anonymous."
    )
    text: str = Field("", max_length=MAX_FREE_TEXT, description="What the reporter wrote.")
    trusted_flagger: bool = Field(
        False, description="The notice comes from a trusted flagger (DSA Art. 22)."
    )
    source: Literal["user", "trusted_flagger", "automated"] = "user"
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Same as the Idempotency-Key header (use one or the other).",
    )

    @field_validator("content_metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_METADATA_KEYS:
            raise ValueError(f"at most {MAX_METADATA_KEYS} keys")
        if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
            raise ValueError(f"at most {MAX_METADATA_BYTES} bytes as JSON")
        return value

    @model_validator(mode="after")
    def _consistent_source(self) -> ReportIn:
        if self.trusted_flagger and self.source == "automated":
            raise ValueError("an automated report cannot come from a trusted flagger")
        return self


class ReportOut(Schema):
    id: UUID
    case_id: UUID
    category: str
    content_id: str
    source: str
    received_at: datetime


class CategoryOut(Schema):
    slug: str
    name: str
    description: str
    severity_tier: int
    dsa_category: str


class AppealIn(StrictSchema):
    decision_id: UUID = Field(description="The decision appealed (from the webhook).")
    appellant_id: str = Field(
        min_length=1, max_length=200, description="The platform's id of the content owner."
    )
    text: str = Field(
        min_length=1, max_length=MAX_FREE_TEXT, description="What the content owner wrote."
    )


class AppealOut(Schema):
    id: UUID
    decision_id: UUID
    case_id: UUID
    state: str
    outcome: str
    created_at: datetime
    decided_at: datetime | None
    new_decision_id: UUID | None


class TimeToActionOut(Schema):
    decisions: int
    median_hours: float | None
    p90_hours: float | None


class FiguresOut(Schema):
    start: datetime
    end: datetime
    reports_total: int
    reports_by_category: dict[str, int]
    reports_by_source: dict[str, int]
    decisions_total: int
    decisions_by_action: dict[str, int]
    decisions_by_category: dict[str, int]
    decisions_by_ground: dict[str, int]
    decisions_by_automation: dict[str, int]
    automated_detection: int
    appeals_filed: int
    appeals_upheld: int
    appeals_reversed: int
    time_to_action: TimeToActionOut
