"""The media hashing and matching API."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["Media hash matching"])
