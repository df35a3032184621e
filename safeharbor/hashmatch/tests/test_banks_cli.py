"""``safeharbor hashes``: the operator's verbs, their messages and their exit statuses
(0 done, 1 errors in the input, 2 usage)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper

from safeharbor.core.models import AuditEvent
from safeharbor.hashmatch import banks
from safeharbor.hashmatch.management.commands.hashes import ProgressBar
from safeharbor.hashmatch.models import BankEntry, HashBank
from safeharbor.hashmatch.tests.test_banks import MD5_A, make_bank

pytestmark = pytest.mark.django_db

MD5 = [f"{i:032x}" for i in range(1, 6)]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("hashes", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("hashes", *args, stdout=io.StringIO(), stderr=err)
    return caught.value.returncode, f"{err.getvalue()}\n{caught.value}"


def write(tmp_path: Path, text: str | bytes, name: str = "list.txt") -> str:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return str(path)


def test_create_bank_and_list_banks() -> None:
    make_bank("warmup")  # loads the taxonomy
    out, _ = run(
        "create-bank",
        "ncmec-md5",
        "--name",
        "NCMEC MD5",
        "--signal",
        "md5",
        "--category",
        "child-sexual-abuse-material",
        "--source",
        "NCMEC hash sharing",
    )
    assert "Created the bank ncmec-md5 (md5, child-sexual-abuse-material, enabled)" in out
    bank = HashBank.objects.get(slug="ncmec-md5")
    assert bank.severity_tier == 1
    assert bank.source == "NCMEC hash sharing"
    event = AuditEvent.objects.get(action="hashmatch.bank_created", target_id=str(bank.pk))
    assert event.actor_label == "system"
    banks.add_entry(bank, MD5_A, actor=None)
    out, _ = run("banks")
    header, *rows = out.splitlines()
    assert header.split() == [
        "BANK",
        "SIGNAL",
        "STATE",
        "ENABLED",
        "ENTRIES",
        "MATCHES",
        "CATEGORY",
    ]
    assert rows[0].split() == [
        "ncmec-md5",
        "md5",
        "enabled",
        "1",
        "1",
        "0",
        "child-sexual-abuse-material",
    ]


def test_create_bank_refuses_bad_values_and_unknown_categories() -> None:
    make_bank("warmup")
    status, message = fails(
        "create-bank",
        "b",
        "--name",
        "B",
        "--signal",
        "pdq",
        "--category",
        "spam",
        "--threshold",
        "99",
    )
    assert status == 1
    assert "match_threshold: The PDQ match threshold is a distance from 0 to 63" in message
    status, message = fails(
        "create-bank", "b", "--name", "B", "--signal", "pdq", "--category", "nope"
    )
    assert status == 2
    assert "No policy category 'nope'" in message
    assert "spam" in message
    assert not HashBank.objects.filter(slug="b").exists()


def test_import_reports_each_bad_line_and_imports_nothing_then_skip_bad(tmp_path) -> None:
    bank = make_bank()
    path = write(tmp_path, f"{MD5[0]}\n{MD5[1][:31]}\n{MD5[2]}\n")
    status, message = fails("import", bank.slug, path)
    assert status == 1
    assert "list.txt: line 2: expected 32 hexadecimal characters for an MD5 hash, got 31" in message
    assert "Nothing was imported: 1 line with errors" in message
    assert not BankEntry.objects.exists()
    status, message = fails("import", bank.slug, path, "--skip-bad")
    assert status == 1
    assert "The good lines were imported" in message
    assert sorted(BankEntry.objects.values_list("value", flat=True)) == [MD5[0], MD5[2]]


def test_a_clean_import_exits_0_and_prints_the_counts(tmp_path) -> None:
    bank = make_bank()
    banks.add_entry(bank, MD5[0], actor=None)
    path = write(tmp_path, "hash,note\n" + "\n".join(f"{v},n" for v in [*MD5, MD5[1]]) + "\n")
    out, err = run("import", bank.slug, path, "--no-progress")
    assert (
        "list.txt into internal-md5: 6 hashes read from 7 lines, 4 added, 1 already in the "
        "bank, 1 repeated in the file." in out
    )
    assert err == ""
    assert BankEntry.objects.count() == 5
    out, _ = run("import", bank.slug, path)
    assert "Nothing new" in out


def test_a_dry_run_writes_nothing(tmp_path) -> None:
    bank = make_bank()
    out, _ = run("import", bank.slug, write(tmp_path, "\n".join(MD5)), "--dry-run")
    assert "5 would be added" in out
    assert "Dry run: nothing was written." in out
    assert not BankEntry.objects.exists()


def test_standard_input_is_read_with_a_dash(monkeypatch) -> None:
    bank = make_bank()
    stdin = io.TextIOWrapper(io.BytesIO(("\n".join(MD5) + "\n").encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    out, _ = run("import", bank.slug, "-")
    assert "standard input into internal-md5" in out
    assert BankEntry.objects.count() == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "list.txt: the file has no hashes: it is empty"),
        (b"# nothing\n\n", "the file has no hashes"),
        (b"\xff\xfeh\x00", "UTF-16"),
        (b"hash\ncaf\xe9\n", "line 2 is not UTF-8 text"),
        (b"bad\nworse\n", "Nothing was imported: 2 lines with errors"),
    ],
)
def test_bad_files_exit_1_with_a_clear_message(tmp_path, content, message) -> None:
    bank = make_bank()
    status, text = fails("import", bank.slug, write(tmp_path, content))
    assert status == 1
    assert message in text
    assert not BankEntry.objects.exists()


def test_an_unknown_bank_or_a_missing_file_is_a_usage_error(tmp_path) -> None:
    make_bank()
    status, message = fails("import", "nope", write(tmp_path, MD5[0]))
    assert status == 2
    assert "No hash bank 'nope'. Banks: internal-md5." in message
    status, message = fails("import", "internal-md5", str(tmp_path / "missing.txt"))
    assert status == 2
    assert "Cannot read" in message
    assert "No such file" in message


def test_export_writes_csv_or_text_to_a_file_or_standard_output(tmp_path) -> None:
    bank = make_bank()
    for value in MD5[:3]:
        banks.add_entry(bank, value, actor=None)
    banks.set_entry_enabled(BankEntry.objects.get(value=MD5[2]), False, reason="wrong", actor=None)
    target = tmp_path / "out.csv"
    _, err = run("export", bank.slug, "-o", str(target))
    assert "Wrote 2 hashes of internal-md5" in err
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "hash,note,enabled,origin,added_at,disabled_reason"
    assert [line.split(",")[0] for line in lines[1:]] == MD5[:2]
    out, _ = run("export", bank.slug, "--format", "txt", "--include-disabled")
    assert out.splitlines()[1:] == MD5[:3]
    assert AuditEvent.objects.filter(action="hashmatch.bank_exported").count() == 2
    status, _ = fails("export", "nope")
    assert status == 2


def test_disable_and_enable_one_entry(tmp_path) -> None:
    bank = make_bank()
    banks.add_entry(bank, MD5_A, actor=None)
    out, _ = run("disable-entry", bank.slug, MD5_A.upper(), "--reason", "false positive")
    assert "matches nothing now" in out
    entry = BankEntry.objects.get()
    assert not entry.enabled
    assert entry.disabled_reason == "false positive"
    run("enable-entry", bank.slug, MD5_A)
    entry.refresh_from_db()
    assert entry.enabled
    status, message = fails("disable-entry", bank.slug, "xyz", "--reason", "r")
    assert status == 1
    assert "MD5" in message
    status, message = fails("disable-entry", bank.slug, MD5[0], "--reason", "r")
    assert status == 2
    assert "is not in the bank" in message
    status, _ = fails("disable-entry", bank.slug, MD5_A, "--reason", " ")
    assert status == 1


def test_the_progress_bar_draws_percent_of_bytes_or_a_line_count() -> None:
    buffer = io.StringIO()
    bar = ProgressBar(OutputWrapper(buffer), total_bytes=1000)
    bar.finish(500, 12_345)
    assert "[###############---------------]  50.0%  12,345 lines" in buffer.getvalue()
    buffer = io.StringIO()
    ProgressBar(OutputWrapper(buffer), total_bytes=None).finish(500, 7)
    assert buffer.getvalue().startswith("\r7 lines")


def test_no_progress_bar_when_standard_error_is_not_a_terminal(tmp_path) -> None:
    bank = make_bank()
    _, err = run("import", bank.slug, write(tmp_path, "\n".join(MD5)))
    assert "\r" not in err
    assert "lines/s" not in err


def test_the_real_command_exits_with_the_documented_statuses(tmp_path) -> None:
    """Through ``safeharbor`` itself: argparse errors are 2, bad input 1."""
    env = {**os.environ, "SAFEHARBOR_ENV": "test"}
    usage = subprocess.run(
        [sys.executable, "-m", "safeharbor", "hashes", "import"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert usage.returncode == 2
    assert "the following arguments are required" in usage.stderr
