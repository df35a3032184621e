from __future__ import annotations

from uuid import UUID

from ninja import Schema
from pydantic import Field, field_validator, model_validator

from safeharbor.core.schemas import StrictSchema
from safeharbor.hashmatch.hashing import MediaHashes, parse_hash

MAX_BATCH = 100
MAX_PDQ_PER_ITEM = 8  # an image's dihedral set


class PdqOut(Schema):
    hash: str
    quality: int
    dihedral: list[str] = Field(description="The 8 rotations and reflections; the first is hash.")


class HashesOut(Schema):
    md5: str
    sha256: str
    size: int
    kind: str = Field(description="image, video or other.")
    pdq: PdqOut | None = Field(description="Null when the file has no usable PDQ hash.")
    pdq_unusable: str = Field(description="Why there is no PDQ hash (empty when there is).")

    @classmethod
    def of(cls, hashes: MediaHashes) -> HashesOut:
        pdq = hashes.pdq
        return cls(
            md5=hashes.md5,
            sha256=hashes.sha256,
            size=hashes.size,
            kind=hashes.kind,
            pdq=(
                PdqOut(hash=pdq.hash, quality=pdq.quality, dihedral=list(pdq.dihedral))
                if pdq is not None
                else None
            ),
            pdq_unusable=hashes.pdq_unusable,
        )


class MatchOut(Schema):
    bank: str
    bank_name: str
    category: str
    severity_tier: int
    signal_type: str
    distance: int
    entry_id: int
    query_hash: str = Field(description="The submitted hash that matched.")


class MatchResultOut(Schema):
    content_id: str
    matched: bool
    matches: list[MatchOut]
    case_id: UUID | None = Field(description="The moderation case the match opened or joined.")
    hashes: HashesOut | None = Field(
        default=None, description="The upload's hashes (uploads only)."
    )


class ContentIn(StrictSchema):
    content_id: str = Field(min_length=1, max_length=200, description="The platform's id.")
    content_url: str = Field("", max_length=2000, pattern=r"^(https?://\S+)?$")
    author_id: str = Field("", max_length=200)
    content_language: str = Field(
        "", max_length=16, pattern=r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)?$", description="BCP 47."
    )


class HashesIn(ContentIn):
    md5: str = Field("", description="32 hexadecimal characters.")
    sha256: str = Field("", description="64 hexadecimal characters.")
    pdq: list[str] = Field(
        default_factory=list,
        max_length=MAX_PDQ_PER_ITEM,
        description="PDQ hashes of one image (64 hex each): its hash, or all 8 dihedral hashes.",
    )

    @field_validator("md5", "sha256")
    @classmethod
    def _exact(cls, value: str, info: object) -> str:
        name = getattr(info, "field_name", "")
        return parse_hash(name, value) if value else ""

    @field_validator("pdq", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("pdq")
    @classmethod
    def _pdq(cls, value: list[str]) -> list[str]:
        return [parse_hash("pdq", item) for item in value]

    @model_validator(mode="after")
    def _some_hash(self) -> HashesIn:
        if not (self.md5 or self.sha256 or self.pdq):
            raise ValueError("Give at least one of md5, sha256 or pdq.")
        return self


class HashesBatchIn(StrictSchema):
    items: list[HashesIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItemOut(Schema):
    index: int
    filename: str = ""
    ok: bool
    error: str = Field(default="", description="Why this item failed (the others are unaffected).")


class HashBatchItemOut(BatchItemOut):
    hashes: HashesOut | None = None


class MatchBatchItemOut(BatchItemOut):
    result: MatchResultOut | None = None


class HashBatchOut(Schema):
    items: list[HashBatchItemOut]


class MatchBatchOut(Schema):
    items: list[MatchBatchItemOut]
