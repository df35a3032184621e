"""Importing hash lists (one per line or CSV) and exporting banks: every bad line reported by
number, nothing half-imported, repeats and known hashes counted, whole-file problems named."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from safeharbor.core.models import AuditEvent
from safeharbor.hashmatch import bank_io, banks
from safeharbor.hashmatch.models import BankEntry, HashBank
from safeharbor.hashmatch.tests.test_banks import make_bank

pytestmark = pytest.mark.django_db

PDQ = [f"{i:064x}" for i in range(1, 8)]
MD5 = [f"{i:032x}" for i in range(1, 8)]


def run_import(bank: HashBank, content: bytes, **options: object) -> banks.ImportResult:
    return banks.import_entries(
        bank,
        io.BytesIO(content),
        file_name="list.txt",
        actor=None,
        **options,  # type: ignore[arg-type]
    )


def values(bank: HashBank) -> list[str]:
    return sorted(BankEntry.objects.filter(bank=bank).values_list("value", flat=True))


# --- Reading -----------------------------------------------------------------------------------


def test_one_hash_per_line_with_comments_blanks_crlf_bom_and_upper_case() -> None:
    bank = make_bank("pdq-bank", "pdq")
    content = (
        "\ufeff# PDQ list, 2025-06\r\n"
        f"{PDQ[0].upper()}\r\n"
        "\r\n"
        f"  {PDQ[1]}   # a comment after the hash\r\n"
        "   # an indented comment\r\n"
        f"{PDQ[2]}"  # no line end at the end of the file
    ).encode()
    result = run_import(bank, content)
    assert result.applied
    assert result.file_format == "lines"
    assert (result.lines_read, result.hashes_read, result.added) == (6, 3, 3)
    assert values(bank) == sorted(PDQ[:3])
    entry = BankEntry.objects.get(value=PDQ[0])
    assert entry.origin == "import of list.txt"
    assert entry.signal_type == "pdq"


def test_csv_finds_the_hash_and_note_columns_by_name_and_ignores_the_rest() -> None:
    bank = make_bank()
    content = (
        "ID,Notes,MD5,Category\n"
        f"1,from the IWF list,{MD5[0]},A\n"
        f'2,"with, a comma",{MD5[1]},B\n'
        f'3,\'=HYPERLINK("x"),{MD5[2]},C\n'
    ).encode()
    result = run_import(bank, content)
    assert result.file_format == "csv"
    assert result.added == 3
    notes = dict(BankEntry.objects.values_list("value", "note"))
    assert notes == {
        MD5[0]: "from the IWF list",
        MD5[1]: "with, a comma",
        MD5[2]: '=HYPERLINK("x")',  # the spreadsheet guard is removed again
    }


@pytest.mark.parametrize("header", ["hash", "Value", "hash,note", "md5", "md5_hash"])
def test_each_known_header_name_makes_a_csv(header) -> None:
    bank = make_bank()
    result = run_import(bank, f"{header}\n{MD5[0]}\n".encode())
    assert result.file_format == "csv"
    assert values(bank) == [MD5[0]]


def test_every_bad_line_is_reported_by_number_and_nothing_is_imported() -> None:
    bank = make_bank("pdq-bank", "pdq")
    lines = [PDQ[0], PDQ[1][:63], "not a hash", PDQ[2], PDQ[3] + "0", "g" * 64]
    result = run_import(bank, ("\n".join(lines) + "\n").encode())
    assert not result.applied
    assert [error.line for error in result.errors] == [2, 3, 5, 6]
    assert str(result.errors[0]).startswith("line 2: ")
    assert "64" in result.errors[0].message
    assert "63" in result.errors[0].message
    assert result.error_count == 4
    assert result.added == 2  # counted, but rolled back
    assert values(bank) == []
    assert not AuditEvent.objects.filter(action="hashmatch.entries_imported").exists()


def test_skip_bad_imports_the_good_lines_with_one_audit_row_of_counts() -> None:
    bank = make_bank()
    banks.add_entry(bank, MD5[0], actor=None)
    content = "\n".join([MD5[0], MD5[1], "bad", MD5[1], MD5[2]]).encode()
    result = run_import(bank, content, skip_bad=True)
    assert result.applied
    assert (result.added, result.already_in_bank, result.repeated_in_file) == (2, 1, 1)
    assert result.error_count == 1
    assert values(bank) == sorted(MD5[:3])
    [event] = AuditEvent.objects.filter(action="hashmatch.entries_imported")
    assert event.details == {
        "file": "list.txt",
        "format": "lines",
        "lines": 5,
        "added": 2,
        "already_in_bank": 1,
        "repeated_in_file": 1,
        "bad_lines_skipped": 1,
    }
    assert result.summary() == (
        "4 hashes read from 5 lines, 2 added, 1 already in the bank, 1 repeated in the file, "
        "1 line with errors."
    )


def test_repeats_are_told_apart_from_known_hashes_across_batches(monkeypatch) -> None:
    monkeypatch.setattr(banks, "IMPORT_BATCH", 3)
    bank = make_bank()
    banks.add_entry(bank, MD5[5], actor=None)
    order = [MD5[0], MD5[1], MD5[2], MD5[3], MD5[0], MD5[5], MD5[4], MD5[1], MD5[5], MD5[6]]
    result = run_import(bank, "\n".join(order).encode())
    assert result.added == 6
    assert result.already_in_bank == 2
    assert result.repeated_in_file == 2
    assert values(bank) == sorted(MD5)


def test_a_dry_run_counts_everything_and_writes_nothing() -> None:
    bank = make_bank()
    result = run_import(bank, "\n".join([MD5[0], MD5[1], MD5[0]]).encode(), dry_run=True)
    assert not result.applied
    assert (result.added, result.repeated_in_file) == (2, 1)
    assert "would be added" in result.summary()
    assert values(bank) == []
    assert not AuditEvent.objects.filter(action="hashmatch.entries_imported").exists()


def test_a_file_of_known_hashes_changes_nothing_and_is_not_audited() -> None:
    bank = make_bank()
    banks.add_entry(bank, MD5[0], actor=None)
    result = run_import(bank, MD5[0].encode())
    assert not result.applied
    assert result.already_in_bank == 1
    assert not AuditEvent.objects.filter(action="hashmatch.entries_imported").exists()


def test_a_file_of_only_bad_lines_reports_each_and_imports_nothing() -> None:
    bank = make_bank()
    result = run_import(bank, b"nope\nnada\n", skip_bad=True)
    assert not result.applied
    assert next(str(error) for error in result.errors).startswith("line 1: ")
    assert result.error_count == 2
    assert values(bank) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n# only a comment\n  \n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        ("hash\n".encode("utf-16"), "UTF-16"),
        (gzip.compress(b"abc\n", mtime=0), "gzip"),
        (b"PK\x03\x04rest", "ZIP"),
        (b"0cc175b9c0f1b6a831c399e269772661\n\x00\x01\x02\n", "line 2 contains a NUL byte"),
        (
            b"0cc175b9c0f1b6a831c399e269772661\nhash caf\xe9\n",
            "line 2 is not UTF-8 text (byte 0xe9 at column 9)",
        ),
        (b"sha1,filename\nabc,x.jpg\n", "names no hash column (found: sha1, filename)"),
    ],
)
def test_whole_file_problems_reject_the_file_with_a_clear_message(content, message) -> None:
    bank = make_bank()
    with pytest.raises(bank_io.FileRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import(bank, content)
    assert values(bank) == []


def test_an_overlong_line_is_one_bad_line_and_reading_goes_on() -> None:
    bank = make_bank()
    content = b"x" * (bank_io.MAX_LINE_BYTES * 3) + b"\n" + MD5[0].encode() + b"\n"
    result = run_import(bank, content, skip_bad=True)
    assert [str(error) for error in result.errors] == [
        f"line 1: longer than {bank_io.MAX_LINE_BYTES} bytes"
    ]
    assert values(bank) == [MD5[0]]


def test_a_long_note_and_a_missing_hash_cell_are_line_errors() -> None:
    bank = make_bank()
    content = f'note,hash\n{"n" * 501},{MD5[0]}\nonly a note\n"open quote,{MD5[1]}\n'.encode()
    result = run_import(bank, content)
    assert [error.line for error in result.errors] == [2, 3, 4]
    assert "500 characters" in result.errors[0].message
    assert "hash column is missing" in result.errors[1].message


def test_only_the_first_errors_are_kept_but_all_are_counted(monkeypatch) -> None:
    monkeypatch.setattr(banks, "MAX_REPORTED_ERRORS", 5)
    bank = make_bank()
    result = run_import(bank, b"bad\n" * 12)
    assert len(result.errors) == 5
    assert result.error_count == 12
    assert result.errors_not_shown == 7


def test_a_large_list_is_imported_in_batches_with_progress(monkeypatch) -> None:
    bank = make_bank()
    count = 25_000
    content = "".join(f"{i:032x}\n" for i in range(count)).encode()
    seen: list[tuple[int, int]] = []
    result = run_import(bank, content, progress=lambda done, lines: seen.append((done, lines)))
    assert result.added == count
    assert BankEntry.objects.filter(bank=bank).count() == count
    assert seen[-1] == (len(content), count)
    assert len(seen) >= 3  # every 10,000 lines, and at the end
    assert AuditEvent.objects.filter(action="hashmatch.entries_imported").count() == 1


# --- Export ------------------------------------------------------------------------------------


def test_csv_export_has_every_column_defuses_formulas_and_imports_back() -> None:
    bank = make_bank()
    banks.add_entry(bank, MD5[0], note="=cmd|' /C calc'!A0", actor=None)
    second = banks.add_entry(bank, MD5[1], note="plain, with comma", actor=None)
    banks.set_entry_enabled(second, False, reason="wrong hash", actor=None)
    text = "".join(banks.export_entries(bank, file_format="csv", include_disabled=True, actor=None))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["hash"] for row in rows] == [MD5[0], MD5[1]]
    assert rows[0]["note"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["enabled"] == "false"
    assert rows[1]["disabled_reason"] == "wrong hash"
    copy = make_bank("copy")
    result = run_import(copy, text.encode())
    assert result.added == 2
    assert dict(BankEntry.objects.filter(bank=copy).values_list("value", "note")) == {
        MD5[0]: "=cmd|' /C calc'!A0",
        MD5[1]: "plain, with comma",
    }


def test_exports_leave_out_disabled_entries_unless_asked_and_are_audited() -> None:
    bank = make_bank()
    banks.add_entry(bank, MD5[0], actor=None)
    banks.set_entry_enabled(
        banks.add_entry(bank, MD5[1], actor=None), False, reason="x", actor=None
    )
    text = "".join(banks.export_entries(bank, file_format="txt", actor=None))
    assert text.splitlines() == [f"# Internal Md5 ({bank.slug}): md5 hashes", MD5[0]]
    event = AuditEvent.objects.get(action="hashmatch.bank_exported")
    assert event.details == {"format": "txt", "entries": 1, "include_disabled": False}
    copy = make_bank("copy")
    assert run_import(copy, text.encode()).added == 1
    with pytest.raises(ValueError):
        banks.export_entries(bank, file_format="xlsx", actor=None)
