"""Template filters of the disclosure program's metrics."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration_days(value: timedelta) -> str:
    """A median duration in words: hours under two days, days (one decimal) above."""
    hours = value.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"
