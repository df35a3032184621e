"""The directory API: helplines and safety partners."""

from ninja import Router

router = Router(tags=["Safety Center"])
