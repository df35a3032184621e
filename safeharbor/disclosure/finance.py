"""The payout export for finance: one CSV row per payout record (no payment processor)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from safeharbor.disclosure.models import Payout

COLUMNS = [
    "payout_id",
    "status",
    "reference",
    "paid_at",
    "bounty_id",
    "kind",
    "report_id",
    "researcher",
    "email",
    "amount",
    "bonus",
    "total",
    "currency",
    "bounty_table_version",
    "awarded_at",
    "note",
]


def _cell(value: object) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def payouts_csv(payouts: Iterable[Payout]) -> str:
    """``payouts`` should select ``bounty__report__researcher__researcher_profile``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for payout in payouts:
        bounty = payout.bounty
        researcher = bounty.report.researcher
        profile = getattr(researcher, "researcher_profile", None)
        writer.writerow(
            _cell(value)
            for value in (
                payout.pk,
                payout.status,
                payout.reference,
                payout.paid_at.isoformat() if payout.paid_at else "",
                bounty.pk,
                bounty.kind,
                bounty.report_id,
                profile.handle if profile else researcher.get_username(),
                researcher.email,
                bounty.amount,
                bounty.bonus,
                bounty.total,
                bounty.currency,
                bounty.table.version if bounty.table_id and bounty.table else "",
                bounty.created_at.isoformat(),
                bounty.note,
            )
        )
    return buffer.getvalue()
