"""Hash banks: the services that create, change, fill and empty them.

Every function here runs in one transaction and writes one audit row for the change it makes (a
bulk import is one row with its counts, never one per hash). Callers check who may act through
``access.py`` first. Field problems raise ``ValidationError`` (by field); state problems raise
``BankError`` with a message for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from safeharbor.core.audit import record_audit
from safeharbor.hashmatch import bank_io
from safeharbor.hashmatch.hashing import UnreadableMedia, hash_media, parse_hash
from safeharbor.hashmatch.models import (
    PDQ_MATCH_THRESHOLD,
    PDQ_MIN_QUALITY,
    BankEntry,
    HashBank,
    HashMatch,
    KeptMedia,
    SignalType,
)
from safeharbor.moderation.models import Case, CaseState, PolicyCategory

MAX_MATCH_THRESHOLD = 63  # PDQ distances above this match unrelated images
IMPORT_BATCH = 5000
MAX_REPORTED_ERRORS = 1000
# Paths under /hashes/ that a bank slug must not shadow.
RESERVED_SLUGS = frozenset({"new", "matches", "cases"})
EDITABLE_FIELDS = (
    "name",
    "description",
    "source",
    "category",
    "severity_tier",
    "match_threshold",
)


class BankError(Exception):
    """The change cannot be made in the bank's present state; the message says why."""


class BankInUse(BankError):
    pass


class NoUsableHash(BankError):
    pass


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Banks -------------------------------------------------------------------------------------


def _check_bank(bank: HashBank) -> None:
    errors: dict[str, list[str]] = {}
    try:
        bank.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if bank.slug in RESERVED_SLUGS:
        errors.setdefault("slug", []).append(
            f"“{bank.slug}” is a page of its own under /hashes/; choose another slug."
        )
    if not 0 <= bank.match_threshold <= MAX_MATCH_THRESHOLD:
        errors.setdefault("match_threshold", []).append(
            f"The PDQ match threshold is a distance from 0 to {MAX_MATCH_THRESHOLD} "
            f"(recommended: {PDQ_MATCH_THRESHOLD})."
        )
    if not bank.category.active:
        errors.setdefault("category", []).append(
            f"The category “{bank.category.name}” is retired; choose an active one."
        )
    if errors:
        raise ValidationError(errors)


def _bank_facts(bank: HashBank) -> dict[str, Any]:
    return {
        "slug": bank.slug,
        "signal_type": bank.signal_type,
        "category": bank.category.slug,
        "severity_tier": bank.severity_tier,
        "source": bank.source,
        "enabled": bank.enabled,
        "match_threshold": bank.match_threshold,
    }


def create_bank(
    *,
    slug: str,
    name: str,
    signal_type: str,
    category: PolicyCategory,
    actor: Any,
    request: HttpRequest | None = None,
    description: str = "",
    source: str = "",
    severity_tier: int | None = None,
    enabled: bool = True,
    match_threshold: int = PDQ_MATCH_THRESHOLD,
) -> HashBank:
    """A new bank. Its signal type is fixed from now on; the severity tier defaults to its
    category's."""
    now = timezone.now()
    bank = HashBank(
        slug=slug,
        name=name,
        description=description,
        signal_type=signal_type,
        source=source,
        category=category,
        severity_tier=category.severity_tier if severity_tier is None else severity_tier,
        enabled=enabled,
        match_threshold=match_threshold,
        created_at=now,
        updated_at=now,
    )
    _check_bank(bank)
    with transaction.atomic():
        if HashBank.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": [f"A bank with the slug “{slug}” exists already."]})
        bank.save()
        record_audit(
            "hashmatch.bank_created",
            actor=actor,
            request=request,
            target=bank,
            details=_bank_facts(bank),
        )
    return bank


