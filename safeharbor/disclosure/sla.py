"""Response targets in business days (Monday to Friday; public holidays are not modelled)."""

from __future__ import annotations

from datetime import datetime, timedelta


def add_business_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` business days after ``start``. A report that arrives at the weekend
    starts its clock on Monday at the same time of day."""
    moment = start
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment
