"""``safeharbor hashes VERB``: hash banks from the command line, for operators and scripts.

    safeharbor hashes banks
    safeharbor hashes create-bank SLUG --name NAME --signal pdq|md5|sha256 --category SLUG
                                  [--source TEXT] [--description TEXT] [--severity 1-4]
                                  [--threshold 0-63] [--disabled]
    safeharbor hashes import BANK FILE|- [--dry-run] [--skip-bad] [--no-progress]
    safeharbor hashes export BANK [-o FILE] [--format csv|txt] [--include-disabled]
    safeharbor hashes disable-entry BANK HASH --reason TEXT
    safeharbor hashes enable-entry BANK HASH

Exit status: 0 done; 1 the input has errors (bad lines, invalid values); 2 usage (unknown bank
or category, unreadable file). ``import`` is all or nothing unless --skip-bad; with --skip-bad
it imports the good lines and still exits 1 if any line was bad, so cron notices.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from safeharbor.hashmatch import bank_io, banks
from safeharbor.hashmatch.hashing import parse_hash
from safeharbor.hashmatch.models import (
    PDQ_MATCH_THRESHOLD,
    BankEntry,
    HashBank,
    HashMatch,
    SignalType,
)
from safeharbor.moderation.models import PolicyCategory

USAGE = 2
INVALID = 1


def plural_lines(count: int) -> str:
    return f"{count:,} line{'s' if count != 1 else ''}"


def usage_error(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE)


def invalid(message: str) -> CommandError:
    return CommandError(message, returncode=INVALID)


class ProgressBar:
    """A one-line progress bar on a terminal: percent of bytes when the size is known, else a
    running count of lines. Redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, total_bytes: int | None) -> None:
        self.out = out
        self.total = total_bytes if total_bytes else None
        self.drawn_at = 0.0
        self.started = time.monotonic()

    def __call__(self, done_bytes: int, lines: int) -> None:
        now = time.monotonic()
        if now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        self._draw(done_bytes, lines)

    def _draw(self, done_bytes: int, lines: int) -> None:
        rate = lines / max(time.monotonic() - self.started, 1e-6)
        if self.total:
            share = min(done_bytes / self.total, 1.0)
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            text = f"[{bar}] {share:6.1%}  {lines:,} lines  {rate:,.0f} lines/s"
        else:
            text = f"{lines:,} lines  {rate:,.0f} lines/s"
        self.out.write(f"\r{text}", ending="")
        self.out.flush()

    def finish(self, done_bytes: int, lines: int) -> None:
        self._draw(done_bytes, lines)
        self.out.write("")


