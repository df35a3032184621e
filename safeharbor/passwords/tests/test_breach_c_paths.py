"""The C hot paths answer exactly what the pure-Python reference methods answer, on every layout."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from safeharbor.passwords.breach import index as index_module
from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.synthetic import random_corpus, write_single_file

pytestmark = pytest.mark.skipif(
    index_module._fast is None, reason="the C extension is not built in this environment"
)

LAYOUTS = [
    ("sha1", "exact", None, 8),
    ("sha1", "exact", None, 0),
    ("ntlm", "exact", None, 8),
    ("ntlm", "exact", None, 0),
    ("sha1", "compact", 64, 8),
    ("sha1", "compact", 40, 0),
    ("ntlm", "compact", 48, 8),
]


def _dense_corpus(mode: str, seed: int) -> list[tuple[bytes, int]]:
    """Random hashes plus a crowded bucket (prefix 5BAA6) whose sub-buckets are all in use, and
    counts above 15 so exact indexes need escapes."""
    corpus = dict(random_corpus(3000, mode=mode, seed=seed))
    rng = random.Random(seed)
    size = 20 if mode == "sha1" else 16
    crowded = bytes.fromhex("5BAA60")
    for _ in range(1500):
        digest = bytes([crowded[0], crowded[1], (crowded[2] & 0xF0) | rng.randrange(16)])
        corpus[digest + rng.randbytes(size - 3)] = rng.choice([1, 2, 15, 16, 99, 4_000_000_000])
    return sorted(corpus.items())


@pytest.mark.parametrize(("mode", "format", "bits", "sub_bits"), LAYOUTS)
def test_c_count_and_range_match_the_python_reference(
    tmp_path: Path, mode: str, format: str, bits: int | None, sub_bits: int
) -> None:
    corpus = _dense_corpus(mode, seed=len(tmp_path.name))
    source = tmp_path / "corpus.txt"
    write_single_file(corpus, source)
    output = tmp_path / "index.idx"
    build_index(
        source, output, mode=mode, format=format, fingerprint_bits=bits, sub_bucket_bits=sub_bits
    )
    fast = open_index(output)
    reference = open_index(output, use_c=False)
    assert (fast.implementation, reference.implementation) == ("c", "python")
    rng = random.Random(7)
    present = [digest for digest, _ in corpus]
    absent = [rng.randbytes(len(present[0])) for _ in range(2000)]
    # Absent digests that share a present one's bucket and sub-bucket exercise the run search.
    near = [digest[:4] + rng.randbytes(len(digest) - 4) for digest in present[:2000]]
    for digest in present + absent + near:
        assert fast.count(digest) == reference.count(digest), digest.hex()
    if format == "exact":
        counts = dict(corpus)
        assert all(fast.count(digest) == counts[digest] for digest in present)
        prefixes = {digest.hex()[:5].upper() for digest in present[:500]} | {"5BAA6", "FFFFF"}
        for prefix in prefixes:
            expected = "\r\n".join(f"{s}:{c}" for s, c in reference.range(prefix)).encode()
            assert fast.range_body(prefix) == expected
            assert reference.range_body(prefix) == expected
    with pytest.raises(ValueError, match="digest has"):
        fast.count(b"short")


def _patched(tmp_path: Path, patch) -> Path:
    """An exact SHA-1 index (sub-buckets on) holding "password" 100 times (an escape), with some
    bytes overwritten by ``patch(data, header)``; open_index still accepts it (it checks only
    the header and the directories' last entries)."""
    from safeharbor.passwords.breach.index import sha1_digest

    corpus = dict(random_corpus(500, seed=11))
    corpus[sha1_digest("password")] = 100
    source = write_single_file(sorted(corpus.items()), tmp_path / "corpus.txt")
    output = tmp_path / "index.idx"
    build_index(source, output, mode="sha1", format="exact", sub_bucket_bits=8)
    with open_index(output) as index:
        header = index.header
    data = bytearray(output.read_bytes())
    patch(data, header)
    output.write_bytes(bytes(data))
    return output


def _entry(header, offset: int, bucket: int) -> slice:
    at = offset + bucket * header.directory_width
    return slice(at, at + header.directory_width)


BUCKET = 0x5BAA6


def _bad_escape(data: bytearray, header) -> None:
    data[_entry(header, header.escape_directory_offset, BUCKET)] = (0xFFFFFF00).to_bytes(
        header.directory_width, "little"
    )


def _bad_directory(data: bytearray, header) -> None:
    width = header.directory_width
    data[_entry(header, header.directory_offset, BUCKET)] = (0xF0000000).to_bytes(width, "little")
    data[_entry(header, header.directory_offset, BUCKET + 1)] = (0xF0000001).to_bytes(
        width, "little"
    )


def _bad_bitmap(data: bytearray, header) -> None:
    # Every bit of the bucket's sub-bucket bitmap segment (and well beyond) set to 0.
    first_bit = BUCKET << 8  # the records before it are few; zero a wide band to be sure
    start = header.bitmap_offset + first_bit // 8
    data[start : start + 4096] = bytes(4096)


@pytest.mark.parametrize("patch", [_bad_escape, _bad_directory, _bad_bitmap])
def test_a_corrupt_index_is_an_error_in_c_never_a_crash(tmp_path: Path, patch) -> None:
    from safeharbor.passwords.breach.formats import IndexFormatError
    from safeharbor.passwords.breach.index import sha1_digest

    path = _patched(tmp_path, patch)
    index = open_index(path)
    assert index.implementation == "c"
    with pytest.raises(IndexFormatError, match="corrupt"):
        index.range_body("5BAA6")
    if patch is _bad_bitmap:
        # A bitmap without the record's bit: honestly "not found", nothing read outside it.
        assert index.count(sha1_digest("password")) == 0
    else:
        with pytest.raises(IndexFormatError, match="corrupt"):
            index.count(sha1_digest("password"))
    index.close()
