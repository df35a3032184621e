"""Term lists (versioned, edited by staff) and the intervention check.

The checked text is never stored or logged: only the aggregate counters of
``InterventionCount`` (day, locale, topic, level) change when a text is checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone

from safeharbor.core.audit import record_audit
from safeharbor.safety.interventions.matcher import (
    CRISIS,
    NONE,
    TOPIC,
    Verdict,
    forget_matchers,
    matcher_for,
    patterns_of,
)
from safeharbor.safety.models import InterventionCount, Organization, TermListVersion, Topic
from safeharbor.safety.services import csam_reporting_for, find_helplines

SHIPPED_LISTS = Path(__file__).resolve().parent.parent / "data" / "terms"
MAX_TEXT_CHARS = 10_000  # longer texts are refused before any work (413)
MAX_PHRASE_CHARS = 100
MAX_TERMS = 20_000
MAX_ALLOWED_PHRASES = 5_000
MAX_NOTE_CHARS = 300
TIERS = (CRISIS, TOPIC)
LOCALE_FORMAT = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


# --- Validating and saving term lists --------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem with one row of a list ("terms" or "allow"; rows count from 1)."""

    list: str
    row: int
    message: str

    def __str__(self) -> str:
        label = "Term" if self.list == "terms" else "Allowed phrase"
        return f"{label} row {self.row}: {self.message}"


class InvalidTermList(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors[:5]))
        self.errors = errors


def canonical_locale(locale: str) -> str:
    """ "es_mx" -> "es-MX" style: language in lower case, the rest as ISO writes it."""
    parts = locale.strip().replace("_", "-").split("-")
    head, rest = parts[0].lower(), parts[1:]
    return "-".join([head, *(p.upper() if len(p) == 2 else p.title() for p in rest)])


def validate_locale(locale: str) -> str | None:
    """An error message for a malformed locale, or None."""
    if not LOCALE_FORMAT.match(canonical_locale(locale)):
        return "Use a language tag such as en, es or pt-BR."
    return None


def _phrase_error(phrase: Any, seen: dict[str, int], row: int) -> str | None:
    if not isinstance(phrase, str) or not phrase.strip():
        return "The phrase is empty."
    if len(phrase) > MAX_PHRASE_CHARS:
        return f"Use at most {MAX_PHRASE_CHARS} characters (this has {len(phrase)})."
    # Judged on the patterns without their padding: "killmyself" repeats "kill myself".
    patterns = [pattern.strip(" ") for pattern, _ in patterns_of(phrase)]
    if not patterns:
        return "The phrase has no letters or digits left once normalized."
    for pattern in patterns:
        if pattern in seen:
            return (
                f"Same as row {seen[pattern]} once normalized ({pattern!r}): keep one of the two."
            )
    for pattern in patterns:
        seen[pattern] = row
    return None


def validate_term_list(terms: Sequence[Any], allow: Sequence[Any]) -> list[RowError]:
    """Every problem of a term list, row by row (an empty list when it can be saved)."""
    errors: list[RowError] = []
    if len(terms) > MAX_TERMS:
        errors.append(RowError("terms", MAX_TERMS + 1, f"At most {MAX_TERMS:,} terms."))
    if len(allow) > MAX_ALLOWED_PHRASES:
        errors.append(
            RowError("allow", MAX_ALLOWED_PHRASES + 1, f"At most {MAX_ALLOWED_PHRASES:,} phrases.")
        )
    if errors:
        return errors
    seen: dict[str, int] = {}
    for row, term in enumerate(terms, start=1):
        if not isinstance(term, dict):
            errors.append(RowError("terms", row, "Expected tier, topic and phrase."))
            continue
        if term.get("tier") not in TIERS:
            errors.append(
                RowError("terms", row, f"Unknown tier {term.get('tier')!r}: use crisis or topic.")
            )
        if term.get("topic") not in Topic.values:
            errors.append(
                RowError(
                    "terms",
                    row,
                    f"Unknown topic {term.get('topic')!r}: use one of {', '.join(Topic.values)}.",
                )
            )
        message = _phrase_error(term.get("phrase"), seen, row)
        if message:
            errors.append(RowError("terms", row, message))
    seen_allowed: dict[str, int] = {}
    for row, phrase in enumerate(allow, start=1):
        message = _phrase_error(phrase, seen_allowed, row)
        if message:
            errors.append(RowError("allow", row, message))
    return errors