class Command(BaseCommand):
    help = "Hash banks: list, create, import, export, and disable or enable single entries."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        verbs.add_parser("banks", help="List the banks with their entry and match counts.")

        create = verbs.add_parser("create-bank", help="Create a bank.")
        create.add_argument("slug", help="short name, e.g. ncmec-md5 (letters, digits, -)")
        create.add_argument("--name", required=True, help="name shown to staff")
        create.add_argument(
            "--signal", required=True, choices=SignalType.values, help="signal type (fixed)"
        )
        create.add_argument(
            "--category",
            required=True,
            help="policy category slug, e.g. child-sexual-abuse-material",
        )
        create.add_argument("--source", default="", help="where the hashes come from")
        create.add_argument("--description", default="")
        create.add_argument(
            "--severity", type=int, choices=[1, 2, 3, 4], help="default: the category's tier"
        )
        create.add_argument(
            "--threshold",
            type=int,
            default=PDQ_MATCH_THRESHOLD,
            help=f"PDQ match distance, 0-{banks.MAX_MATCH_THRESHOLD} "
            f"(default {PDQ_MATCH_THRESHOLD})",
        )
        create.add_argument("--disabled", action="store_true", help="create it disabled")

        load = verbs.add_parser("import", help="Import a hash list (CSV or one hash per line).")
        load.add_argument("bank", help="bank slug")
        load.add_argument("file", help="the list; - reads standard input")
        load.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        load.add_argument(
            "--skip-bad", action="store_true", help="import the good lines, report the bad ones"
        )
        load.add_argument("--no-progress", action="store_true", help="no progress bar")

        dump = verbs.add_parser("export", help="Write a bank's hashes.")
        dump.add_argument("bank", help="bank slug")
        dump.add_argument("-o", "--output", help="file to write (default: standard output)")
        dump.add_argument("--format", choices=bank_io.EXPORT_FORMATS, default="csv")
        dump.add_argument(
            "--include-disabled", action="store_true", help="also the disabled entries"
        )

        disable = verbs.add_parser("disable-entry", help="Stop one hash from matching.")
        disable.add_argument("bank", help="bank slug")
        disable.add_argument("hash", help="the hash")
        disable.add_argument("--reason", required=True, help="why (kept in the audit log)")

        enable = verbs.add_parser("enable-entry", help="Let a disabled hash match again.")
        enable.add_argument("bank", help="bank slug")
        enable.add_argument("hash", help="the hash")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "handle_" + options["verb"].replace("-", "_"))(options)

    # --- helpers -------------------------------------------------------------------------------

    def _bank(self, slug: str) -> HashBank:
        bank = HashBank.objects.filter(slug=slug).select_related("category").first()
        if bank is None:
            known = ", ".join(HashBank.objects.order_by("slug").values_list("slug", flat=True))
            raise usage_error(
                f"No hash bank {slug!r}. "
                + (f"Banks: {known}." if known else "There are no banks yet: see create-bank.")
            )
        return bank

    def _report_invalid(self, error: ValidationError) -> CommandError:
        for name, messages in error.message_dict.items():
            for message in messages:
                self.stderr.write(f"{name}: {message}")
        return invalid("Nothing was changed.")

    def _entry(self, bank: HashBank, value: str) -> BankEntry:
        try:
            normalized = parse_hash(bank.signal_type, value.strip())
        except ValueError as error:
            raise invalid(str(error)) from None
        entry = BankEntry.objects.filter(bank=bank, value=normalized).first()
        if entry is None:
            raise usage_error(f"{normalized} is not in the bank {bank.slug!r}.")
        return entry

    # --- verbs ---------------------------------------------------------------------------------

    def handle_banks(self, options: dict[str, Any]) -> None:
        def count(model: type[BankEntry] | type[HashMatch], **filters: Any) -> Coalesce:
            counted = (
                model.objects.filter(bank=OuterRef("pk"), **filters)
                .order_by()
                .values("bank")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

        rows = (
            HashBank.objects.select_related("category")
            .annotate(
                total=count(BankEntry),
                enabled_entries=count(BankEntry, enabled=True),
                match_count=count(HashMatch),
            )
            .order_by("slug")
        )
        table = [("BANK", "SIGNAL", "STATE", "ENABLED", "ENTRIES", "MATCHES", "CATEGORY")]
        for bank in rows:
            table.append(
                (
                    bank.slug,
                    bank.signal_type,
                    "enabled" if bank.enabled else "disabled",
                    f"{bank.enabled_entries:,}",
                    f"{bank.total:,}",
                    f"{bank.match_count:,}",
                    bank.category.slug,
                )
            )
        if len(table) == 1:
            self.stdout.write("No hash banks yet. Create one with: safeharbor hashes create-bank")
            return
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )

    def handle_create_bank(self, options: dict[str, Any]) -> None:
        category = PolicyCategory.objects.filter(slug=options["category"]).first()
        if category is None:
            known = ", ".join(
                PolicyCategory.objects.filter(active=True).values_list("slug", flat=True)
            )
            raise usage_error(f"No policy category {options['category']!r}. Categories: {known}.")
        try:
            bank = banks.create_bank(
                slug=options["slug"],
                name=options["name"],
                signal_type=options["signal"],
                category=category,
                source=options["source"],
                description=options["description"],
                severity_tier=options["severity"],
                match_threshold=options["threshold"],
                enabled=not options["disabled"],
                actor=None,
            )
        except ValidationError as error:
            raise self._report_invalid(error) from None
        self.stdout.write(
            f"Created the bank {bank.slug} ({bank.signal_type}, {category.slug}, "
            f"{'enabled' if bank.enabled else 'disabled'})."
        )

    def handle_import(self, options: dict[str, Any]) -> None:
        bank = self._bank(options["bank"])
        name = options["file"]
        if name == "-":
            self._import(bank, sys.stdin.buffer, "standard input", None, options)
            return
        path = Path(name)
        try:
            stream = path.open("rb")
        except OSError as error:
            raise usage_error(f"Cannot read {path}: {error.strerror}.") from None
        with stream:
            size = os.fstat(stream.fileno()).st_size if path.is_file() else None
            self._import(bank, stream, path.name, size, options)

    def _import(
        self,
        bank: HashBank,
        stream: IO[bytes],
        file_name: str,
        size: int | None,
        options: dict[str, Any],
    ) -> None:
        bar = None
        if not options["no_progress"] and self.stderr.isatty():
            bar = ProgressBar(self.stderr, size)
        try:
            result = banks.import_entries(
                bank,
                stream,
                file_name=file_name,
                actor=None,
                dry_run=options["dry_run"],
                skip_bad=options["skip_bad"],
                progress=bar,
            )
        except bank_io.FileRejected as error:
            if bar is not None:
                self.stderr.write("")
            raise invalid(f"{file_name}: {error}. Nothing was imported.") from None
        if bar is not None:
            bar.finish(0 if size is None else size, result.lines_read)
        for problem in result.errors:
            self.stderr.write(f"{file_name}: {problem}")
        if result.errors_not_shown:
            self.stderr.write(
                f"{file_name}: …and {plural_lines(result.errors_not_shown)} more with errors."
            )
        self.stdout.write(f"{file_name} into {bank.slug}: {result.summary()}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            if result.error_count:
                raise invalid(f"{plural_lines(result.error_count)} with errors.")
            return
        if result.error_count and not result.applied:
            raise invalid(
                f"Nothing was imported: {plural_lines(result.error_count)} with errors. Fix "
                "them, or run again with --skip-bad to import the good lines."
            )
        if result.error_count:
            raise invalid(
                f"The good lines were imported; {plural_lines(result.error_count)} with errors "
                "skipped."
            )
        if not result.applied:
            self.stdout.write("Nothing new: every hash in the file is in the bank already.")

    def handle_export(self, options: dict[str, Any]) -> None:
        bank = self._bank(options["bank"])
        output = options["output"]
        target: IO[str] | None = None
        if output:
            try:
                target = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as error:
                raise usage_error(f"Cannot write {output}: {error.strerror}.") from None
        lines = banks.export_entries(
            bank,
            file_format=options["format"],
            include_disabled=options["include_disabled"],
            actor=None,
        )
        written = 0
        chunk: list[str] = []
        try:
            for line in lines:
                chunk.append(line)
                if len(chunk) >= 5000:
                    self._write(target, chunk)
                    written += len(chunk)
                    chunk = []
            self._write(target, chunk)
            written += len(chunk)
        except BrokenPipeError:
            # The reader went away (`... | head`): stop quietly, as other tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return
        finally:
            if target is not None:
                target.close()
        if output:
            hashes = written - 1  # the header line
            self.stderr.write(f"Wrote {hashes:,} hashes of {bank.slug} to {output}.")

    def _write(self, target: IO[str] | None, lines: list[str]) -> None:
        if target is None:
            self.stdout.write("".join(lines), ending="")
        else:
            target.write("".join(lines))

    def handle_disable_entry(self, options: dict[str, Any]) -> None:
        bank = self._bank(options["bank"])
        entry = self._entry(bank, options["hash"])
        try:
            banks.set_entry_enabled(entry, False, reason=options["reason"], actor=None)
        except ValidationError as error:
            raise self._report_invalid(error) from None
        self.stdout.write(f"Disabled {entry.value} in {bank.slug}: it matches nothing now.")

    def handle_enable_entry(self, options: dict[str, Any]) -> None:
        bank = self._bank(options["bank"])
        entry = self._entry(bank, options["hash"])
        banks.set_entry_enabled(entry, True, actor=None)
        self.stdout.write(f"Enabled {entry.value} in {bank.slug}.")
