"""open_index() refuses anything but a whole, intact index; range() checks its prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.formats import HEADER_SIZE, IndexFormatError
from safeharbor.passwords.breach.index import UnsupportedQueryError, open_index
from safeharbor.passwords.breach.synthetic import random_corpus, write_single_file


@pytest.fixture(scope="module")
def index_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("index")
    source = write_single_file(random_corpus(2000, seed=3), root / "pwned.txt")
    build_index(source, root / "exact.idx")
    return (root / "exact.idx").read_bytes()


def _refused(path: Path, message: str) -> None:
    with pytest.raises(IndexFormatError, match=message) as raised:
        open_index(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("keep", [0, 10, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 17, -1])
def test_a_truncated_index_is_refused(tmp_path: Path, index_bytes: bytes, keep: int) -> None:
    path = tmp_path / "cut.idx"
    path.write_bytes(index_bytes[:keep])
    _refused(path, "shorter than the 256-byte header|truncated")


def test_an_index_with_extra_bytes_is_refused(tmp_path: Path, index_bytes: bytes) -> None:
    path = tmp_path / "long.idx"
    path.write_bytes(index_bytes + b"\x00")
    _refused(path, "longer than its header says")


@pytest.mark.parametrize("offset", [9, 12, 24, 56, 100, 200, HEADER_SIZE - 1])
def test_a_corrupted_header_is_refused(tmp_path: Path, index_bytes: bytes, offset: int) -> None:
    data = bytearray(index_bytes)
    data[offset] ^= 0x01
    path = tmp_path / "bad.idx"
    path.write_bytes(bytes(data))
    _refused(path, "checksum does not match|version .* is not supported")


def test_corrupted_data_is_found_by_verify(tmp_path: Path, index_bytes: bytes) -> None:
    data = bytearray(index_bytes)
    data[HEADER_SIZE + 5] ^= 0x40
    path = tmp_path / "bad.idx"
    path.write_bytes(bytes(data))
    with open_index(path) as index, pytest.raises(IndexFormatError, match="does not match"):
        index.verify()
    (tmp_path / "good.idx").write_bytes(index_bytes)
    with open_index(tmp_path / "good.idx") as index:
        index.verify()


def test_a_file_that_is_not_an_index_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pwned.txt"
    path.write_text("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n" * 20)
    _refused(path, "does not start with the index signature")


def test_a_missing_index_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path / "nowhere.idx", "cannot open the index")


@pytest.mark.parametrize("prefix", ["ABCD", "GGGGG", "abcde1", "", "5BAA 6", " 5BAA6", "+5BAA"])
def test_range_rejects_a_bad_prefix(tmp_path: Path, index_bytes: bytes, prefix: str) -> None:
    (tmp_path / "good.idx").write_bytes(index_bytes)
    with open_index(tmp_path / "good.idx") as index, pytest.raises(ValueError, match="five hex"):
        index.range(prefix)


def test_range_on_a_compact_index_is_a_clear_error(tmp_path: Path) -> None:
    source = write_single_file(random_corpus(100, seed=1), tmp_path / "pwned.txt")
    build_index(source, tmp_path / "compact.idx", format="compact")
    with (
        open_index(tmp_path / "compact.idx") as index,
        pytest.raises(UnsupportedQueryError, match="build an exact index"),
    ):
        index.range("5BAA6")