def _clean_terms(terms: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"phrase": " ".join(t["phrase"].split()), "tier": t["tier"], "topic": t["topic"]}
        for t in terms
    ]


def _clean_allow(allow: Iterable[str]) -> list[str]:
    return [" ".join(phrase.split()) for phrase in allow]


def current_version(locale: str) -> TermListVersion | None:
    return TermListVersion.objects.filter(locale=locale).order_by("-number").first()


def current_versions() -> list[TermListVersion]:
    """The version in force of every locale that has a list."""
    newest = TermListVersion.objects.values("locale").annotate(number=Max("number"))
    wanted = {(row["locale"], row["number"]) for row in newest}
    versions = TermListVersion.objects.filter(locale__in={locale for locale, _ in wanted})
    return [v for v in versions.order_by("locale") if (v.locale, v.number) in wanted]


def save_term_list(
    locale: str,
    terms: Sequence[dict[str, Any]],
    allow: Sequence[str],
    *,
    by: Any,
    note: str = "",
    request: HttpRequest | None = None,
    action: str = "safety.term_list_saved",
    details: dict[str, Any] | None = None,
) -> TermListVersion:
    """Save a locale's term list as its next version (the one in force from now on).

    Raises InvalidTermList with every row's problem; nothing is saved then. Workers pick the
    new version up within ``matcher.RELOAD_SECONDS``; this process at once.
    """
    locale_error = validate_locale(locale)
    if locale_error:
        raise InvalidTermList([RowError("terms", 0, locale_error)])
    locale = canonical_locale(locale)
    errors = validate_term_list(terms, allow)
    if errors:
        raise InvalidTermList(errors)
    note = note.strip()[:MAX_NOTE_CHARS]
    with transaction.atomic():
        # Lock the newest row so two saves of one locale cannot take the same number (the
        # unique constraint would refuse the second one anyway).
        newest = (
            TermListVersion.objects.select_for_update()
            .filter(locale=locale)
            .order_by("-number")
            .first()
        )
        version = TermListVersion.objects.create(
            locale=locale,
            number=(newest.number + 1) if newest else 1,
            terms=_clean_terms(terms),
            allow=_clean_allow(allow),
            note=note,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        change = diff_term_lists(newest, version)
        record_audit(
            action,
            request=request,
            actor=by,
            target=version,
            details={
                "locale": locale,
                "number": version.number,
                "terms": len(version.terms),
                "allowed_phrases": len(version.allow),
                "terms_added": len(change.added),
                "terms_removed": len(change.removed),
                "terms_changed": len(change.changed),
                "allowed_added": len(change.allow_added),
                "allowed_removed": len(change.allow_removed),
                "note": note,
                **(details or {}),
            },
        )
        transaction.on_commit(lambda: forget_matchers(locale))
    return version


def restore_term_list(
    version: TermListVersion, by: Any, request: HttpRequest | None = None
) -> TermListVersion:
    """Put an earlier version back in force by saving a copy of it as the next version."""
    return save_term_list(
        version.locale,
        version.terms,
        version.allow,
        by=by,
        note=f"Restored from version {version.number}.",
        request=request,
        action="safety.term_list_restored",
        details={"restored_from": version.number},
    )


def load_shipped_term_lists() -> str:
    """Save the shipped term lists as version 1 of each locale that has none yet."""
    outcomes = []
    for path in sorted(SHIPPED_LISTS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        locale = document["locale"]
        if TermListVersion.objects.filter(locale=locale).exists():
            outcomes.append(f"{locale} kept")
            continue
        save_term_list(
            locale,
            document["terms"],
            document["allow"],
            by=None,
            note=document.get("note", "Shipped list."),
        )
        outcomes.append(f"{locale} saved as version 1 ({len(document['terms'])} terms)")
    return "term lists: " + (", ".join(outcomes) if outcomes else "none shipped")


# --- Comparing versions ----------------------------------------------------------------------


@dataclass
class TermListDiff:
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    # (before, after) for a phrase whose tier or topic changed
    changed: list[tuple[dict[str, str], dict[str, str]]] = field(default_factory=list)
    allow_added: list[str] = field(default_factory=list)
    allow_removed: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.allow_added or self.allow_removed
        )


def diff_term_lists(before: TermListVersion | None, after: TermListVersion) -> TermListDiff:
    """What changed from one version to the next (phrases compared as written, case-blind)."""
    old = {t["phrase"].casefold(): t for t in (before.terms if before else [])}
    new = {t["phrase"].casefold(): t for t in after.terms}
    old_allow = {p.casefold(): p for p in (before.allow if before else [])}
    new_allow = {p.casefold(): p for p in after.allow}
    return TermListDiff(
        added=[t for key, t in new.items() if key not in old],
        removed=[t for key, t in old.items() if key not in new],
        changed=[
            (old[key], t)
            for key, t in new.items()
            if key in old and (old[key]["tier"], old[key]["topic"]) != (t["tier"], t["topic"])
        ],
        allow_added=[p for key, p in new_allow.items() if key not in old_allow],
        allow_removed=[p for key, p in old_allow.items() if key not in new_allow],
    )


def previous_version(version: TermListVersion) -> TermListVersion | None:
    return (
        TermListVersion.objects.filter(locale=version.locale, number__lt=version.number)
        .order_by("-number")
        .first()
    )


# --- The check -------------------------------------------------------------------------------


@dataclass
class CheckResult:
    level: str
    topics: list[str]
    helplines: list[Organization]
    locale: str
    at: dt.datetime


def check_text(
    text: str, *, locale: str, country: str, at: dt.datetime | None = None
) -> CheckResult:
    """Decide whether a search or post should surface helplines, and which.

    ``locale`` must be one that has a term list and ``country`` an ISO 3166-1 alpha-2 code or
    empty (international services only); the API validates both first. The text is matched
    and forgotten: only the day's counter for each (topic, level) is incremented.
    """
    moment = at or timezone.now()
    matcher = matcher_for(locale)
    verdict = matcher.check(text) if matcher is not None else Verdict(NONE, [])
    helplines = helplines_for(verdict, country, moment) if verdict.level != NONE else []
    count_check(locale, verdict, day=moment.astimezone(dt.UTC).date())
    return CheckResult(verdict.level, verdict.topics, helplines, locale, moment)


def helplines_for(verdict: Verdict, country: str, at: dt.datetime) -> list[Organization]:
    """Helplines for every matched topic, merged: priority services first, then in the order
    of the topics (crisis tier first), national before international within a topic.
    Reporting child sexual abuse material points to the country's hotline. When no service
    covers the topics, the country's helplines are offered (a crisis line beats nothing)."""
    found: dict[int, tuple[int, Organization]] = {}
    for topic in verdict.topics:
        if topic == Topic.CSAM_REPORTING:
            organizations = csam_reporting_for(country) if country else []
        else:
            organizations = find_helplines(country, topic=topic, at=at)
        for organization in organizations:
            found.setdefault(organization.pk, (len(found), organization))
    if not found:
        for organization in find_helplines(country, topic=Topic.SUICIDE_AND_CRISIS, at=at) or (
            find_helplines(country, at=at)
        ):
            found.setdefault(organization.pk, (len(found), organization))
    ordered = sorted(found.values(), key=lambda item: (not item[1].priority, item[0]))
    return [organization for _, organization in ordered]


def _add_one(day: dt.date, locale: str, topic: str, level: str) -> int:
    return InterventionCount.objects.filter(
        day=day, locale=locale, topic=topic, level=level
    ).update(count=F("count") + 1)


def count_check(locale: str, verdict: Verdict, *, day: dt.date) -> None:
    """Add one to the day's counter of each matched topic at the verdict's level (or to the
    topic-less "none" counter). Safe under concurrent checks on SQLite and PostgreSQL: an
    UPDATE ... count = count + 1, and on a miss an INSERT that, if another request inserted
    the row first, falls back to the UPDATE."""
    keys = [(topic, verdict.level) for topic in verdict.topics] or [("", NONE)]
    for topic, level in keys:
        if _add_one(day, locale, topic, level):
            continue
        try:
            with transaction.atomic():
                InterventionCount.objects.create(
                    day=day, locale=locale, topic=topic, level=level, count=1
                )
        except IntegrityError:
            _add_one(day, locale, topic, level)