def update_bank(
    bank: HashBank, changes: dict[str, Any], *, actor: Any, request: HttpRequest | None = None
) -> HashBank:
    """Change a bank's editable fields; the audit row records before and after. The slug and
    signal type never change (scripts and stored matches rely on them)."""
    for name in ("slug", "signal_type"):
        if name in changes and changes[name] != getattr(bank, name):
            raise ValidationError(
                {name: ["This cannot change once the bank exists; create a new bank instead."]}
            )
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"slug", "signal_type"}
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = HashBank.objects.select_for_update().select_related("category").get(pk=bank.pk)
        changed: dict[str, list[Any]] = {}
        for name in EDITABLE_FIELDS:
            if name in changes and getattr(locked, name) != changes[name]:
                before = getattr(locked, name)
                changed[name] = [
                    before.slug if isinstance(before, PolicyCategory) else before,
                    changes[name].slug
                    if isinstance(changes[name], PolicyCategory)
                    else changes[name],
                ]
                setattr(locked, name, changes[name])
        if not changed:
            return locked
        _check_bank(locked)
        locked.updated_at = timezone.now()
        locked.save()
        record_audit(
            "hashmatch.bank_changed",
            actor=actor,
            request=request,
            target=locked,
            details={"changed": changed},
        )
    return locked


def set_bank_enabled(
    bank: HashBank,
    enabled: bool,
    *,
    actor: Any,
    reason: str = "",
    request: HttpRequest | None = None,
) -> HashBank:
    """Turn a whole bank on or off. A disabled bank matches nothing; its entries and past
    matches stay."""
    with transaction.atomic():
        locked = HashBank.objects.select_for_update().get(pk=bank.pk)
        if locked.enabled == enabled:
            return locked
        locked.enabled = enabled
        locked.updated_at = timezone.now()
        locked.save(update_fields=["enabled", "updated_at"])
        record_audit(
            "hashmatch.bank_enabled" if enabled else "hashmatch.bank_disabled",
            actor=actor,
            request=request,
            target=locked,
            details={"reason": reason.strip()} if reason.strip() else {},
        )
    return locked


def delete_bank(bank: HashBank, *, actor: Any, request: HttpRequest | None = None) -> int:
    """Delete a bank and all its entries; returns how many entries went. A bank that has matched
    cannot go (its matches are the evidence trail of cases): disable it instead."""
    with transaction.atomic():
        locked = HashBank.objects.select_for_update().get(pk=bank.pk)
        matches = HashMatch.objects.filter(bank=locked).count()
        if matches:
            raise BankInUse(
                f"“{locked.name}” has {matches} match{'es' if matches != 1 else ''} that cases "
                "refer to, so it cannot be deleted. Disable it instead: it then matches nothing, "
                "and the matches stay as the cases' evidence."
            )
        entries = BankEntry.objects.filter(bank=locked).count()
        # One statement instead of Django's collector, which would load every entry (banks hold
        # millions) to null HashMatch.entry; no match refers to this bank's entries (checked).
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {BankEntry._meta.db_table} WHERE bank_id = %s",  # noqa: S608
                [locked.pk],
            )
        record_audit(
            "hashmatch.bank_deleted",
            actor=actor,
            request=request,
            target_label=locked.name,
            details={**_bank_facts(locked), "entries": entries},
        )
        locked.delete()
    return entries


# --- Entries -----------------------------------------------------------------------------------


def add_entry(
    bank: HashBank,
    value: str,
    *,
    actor: Any,
    note: str = "",
    origin: str = "",
    request: HttpRequest | None = None,
) -> BankEntry:
    """Add one hash (validated and normalized for the bank's signal type)."""
    try:
        normalized = parse_hash(bank.signal_type, value.strip())
    except ValueError as error:
        raise ValidationError({"value": [str(error)]}) from None
    note = note.strip()
    if len(note) > bank_io.MAX_NOTE_CHARS:
        raise ValidationError(
            {"note": [f"The note is longer than {bank_io.MAX_NOTE_CHARS} characters."]}
        )
    with transaction.atomic():
        locked = HashBank.objects.select_for_update().get(pk=bank.pk)
        if BankEntry.objects.filter(bank=locked, value=normalized).exists():
            raise BankError(f"{normalized} is in “{locked.name}” already.")
        entry = BankEntry.objects.create(
            bank=locked,
            signal_type=locked.signal_type,
            value=normalized,
            note=note,
            origin=(origin or "added by hand")[:200],
            added_by=_user(actor),
        )
        record_audit(
            "hashmatch.entry_added",
            actor=actor,
            request=request,
            target=entry,
            details={"bank": locked.slug, "value": normalized, "origin": entry.origin},
        )
    return entry


