"""`safeharbor pwned build` and `safeharbor pwned info`, through call_command."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safeharbor.passwords.breach.index import open_index, sha1_digest
from safeharbor.passwords.breach.synthetic import (
    random_corpus,
    write_prefix_directory,
    write_single_file,
)


def _run(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("pwned", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_pwned_build_writes_an_index_and_info_describes_it(tmp_path: Path) -> None:
    corpus = sorted([*random_corpus(500, seed=9), (sha1_digest("password"), 10434004)])
    source = write_prefix_directory(corpus, tmp_path / "pwned")
    output = tmp_path / "pwned.idx"
    stdout, stderr = _run("build", str(source), "--output", str(output))
    assert f"Built {output}: 501 SHA-1 hashes, exact format" in stdout
    assert "per-prefix files are missing" in stdout
    assert "\r" in stderr  # the progress line
    assert "hashes/s" in stderr
    with open_index(output) as index:
        assert index.count(sha1_digest("password")) == 10434004

    stdout, _ = _run("info", str(output), "--verify")
    assert "format: exact" in stdout
    assert "mode: SHA-1" in stdout
    assert "hashes: 501 (501 records)" in stdout
    assert "checksum: verified" in stdout


def test_pwned_build_compact_ntlm_and_info_shows_the_false_positive_rate(tmp_path: Path) -> None:
    source = write_single_file(random_corpus(300, mode="ntlm", seed=2), tmp_path / "ntlm.txt")
    output = tmp_path / "ntlm.idx"
    stdout, _ = _run(
        "build", str(source), "--output", str(output), "--mode", "ntlm", "--format", "compact",
        "--quiet",
    )  # fmt: skip
    assert "300 NTLM hashes, compact format" in stdout
    stdout, _ = _run("info", str(output))
    assert "compact (64-bit fingerprints" in stdout
    assert "false positives: 1.6e-17 per lookup of an absent hash" in stdout


def test_pwned_build_stops_at_a_malformed_line_with_its_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "pwned.txt"
    source.write_text("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:ten\n")
    with pytest.raises(CommandError, match=r"pwned.txt:1: count 'ten' is not a positive integer"):
        _run("build", str(source), "--output", str(tmp_path / "out.idx"), "--quiet")
    assert not (tmp_path / "out.idx").exists()


def test_pwned_build_skip_bad_lists_the_skipped_lines(tmp_path: Path) -> None:
    source = tmp_path / "pwned.txt"
    source.write_text(
        "0000000000000000000000000000000000000001:1\nbroken\n"
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\nalso broken\n"
    )
    stdout, _ = _run(
        "build", str(source), "--output", str(tmp_path / "out.idx"), "--skip-bad", "--quiet",
        "--show", "1",
    )  # fmt: skip
    assert "2 SHA-1 hashes" in stdout
    assert "Skipped 2 malformed lines; the first 1:" in stdout
    assert f"  {source}:2: no count: expected HASH:COUNT, found 'broken'" in stdout


def test_pwned_build_resume_continues_an_interrupted_build(tmp_path: Path) -> None:
    source = write_single_file(random_corpus(200, seed=4), tmp_path / "pwned.txt")
    output = tmp_path / "out.idx"
    (tmp_path / "out.idx.build").mkdir()  # left by a build killed before its first checkpoint
    with pytest.raises(CommandError, match="add --resume to continue it"):
        _run("build", str(source), "--output", str(output), "--quiet")
    stdout, _ = _run("build", str(source), "--output", str(output), "--quiet", "--resume")
    assert "200 SHA-1 hashes" in stdout


def test_pwned_info_refuses_a_file_that_is_not_an_index(tmp_path: Path) -> None:
    path = tmp_path / "pwned.txt"
    path.write_text("hello\n")
    with pytest.raises(CommandError, match="does not start with the index signature"):
        _run("info", str(path))


def test_pwned_needs_a_verb() -> None:
    with pytest.raises(CommandError):
        _run()
