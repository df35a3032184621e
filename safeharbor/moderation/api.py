"""The moderation API: content reports from the platform."""

from ninja import Router

router = Router(tags=["Trust & safety"])
