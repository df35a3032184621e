"""The vulnerability disclosure API."""

from ninja import Router

router = Router(tags=["Vulnerability disclosure"])
