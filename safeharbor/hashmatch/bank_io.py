"""Reading hash lists for import and writing banks for export.

An import file is either

- one hash per line: blank lines and lines starting with ``#`` are skipped, and anything after a
  ``#`` on a line is a comment; or
- CSV with a header row naming the hash column ``hash``, ``value`` or the signal type (``pdq``,
  ``md5``, ``sha256``) and optionally a ``note`` column; other columns are ignored.

The format is detected from the first line that is not blank or a comment. Files are read as
UTF-8 (a byte-order mark is allowed), with LF or CRLF line ends, one line at a time: a list of
millions of hashes is never held in memory. Each line is checked with ``parse_hash`` and every
problem is reported with its line number; whole-file problems (not text, not UTF-8, compressed)
raise ``FileRejected``. Nothing here writes to the database.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from safeharbor.hashmatch.hashing import parse_hash
from safeharbor.hashmatch.models import BankEntry, HashBank, SignalType

MAX_LINE_BYTES = 4096  # a hash, a note of 500 characters and some columns fit easily
MAX_NOTE_CHARS = BankEntry._meta.get_field("note").max_length or 500
NOTE_COLUMNS = ("note", "notes", "comment")
UTF8_BOM = b"\xef\xbb\xbf"
# Spreadsheets run a cell that starts with one of these as a formula: exported notes that do are
# written with a leading apostrophe (which spreadsheets hide) and read back without it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileRejected(ValueError):
    """The file as a whole cannot be read as a hash list; the message says why and what to do."""


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class HashRow:
    line: int
    value: str  # normalized by parse_hash
    note: str = ""


def hash_columns(signal_type: str) -> tuple[str, ...]:
    return ("hash", "value", signal_type, f"{signal_type}_hash")


def _first_bytes_problem(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 text; save it as UTF-8 and import it again"
    if head.startswith(b"\x1f\x8b"):
        return "the file is gzip-compressed; decompress it first"
    if head.startswith(b"PK\x03\x04"):
        return "the file is a ZIP archive; extract the list from it first"
    return ""


class HashFileReader:
    """Iterates over an open binary file, yielding a ``HashRow`` for each good line and a
    ``LineError`` for each bad one. ``bytes_read`` and ``lines_read`` grow as it goes (for
    progress); ``file_format`` is "lines" or "csv" once the first hash line is read."""

    def __init__(self, stream: IO[bytes], signal_type: str) -> None:
        if signal_type not in SignalType.values:
            raise ValueError(f"unknown signal type {signal_type!r}")
        self.stream = stream
        self.signal_type = signal_type
        self.bytes_read = 0
        self.lines_read = 0
        self.file_format = ""
        self._hash_column = 0
        self._note_column: int | None = None

    def _physical_lines(self) -> Iterator[tuple[int, str | None]]:
        """(line number, text without its line end), or (line number, None) for a line longer
        than MAX_LINE_BYTES (it is skipped, not held in memory)."""
        while True:
            raw = self.stream.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            self.bytes_read += len(raw)
            self.lines_read += 1
            number = self.lines_read
            if number == 1:
                problem = _first_bytes_problem(raw)
                if problem:
                    raise FileRejected(problem)
                raw = raw.removeprefix(UTF8_BOM)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of the over-long line
                    more = self.stream.readline(64 * 1024)
                    self.bytes_read += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                yield number, None
                continue
            if b"\x00" in raw:
                raise FileRejected(
                    f"line {number} contains a NUL byte: this is a binary file (or UTF-16 "
                    "without a byte-order mark), not a text list of hashes"
                )
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise FileRejected(
                    f"line {number} is not UTF-8 text (byte 0x{raw[error.start]:02x} at "
                    f"column {error.start + 1}); save the file as UTF-8 and import it again"
                ) from None
            yield number, text.rstrip("\r\n")

    def __iter__(self) -> Iterator[HashRow | LineError]:
        for number, text in self._physical_lines():
            if text is None:
                yield LineError(number, f"longer than {MAX_LINE_BYTES} bytes")
                continue
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not self.file_format and self._detect(number, stripped):
                continue  # the CSV header
            if self.file_format == "csv":
                yield self._csv_row(number, text)
            else:
                yield self._plain_row(number, stripped)

    def _detect(self, number: int, line: str) -> bool:
        """Choose the format from the first meaningful line; True if that line is a header."""
        cells = [cell.strip().lower() for cell in _split_csv(line)]
        names = hash_columns(self.signal_type)
        for position, cell in enumerate(cells):
            if cell in names:
                self.file_format = "csv"
                self._hash_column = position
                self._note_column = next(
                    (i for i, name in enumerate(cells) if name in NOTE_COLUMNS), None
                )
                return True
        if len(cells) > 1 and not _parses(self.signal_type, cells[0]):
            raise FileRejected(
                f"line {number} looks like a CSV header but names no hash column (found: "
                f"{', '.join(cell or '(empty)' for cell in cells[:8])}); name the column "
                f"{' or '.join(names[:3])}"
            )
        self.file_format = "lines"
        return False

    def _plain_row(self, number: int, line: str) -> HashRow | LineError:
        value = line.split("#", 1)[0].strip()
        try:
            return HashRow(number, parse_hash(self.signal_type, value))
        except ValueError as error:
            return LineError(number, str(error))

    def _csv_row(self, number: int, line: str) -> HashRow | LineError:
        try:
            cells = _split_csv(line, strict=True)
        except csv.Error as error:
            return LineError(number, f"not a CSV row ({error})")
        if len(cells) <= self._hash_column:
            return LineError(number, "the hash column is missing")
        try:
            value = parse_hash(self.signal_type, cells[self._hash_column].strip())
        except ValueError as error:
            return LineError(number, str(error))
        note = ""
        if self._note_column is not None and self._note_column < len(cells):
            note = restore_cell(cells[self._note_column].strip())
            if len(note) > MAX_NOTE_CHARS:
                return LineError(number, f"the note is longer than {MAX_NOTE_CHARS} characters")
        return HashRow(number, value, note)


def _split_csv(line: str, *, strict: bool = False) -> list[str]:
    return next(csv.reader([line], strict=strict), [])


def _parses(signal_type: str, value: str) -> bool:
    try:
        parse_hash(signal_type, value)
    except ValueError:
        return False
    return True


def defuse_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def restore_cell(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# Export.

EXPORT_FORMATS = ("csv", "txt")
CSV_COLUMNS = ("hash", "note", "enabled", "origin", "added_at", "disabled_reason")


def export_lines(
    bank: HashBank, file_format: str, *, include_disabled: bool = False
) -> Iterator[str]:
    """The bank's entries as text, a line at a time, oldest first. CSV has the columns
    ``CSV_COLUMNS``; text has one hash per line after a comment naming the bank. Both import back.
    Streams from the database in batches (banks may hold millions of entries)."""
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}; use csv or txt")
    entries = BankEntry.objects.filter(bank=bank)
    if not include_disabled:
        entries = entries.filter(enabled=True)
    rows: Iterable[tuple[str, str, bool, str, dt.datetime, str]] = (
        entries.order_by("pk")
        .values_list("value", "note", "enabled", "origin", "added_at", "disabled_reason")
        .iterator(chunk_size=5000)
    )
    if file_format == "txt":
        yield f"# {_one_line(bank.name)} ({bank.slug}): {bank.signal_type} hashes\n"
        for value, *_rest in rows:
            yield value + "\n"
        return
    yield ",".join(CSV_COLUMNS) + "\n"
    for value, note, enabled, origin, added_at, reason in rows:
        yield _csv_line(
            [
                value,
                defuse_cell(_one_line(note)),
                "true" if enabled else "false",
                defuse_cell(_one_line(origin)),
                added_at.isoformat(),
                defuse_cell(_one_line(reason)),
            ]
        )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _csv_line(cells: list[str]) -> str:
    return (
        ",".join(
            f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in ',"\n') else cell
            for cell in cells
        )
        + "\n"
    )
