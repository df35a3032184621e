"""The crisis-intervention check for the platform's search and posting flows."""

from ninja import Router

router = Router(tags=["Interventions"])