def set_entry_enabled(
    entry: BankEntry,
    enabled: bool,
    *,
    actor: Any,
    reason: str = "",
    request: HttpRequest | None = None,
) -> BankEntry:
    """Disable one entry (a hash that matched the wrong content, say), with the reason, or
    enable it again. A disabled entry never matches."""
    reason = reason.strip()
    if not enabled and not reason:
        raise ValidationError({"reason": ["Say why the entry is disabled."]})
    if len(reason) > 500:
        raise ValidationError({"reason": ["Keep the reason under 500 characters."]})
    with transaction.atomic():
        locked = BankEntry.objects.select_for_update().select_related("bank").get(pk=entry.pk)
        if locked.enabled == enabled:
            return locked
        locked.enabled = enabled
        locked.disabled_at = None if enabled else timezone.now()
        locked.disabled_reason = "" if enabled else reason
        locked.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
        details: dict[str, Any] = {"bank": locked.bank.slug, "value": locked.value}
        if reason:
            details["reason"] = reason
        record_audit(
            "hashmatch.entry_enabled" if enabled else "hashmatch.entry_disabled",
            actor=actor,
            request=request,
            target=locked,
            details=details,
        )
    return locked


# --- Import and export -------------------------------------------------------------------------


@dataclass
class ImportResult:
    bank: str
    file: str
    dry_run: bool = False
    file_format: str = ""
    lines_read: int = 0
    hashes_read: int = 0
    added: int = 0
    already_in_bank: int = 0
    repeated_in_file: int = 0
    errors: list[bank_io.LineError] = field(default_factory=list)
    error_count: int = 0
    applied: bool = False

    @property
    def errors_not_shown(self) -> int:
        return self.error_count - len(self.errors)

    def summary(self) -> str:
        verb = "would be added" if not self.applied else "added"
        parts = [
            f"{self.hashes_read:,} hash{'es' if self.hashes_read != 1 else ''} read from "
            f"{self.lines_read:,} line{'s' if self.lines_read != 1 else ''}",
            f"{self.added:,} {verb}",
            f"{self.already_in_bank:,} already in the bank",
            f"{self.repeated_in_file:,} repeated in the file",
        ]
        if self.error_count:
            parts.append(
                f"{self.error_count:,} line{'s' if self.error_count != 1 else ''} with errors"
            )
        return ", ".join(parts) + "."


