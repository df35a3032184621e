"""A report's severity: a CVSS 3.1 or 4.0 vector scored by the ``cvss`` package, or a plain
rating. The library's own message explains an invalid vector."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from safeharbor.disclosure.models import SEVERITY_RANK, Severity


class SeverityError(ValueError):
    """The vector cannot be used; the message is the cvss library's reason."""


@dataclass(frozen=True)
class ScoredSeverity:
    severity: str  # a Severity value, or "" when not rated
    cvss_vector: str = ""
    cvss_score: Decimal | None = None


def parse_cvss(vector: str) -> ScoredSeverity:
    """Score a CVSS 3.1 or 4.0 base vector and keep the library's cleaned form of it."""
    vector = vector.strip()
    if vector.startswith("CVSS:4.0/"):
        try:
            scored4 = CVSS4(vector)
        except CVSSError as error:
            raise SeverityError(str(error)) from None
        return ScoredSeverity(
            scored4.severity.lower(), scored4.clean_vector(), Decimal(str(scored4.base_score))
        )
    if vector.startswith("CVSS:3.0/"):
        raise SeverityError("Use CVSS 3.1 or 4.0: CVSS 3.0 vectors are not accepted.")
    if not vector.startswith("CVSS:3.1/"):
        raise SeverityError(
            f'Malformed CVSS vector "{vector[:80]}": it must start with CVSS:3.1/ or CVSS:4.0/.'
        )
    try:
        scored3 = CVSS3(vector)
    except CVSSError as error:
        raise SeverityError(str(error)) from None
    return ScoredSeverity(
        scored3.severities()[0].lower(), scored3.clean_vector(), Decimal(str(scored3.scores()[0]))
    )


def resolve_severity(cvss_vector: str = "", rating: str = "") -> ScoredSeverity:
    """The vector wins when both are given: the rating is then derived from its score."""
    if cvss_vector.strip():
        return parse_cvss(cvss_vector)
    if rating and rating not in Severity.values:
        raise SeverityError(f"{rating!r} is not a rating; use one of {', '.join(Severity.values)}.")
    return ScoredSeverity(rating)


def capped(severity: str, maximum: str) -> str:
    """An asset's maximum severity caps the rating (the vector and score are kept as given)."""
    if severity and maximum and SEVERITY_RANK[severity] > SEVERITY_RANK[maximum]:
        return maximum
    return severity
