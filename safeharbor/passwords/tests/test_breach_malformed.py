"""Malformed downloader output is reported with its file and line, or skipped with --skip-bad."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.problems import BuildError, MalformedInputError

ENGINES = ["python"] + (["numpy"] if importlib.util.find_spec("numpy") else [])
A = "00000A1B2C3D4E5F60718293A4B5C6D7E8F90A1B"
B = "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D"
C = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
D = "FFFFF00000000000000000000000000000000001"


def _write(path: Path, lines: list[str], ending: str = "\r\n") -> Path:
    path.write_bytes("".join(line + ending for line in lines).encode())
    return path


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FZ8:3", "hash is not hexadecimal"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE6 FD8:3", "hash is not hexadecimal"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD:3", "hash has 39 hex digits, expected 40"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD80:3", "hash has 41 hex digits, expected 40"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", "no count: expected HASH:COUNT"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:", "no count after the colon"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:abc", "count 'abc' is not a positive integer"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:0", "count 0 is not a positive integer"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:-4", "count '-4' is not a positive integer"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:2.5", "count '2.5' is not a positive integer"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8: 7", "count ' 7' is not a positive integer"),
        (
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:4294967296",
            "count 4294967296 is larger than 4294967295",
        ),
        (
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:99999999999999999999999",
            "count '99999999999999999999999' is larger than 4294967295",
        ),
        ("", "empty line"),
        (A + ":2", "not in ascending order: sorts before the hash on line 2"),
        (B + ":9", "duplicate of the hash on line 2"),
    ],
)
def test_a_malformed_line_in_a_single_file_is_reported_with_file_and_line(
    tmp_path: Path, engine: str, bad_line: str, message: str
) -> None:
    source = _write(tmp_path / "pwned.txt", [A + ":1", B + ":2", bad_line, D + ":4"])
    with pytest.raises(MalformedInputError) as raised:
        build_index(source, tmp_path / "out.idx", engine=engine)
    assert str(raised.value).startswith(f"{source}:3: {message}")
    assert raised.value.problem.line == 3
    assert "--skip-bad" in str(raised.value)
    # Nothing half-written is left: no index, no resumable work directory.
    assert not (tmp_path / "out.idx").exists()
    assert not (tmp_path / "out.idx.build").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_line_whose_prefix_does_not_match_its_file_name_is_reported(
    tmp_path: Path, engine: str
) -> None:
    directory = tmp_path / "pwned"
    directory.mkdir()
    _write(directory / "5BAA6.txt", ["1E4C9B93F3F0682250B6CF8331B7EE68FD7:1"])
    _write(directory / "5BAA7.txt", ["0000000000000000000000000000000000A:5", C + ":3"])
    with pytest.raises(MalformedInputError) as raised:
        build_index(directory, tmp_path / "out.idx", engine=engine)
    assert str(raised.value).startswith(
        f"{directory}/5BAA7.txt:2: hash prefix 5BAA6 does not match the file name 5BAA7.txt"
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (["1E4C9B93F3F0682250B6CF8331B7EE68FD8:1", "1E4C9B:4"], 2, "hash has 6 hex digits"),
        (["1E4C9B93F3F0682250B6CF8331B7EE68FD8:1", "1E4C9B93F3F0682250B6CF8331B7EE68FD8:2"], 2,
         "duplicate of the hash on line 1"),
        (["2E4C9B93F3F0682250B6CF8331B7EE68FD8:1", "1E4C9B93F3F0682250B6CF8331B7EE68FD8:2"], 2,
         "not in ascending order"),
        (["1E4C9B93F3F0682250B6CF8331B7EE68FD8:x"], 1, "count 'x' is not a positive integer"),
    ],
)  # fmt: skip
def test_a_malformed_line_in_a_per_prefix_file_is_reported_with_file_and_line(
    tmp_path: Path, engine: str, lines: list[str], line: int, message: str
) -> None:
    directory = tmp_path / "pwned"
    directory.mkdir()
    _write(directory / "00000.txt", ["ABC0000000000000000000000000000000A:5"])
    _write(directory / "5BAA6.txt", lines, ending="\n")
    with pytest.raises(MalformedInputError) as raised:
        build_index(directory, tmp_path / "out.idx", engine=engine)
    assert str(raised.value).startswith(f"{directory}/5BAA6.txt:{line}: {message}")


def test_a_whole_hash_in_a_per_prefix_file_is_accepted_when_its_prefix_matches(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "pwned"
    directory.mkdir()
    _write(directory / "5BAA6.txt", ["0000000000000000000000000000000000A:5", C + ":7"])
    build_index(directory, tmp_path / "out.idx")
    with open_index(tmp_path / "out.idx") as index:
        assert index.range("5BAA6") == [
            ("0000000000000000000000000000000000A", 5),
            ("1E4C9B93F3F0682250B6CF8331B7EE68FD8", 7),
        ]


@pytest.mark.parametrize("engine", ENGINES)
def test_skip_bad_skips_malformed_lines_and_reports_the_count_and_the_first_ones(
    tmp_path: Path, engine: str
) -> None:
    source = _write(
        tmp_path / "pwned.txt",
        [
            A + ":1",
            "not a hash at all",
            B + ":0",
            B + ":2",
            B + ":3",  # duplicate
            "",
            C + ":10434004",
            A + ":1",  # out of order
            D + ":4",
        ],
    )
    report = build_index(
        source, tmp_path / "out.idx", skip_bad=True, keep_problems=2, engine=engine
    )
    assert report.hash_count == 4
    assert report.skipped == 5
    assert [str(problem) for problem in report.problems] == [
        f"{source}:2: no count: expected HASH:COUNT, found 'not a hash at all'",
        f"{source}:3: count 0 is not a positive integer",
    ]
    with open_index(tmp_path / "out.idx") as index:
        assert index.hash_count == 4
        assert index.count(bytes.fromhex(B)) == 2
        assert index.count(bytes.fromhex(C)) == 10434004
        assert index.count(bytes.fromhex(D)) == 4


def test_lowercase_hashes_and_a_missing_final_newline_are_accepted(tmp_path: Path) -> None:
    source = tmp_path / "pwned.txt"
    source.write_bytes(f"{A.lower()}:1\n{C}:2\r\n{D.lower()}:3".encode())
    build_index(source, tmp_path / "out.idx")
    with open_index(tmp_path / "out.idx") as index:
        assert index.hash_count == 3
        assert index.count(bytes.fromhex(D)) == 3


def test_a_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="no such file or directory"):
        build_index(tmp_path / "nowhere.txt", tmp_path / "out.idx")


def test_a_directory_without_prefix_files_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match=r"no per-prefix files \(XXXXX.txt\)"):
        build_index(tmp_path / "empty", tmp_path / "out.idx")
