"""Load the curated directory and term lists shipped in safeharbor/safety/data/ (idempotent)."""

from __future__ import annotations


def load_reference_data() -> str:
    return "nothing to load yet"
