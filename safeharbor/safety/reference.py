"""Load the curated directory and term lists shipped in safeharbor/safety/data/ (idempotent)."""

from __future__ import annotations


def load_reference_data() -> str:
    from safeharbor.safety.interventions.services import load_shipped_term_lists
    from safeharbor.safety.services import load_shipped_directory

    return f"{load_shipped_directory()}; {load_shipped_term_lists()}"
