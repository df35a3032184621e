"""The API's one pagination convention: keyset cursors.

``?limit=N&cursor=C`` returns ``{"items": [...], "next_cursor": "..." | null}``, newest first.
Cursors are opaque, stable while rows are added, and cost the same on page 1 and page 10,000.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from safeharbor.core.problems import Problem


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, value = text.partition(":")
        if version != "v1":
            raise ValueError
        pk = int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            "invalid-parameter",
            "The cursor is not one this API gave out; start without it.",
            parameter="cursor",
        ) from None
    return pk


def reject_unknown_query(request: HttpRequest, *schemas: type[Schema]) -> None:
    """Query parameters that no schema declares are an error, as unknown body fields are: a typo
    such as ?actoin= must not silently return everything."""
    known = {name for schema in schemas for name in schema.model_fields}
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise Problem(
            "validation-error",
            f"Unknown query parameter(s): {', '.join(unknown)}.",
            errors=[
                {"loc": ["query", name], "msg": "Unknown parameter.", "type": "extra_forbidden"}
                for name in unknown
            ],
        )


class CursorPagination(PaginationBase):
    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="Items per page, 1 to 200.")
        cursor: str | None = Field(
            None, max_length=64, description="next_cursor of the previous page."
        )

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None = Field(
            description="Pass as ?cursor= for the next page; null at the end."
        )

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        queryset = queryset.order_by("-pk")
        if pagination.cursor:
            queryset = queryset.filter(pk__lt=decode_cursor(pagination.cursor))
        rows = list(queryset[: pagination.limit + 1])
        more = len(rows) > pagination.limit
        rows = rows[: pagination.limit]
        return {"items": rows, "next_cursor": encode_cursor(rows[-1].pk) if more else None}