def import_entries(
    bank: HashBank,
    stream: IO[bytes],
    *,
    file_name: str,
    actor: Any,
    request: HttpRequest | None = None,
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a hash list (see ``bank_io``) into a bank, in one transaction.

    By default the import is all or nothing: a file with any bad line imports nothing, and
    every bad line is reported by number (the first ``MAX_REPORTED_ERRORS``; all are counted).
    ``skip_bad`` imports the good lines. Hashes already in the bank and repeats within the file
    are counted and skipped. ``dry_run`` does everything, counts included, and rolls back.
    ``progress(bytes_read, lines_read)`` is called now and then. Whole-file problems (empty,
    not UTF-8 text, no hash column) raise ``bank_io.FileRejected``: nothing is imported.
    The audit row (one, with the counts) is written only when entries are added."""
    reader = bank_io.HashFileReader(stream, bank.signal_type)
    result = ImportResult(bank=bank.slug, file=file_name, dry_run=dry_run)
    origin = f"import of {file_name}"[:200]
    with transaction.atomic():
        locked = HashBank.objects.select_for_update().get(pk=bank.pk)
        # Entries up to this id were in the bank before; later ones came from this file.
        last_before = BankEntry.objects.filter(bank=locked).aggregate(last=Max("pk"))["last"] or 0
        inserter = _BatchInserter(locked, result, last_before, origin, _user(actor))
        for item in reader:
            if isinstance(item, bank_io.LineError):
                result.error_count += 1
                if len(result.errors) < MAX_REPORTED_ERRORS:
                    result.errors.append(item)
            else:
                result.hashes_read += 1
                inserter.add(item)
            if progress is not None and reader.lines_read % 10_000 == 0:
                progress(reader.bytes_read, reader.lines_read)
        inserter.flush()
        result.lines_read = reader.lines_read
        result.file_format = reader.file_format
        if progress is not None:
            progress(reader.bytes_read, reader.lines_read)
        if not result.hashes_read and not result.error_count:
            raise bank_io.FileRejected(
                "the file has no hashes: it is empty, or has only blank lines and comments"
            )
        result.applied = not dry_run and result.added > 0 and (skip_bad or not result.error_count)
        if not result.applied:
            transaction.set_rollback(True)
            return result
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
        record_audit(
            "hashmatch.entries_imported",
            actor=actor,
            request=request,
            target=locked,
            details={
                "file": file_name,
                "format": result.file_format,
                "lines": result.lines_read,
                "added": result.added,
                "already_in_bank": result.already_in_bank,
                "repeated_in_file": result.repeated_in_file,
                "bad_lines_skipped": result.error_count,
            },
        )
    return result


# Columns written by an import; the others (disabled_at) are NULL.
_IMPORT_FIELDS = (
    "bank",
    "signal_type",
    "value",
    "enabled",
    "origin",
    "note",
    "added_at",
    "added_by",
    "disabled_reason",
)


class _BatchInserter:
    """Collects good rows and writes them in batches, counting repeats and known hashes.

    Batches go in with SQL of their own rather than ``bulk_create``: building a model instance
    and preparing each field costs the ORM about 100 microseconds a row, most of the time of a
    million-line import (the values here are plain strings, checked already). On PostgreSQL the
    rows go in with ``COPY``; elsewhere with ``executemany``."""

    def __init__(
        self, bank: HashBank, result: ImportResult, last_before: int, origin: str, user: Any
    ) -> None:
        self.bank = bank
        self.result = result
        self.last_before = last_before
        self.batch: dict[str, bank_io.HashRow] = {}
        self.postgresql = connection.vendor == "postgresql"
        quote = connection.ops.quote_name
        fields = {field.name: field for field in BankEntry._meta.concrete_fields}
        self.table = quote(BankEntry._meta.db_table)
        self.columns = [
            quote(fields[name].get_attname_column()[1] or "") for name in _IMPORT_FIELDS
        ]
        self.added_at = fields["added_at"].get_db_prep_value(timezone.now(), connection)
        self.origin = origin
        self.user_id = getattr(user, "pk", None)

    def add(self, row: bank_io.HashRow) -> None:
        if row.value in self.batch:
            self.result.repeated_in_file += 1
            return
        self.batch[row.value] = row
        if len(self.batch) >= IMPORT_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        present = self._present(list(self.batch))
        for pk in present.values():
            if pk <= self.last_before:
                self.result.already_in_bank += 1
            else:
                self.result.repeated_in_file += 1
        new = [(value, row.note) for value, row in self.batch.items() if value not in present]
        if new:
            self._insert(new)
        self.result.added += len(new)
        self.batch = {}

    def _present(self, values: list[str]) -> dict[str, int]:
        if not self.postgresql:
            # Through the (signal type, value) index: with a bank filter and thousands of values
            # SQLite's planner walks every entry of the bank instead.
            found = (
                BankEntry.objects.filter(signal_type=self.bank.signal_type, value__in=values)
                .order_by()
                .values_list("value", "pk", "bank_id")
            )
            return {value: pk for value, pk, bank_id in found if bank_id == self.bank.pk}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value, id FROM {self.table} "  # noqa: S608 (model identifiers)
                "WHERE bank_id = %s AND value = ANY(%s::text[])",
                [self.bank.pk, values],
            )
            return dict(cursor.fetchall())

    def _insert(self, new: list[tuple[str, str]]) -> None:
        columns = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if self.postgresql:
                # COPY: the fastest way in; rows are adapted by psycopg's C code.
                with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                    for value, note in new:
                        copy.write_row(
                            (
                                self.bank.pk,
                                self.bank.signal_type,
                                value,
                                True,
                                self.origin,
                                note,
                                self.added_at,
                                self.user_id,
                                "",
                            )
                        )
                return
            cursor.executemany(
                f"INSERT INTO {self.table} ({columns}) "  # noqa: S608 (model identifiers)
                f"VALUES ({', '.join(['%s'] * len(self.columns))})",
                [
                    (
                        self.bank.pk,
                        self.bank.signal_type,
                        value,
                        True,
                        self.origin,
                        note,
                        self.added_at,
                        self.user_id,
                        "",
                    )
                    for value, note in new
                ],
            )


def export_entries(
    bank: HashBank,
    *,
    file_format: str,
    actor: Any,
    include_disabled: bool = False,
    request: HttpRequest | None = None,
) -> Iterator[str]:
    """Record the export (hash lists are often shared under agreements that ask who took a
    copy) and return the lines to write."""
    if file_format not in bank_io.EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}; use csv or txt")
    entries = BankEntry.objects.filter(bank=bank)
    if not include_disabled:
        entries = entries.filter(enabled=True)
    record_audit(
        "hashmatch.bank_exported",
        actor=actor,
        request=request,
        target=bank,
        details={
            "format": file_format,
            "entries": entries.count(),
            "include_disabled": include_disabled,
        },
    )
    return bank_io.export_lines(bank, file_format, include_disabled=include_disabled)


# --- Adding the media of a reviewed case -------------------------------------------------------


@dataclass(frozen=True)
class CaseHashes:
    values: list[str]
    source: str  # where they came from, for people and the audit row


@dataclass(frozen=True)
class CaseEntryResult:
    added: list[BankEntry]
    already_in_bank: list[str]
    source: str


def latest_decision_restricts(case: Case) -> bool:
    latest = case.decisions.order_by("-created_at", "-pk").first()
    return latest is not None and latest.restricts


def check_case_may_be_banked(case: Case) -> None:
    """Only content found violating may enter a bank: the case's latest decision restricts
    (neither "no violation" nor a reversal), and no appeal of it is pending."""
    if case.state == CaseState.APPEALED:
        raise BankError("The decision on this case is under appeal: wait for its outcome.")
    if case.state not in (CaseState.DECIDED, CaseState.CLOSED) or not latest_decision_restricts(
        case
    ):
        raise BankError(
            "Only the media of a case decided as a violation can be added to a hash bank."
        )


def _hash_for(data: bytes, signal_type: str) -> tuple[str | None, str]:
    """(the hash, "") or (None, why there is none)."""
    try:
        hashes = hash_media(data)
    except UnreadableMedia as error:
        return None, str(error)
    if signal_type == SignalType.MD5:
        return hashes.md5, ""
    if signal_type == SignalType.SHA256:
        return hashes.sha256, ""
    if hashes.pdq is None:
        return None, hashes.pdq_unusable or "no PDQ hash (not an image)"
    if hashes.pdq.quality < PDQ_MIN_QUALITY:
        return None, f"PDQ quality {hashes.pdq.quality} is below {PDQ_MIN_QUALITY}"
    return hashes.pdq.hash, ""


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def case_hashes(case: Case, signal_type: str) -> CaseHashes:
    """The hashes of a case's media of one signal type, from the best source there is:

    1. media kept for the case after a match (the original bytes: every signal type);
    2. for PDQ, the reported media as fetched for review (re-encoded, so the same pixels and
       PDQ, but not the original's MD5 or SHA-256);
    3. for MD5 and SHA-256, a report's ``media_hash`` of that type (sent by the platform).

    Raises ``NoUsableHash`` saying what was tried and why it failed. Does network I/O (2):
    call it outside a transaction."""
    from safeharbor.hashmatch.evidence import EvidenceUnreadable, decrypt_media
    from safeharbor.moderation.media import MediaUnavailable, fetch_media

    label = SignalType(signal_type).label
    reasons: list[str] = []
    values: list[str] = []
    for kept in KeptMedia.objects.filter(case=case).order_by("kept_at", "pk"):
        try:
            data = decrypt_media(kept)
        except EvidenceUnreadable as error:
            reasons.append(f"kept media {kept.sha256[:12]}: {error}")
            continue
        value, why = _hash_for(data, signal_type)
        if value:
            values.append(value)
        else:
            reasons.append(f"kept media {kept.sha256[:12]}: {why}")
    if values:
        return CaseHashes(_unique(values), "media kept for the case")
    reports = list(case.reports.order_by("received_at", "pk"))
    if signal_type == SignalType.PDQ:
        for report in reports:
            if not report.media_url:
                continue
            try:
                media = fetch_media(report)
            except MediaUnavailable as error:
                reasons.append(f"reported media: {error}")
                continue
            if media.is_video:
                reasons.append("reported media: a video has no PDQ hash")
                continue
            value, why = _hash_for(media.body, signal_type)
            if value:
                values.append(value)
            else:
                reasons.append(f"reported media: {why}")
        if values:
            return CaseHashes(_unique(values), "reported media")
    else:
        for report in reports:
            kind, _, given = report.media_hash.partition(":")
            if kind.strip().lower() != signal_type or not given.strip():
                continue
            try:
                values.append(parse_hash(signal_type, given.strip()))
            except ValueError as error:
                reasons.append(f"the report's media hash: {error}")
        if values:
            return CaseHashes(_unique(values), "the media hash sent with the report")
    if not reasons:
        if signal_type == SignalType.PDQ:
            reasons.append("no media was kept for the case and no report has media")
        else:
            reasons.append(
                f"no media was kept for the case and no report carries a {signal_type}: hash"
            )
    raise NoUsableHash(f"This case has no usable {label} hash: " + "; ".join(reasons) + ".")


def add_case_media_to_bank(
    case: Case,
    bank: HashBank,
    *,
    actor: Any,
    note: str = "",
    request: HttpRequest | None = None,
    hashes: CaseHashes | None = None,
) -> CaseEntryResult:
    """Add the hashes of a reviewed case's media to a bank (see ``case_hashes`` for where they
    come from). One audit row names the case, the bank, the hashes and their source. Raises
    ``BankError`` if the case was not found violating, ``NoUsableHash`` if it has no hash."""
    check_case_may_be_banked(case)
    found = hashes if hashes is not None else case_hashes(case, bank.signal_type)
    note = note.strip()[: bank_io.MAX_NOTE_CHARS]
    origin = f"case {case.public_id}"
    with transaction.atomic():
        locked = HashBank.objects.select_for_update().get(pk=bank.pk)
        present = set(
            BankEntry.objects.filter(bank=locked, value__in=found.values).values_list(
                "value", flat=True
            )
        )
        added = [
            BankEntry.objects.create(
                bank=locked,
                signal_type=locked.signal_type,
                value=value,
                note=note,
                origin=origin,
                added_by=_user(actor),
            )
            for value in found.values
            if value not in present
        ]
        if added:
            record_audit(
                "hashmatch.case_media_added",
                actor=actor,
                request=request,
                target=locked,
                details={
                    "case": str(case.public_id),
                    "values": [entry.value for entry in added],
                    "already_in_bank": sorted(present),
                    "source": found.source,
                },
            )
    return CaseEntryResult(added, sorted(present), found.source)


def bank_counts(bank: HashBank) -> dict[str, int]:
    entries = BankEntry.objects.filter(bank=bank)
    return {
        "entries": entries.count(),
        "enabled_entries": entries.filter(enabled=True).count(),
        "matches": HashMatch.objects.filter(bank=bank).count(),
    }
