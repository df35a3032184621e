"""What a match does: a moderation case at top priority, the media kept for it, a webhook.

A match on an enabled bank files one report per matched category (source "known-content hash
match", which ranks a case above every unmatched case of its tier: see moderation/priority.py),
so the content's case is opened or joined with the bank's category — a child sexual abuse
material bank's category routes it to the child-safety queue. The matches are recorded against
the case, the media (when it was uploaded) is kept encrypted for that case only, and the platform
is told by a signed ``hashmatch.matched`` webhook so it can quarantine the content at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from safeharbor.core.audit import record_audit
from safeharbor.core.webhooks import emit_event
from safeharbor.hashmatch.evidence import keep_media
from safeharbor.hashmatch.matching import Match
from safeharbor.hashmatch.models import HashMatch
from safeharbor.moderation.models import Case, ReportSource
from safeharbor.moderation.services import ReportData, submit_report

CONTENT_TYPES = {"image": "image", "video": "video"}


@dataclass(frozen=True)
class Content:
    """The platform's content the media belongs to."""

    content_id: str
    content_url: str = ""
    author_id: str = ""
    content_language: str = ""


@dataclass(frozen=True)
class Actioned:
    case: Case
    matches: list[HashMatch]


def _idempotency_key(content_id: str, match: Match) -> str:
    # One report per content, category and matched hash: matching the same upload again (a
    # retry, a re-scan) joins nothing twice.
    return f"hashmatch:{match.bank.category.slug}:{match.query_hash}:{content_id}"[:200]


def action_matches(
    matches: list[Match],
    content: Content,
    *,
    kind: str = "image",
    media: bytes | None = None,
    media_type: str = "application/octet-stream",
    api_key: Any = None,
) -> Actioned | None:
    """Open or join the content's case for these matches (nothing happens without matches)."""
    if not matches:
        return None
    per_category: dict[str, Match] = {}
    for match in matches:  # matches come most severe first; keep the closest per category
        known = per_category.get(match.bank.category.slug)
        if known is None or match.distance < known.distance:
            per_category[match.bank.category.slug] = match
    report = None
    new = False
    for slug, match in per_category.items():
        banks = sorted({m.bank.name for m in matches if m.bank.category.slug == slug})
        intake = submit_report(
            ReportData(
                content_id=content.content_id,
                category=slug,
                content_type=CONTENT_TYPES.get(kind, "other"),
                source=ReportSource.HASH_MATCH,
                content_url=content.content_url,
                content_language=content.content_language,
                author_id=content.author_id,
                media_hash=f"{match.signal_type}:{match.query_hash}",
                free_text=(
                    f"Matched {', '.join(banks)} ({match.signal_type}, distance {match.distance})."
                ),
            ),
            api_key=api_key,
            idempotency_key=_idempotency_key(content.content_id, match),
        )
        report = report or intake.report
        new = new or not intake.replayed
    assert report is not None
    case = Case.objects.get(pk=report.case_id)
    if not new:  # the same content and media matched before: already on its case, announced
        return Actioned(case, [])
    with transaction.atomic():
        rows = HashMatch.objects.bulk_create(
            HashMatch(
                content_id=content.content_id,
                signal_type=match.signal_type,
                query_hash=match.query_hash,
                distance=match.distance,
                bank=match.bank,
                entry=match.entry,
                case=case,
                report=report,
            )
            for match in matches
        )
        if media is not None:
            keep_media(case.pk, media, media_type)
        record_audit(
            "hashmatch.matched",
            target=case,
            details={
                "content_id": content.content_id,
                "matches": [_match_data(m) for m in matches],
                "media_kept": media is not None,
            },
        )
        emit_event(
            "hashmatch.matched",
            {
                "content_id": content.content_id,
                "case_id": str(case.public_id),
                "action": "quarantine",
                "category": case.category.slug,
                "matches": [_match_data(m) for m in matches],
            },
        )
    return Actioned(case, rows)


def _match_data(match: Match) -> dict[str, Any]:
    return {
        "bank": match.bank.slug,
        "signal_type": match.signal_type,
        "distance": match.distance,
        "entry_id": match.entry.pk,
        "category": match.bank.category.slug,
    }
