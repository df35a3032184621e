"""Building indexes from the HIBP downloader's output and looking hashes up in them."""

from __future__ import annotations

import filecmp
import importlib.util
import random
from pathlib import Path

import pytest

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.formats import compact_false_positive_rate
from safeharbor.passwords.breach.index import (
    UnsupportedQueryError,
    ntlm_digest,
    open_index,
    sha1_digest,
)
from safeharbor.passwords.breach.synthetic import (
    random_corpus,
    write_prefix_directory,
    write_single_file,
)

HAS_NUMPY = importlib.util.find_spec("numpy") is not None
Corpus = list[tuple[bytes, int]]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return random_corpus(6000, seed=11)


def _lines_by_prefix(corpus: Corpus) -> dict[str, list[tuple[str, int]]]:
    lines: dict[str, list[tuple[str, int]]] = {}
    for digest, count in corpus:
        text = digest.hex().upper()
        lines.setdefault(text[:5], []).append((text[5:], count))
    return lines


def _absent(corpus: Corpus, size: int, how_many: int, seed: int = 5) -> list[bytes]:
    present = {digest for digest, _ in corpus}
    rng = random.Random(seed)
    found: list[bytes] = []
    while len(found) < how_many:
        digest = rng.randbytes(size)
        if digest not in present:
            found.append(digest)
    return found


@pytest.mark.parametrize("format", ["exact", "compact"])
@pytest.mark.parametrize("sub_bucket_bits", [0, 8])
def test_single_file_and_prefix_directory_build_identical_indexes(
    tmp_path: Path, corpus: Corpus, format: str, sub_bucket_bits: int
) -> None:
    single = write_single_file(corpus, tmp_path / "pwned.txt", line_ending="\n")
    directory = write_prefix_directory(corpus, tmp_path / "pwned", line_ending="\r\n")
    build_index(single, tmp_path / "a.idx", format=format, sub_bucket_bits=sub_bucket_bits)
    build_index(directory, tmp_path / "b.idx", format=format, sub_bucket_bits=sub_bucket_bits)
    assert filecmp.cmp(tmp_path / "a.idx", tmp_path / "b.idx", shallow=False)


@pytest.mark.parametrize("sub_bucket_bits", [0, 8])
def test_exact_index_finds_every_hash_with_its_count_and_no_absent_hash(
    tmp_path: Path, corpus: Corpus, sub_bucket_bits: int
) -> None:
    source = write_single_file(corpus, tmp_path / "pwned.txt")
    report = build_index(source, tmp_path / "exact.idx", sub_bucket_bits=sub_bucket_bits)
    assert report.hash_count == len(corpus)
    with open_index(tmp_path / "exact.idx") as index:
        assert (index.mode, index.format, index.hash_count) == ("sha1", "exact", len(corpus))
        assert [index.count(digest) for digest, _ in corpus] == [count for _, count in corpus]
        assert not any(index.count(digest) for digest in _absent(corpus, 20, 20000))
        # Neighbours that differ only in the last bit are absent too.
        for digest, _ in corpus[:500]:
            neighbour = digest[:-1] + bytes([digest[-1] ^ 1])
            if neighbour not in dict(corpus):
                assert index.count(neighbour) == 0


def test_a_sorted_corpus_is_found_with_large_counts_and_escapes(tmp_path: Path) -> None:
    # Many hashes in one bucket with counts around the 15/16 boundary and up to the 32-bit limit.
    rng = random.Random(3)
    counts = [1, 15, 16, 17, 255, 256, 65536, 4294967295, 2, 1000, 14, 99999999]
    # 1,500 in one bucket: the density of a 1.5-billion-hash corpus (windowed sub-bucket search).
    digests = sorted({b"\xab\xcd\xe0" + rng.randbytes(17) for _ in range(1500)})
    corpus = [(digest, counts[i % len(counts)]) for i, digest in enumerate(digests)]
    source = write_single_file(corpus, tmp_path / "pwned.txt")
    for bits in (0, 8):
        build_index(source, tmp_path / f"{bits}.idx", sub_bucket_bits=bits)
        with open_index(tmp_path / f"{bits}.idx") as index:
            assert [index.count(digest) for digest, _ in corpus] == [c for _, c in corpus]
            assert index.range("ABCDE") == _lines_by_prefix(corpus)["ABCDE"]


@pytest.mark.parametrize("sub_bucket_bits", [0, 8])
def test_range_returns_exactly_the_corpus_lines_of_each_prefix(
    tmp_path: Path, corpus: Corpus, sub_bucket_bits: int
) -> None:
    directory = write_prefix_directory(corpus, tmp_path / "pwned")
    build_index(directory, tmp_path / "exact.idx", sub_bucket_bits=sub_bucket_bits)
    expected = _lines_by_prefix(corpus)
    with open_index(tmp_path / "exact.idx") as index:
        for prefix, lines in expected.items():
            assert index.range(prefix) == lines
            assert index.range(prefix.lower()) == lines
        # The range is what the text file says under that prefix, byte for byte.
        text = (directory / f"{next(iter(expected))}.txt").read_bytes().decode()
        first = index.range(next(iter(expected)))
        assert "".join(f"{suffix}:{count}\r\n" for suffix, count in first) == text


def test_empty_prefix_buckets_answer_nothing(tmp_path: Path) -> None:
    rng = random.Random(8)
    corpus = sorted((b"\x12\x34" + rng.randbytes(18), 5) for _ in range(50))
    directory = write_prefix_directory(corpus, tmp_path / "pwned", empty_files=[0, 0xFFFFF, 7])
    build_index(directory, tmp_path / "exact.idx", sub_bucket_bits=8)
    with open_index(tmp_path / "exact.idx") as index:
        for prefix in ("00000", "00007", "FFFFF", "12340", "99999"):
            if prefix not in _lines_by_prefix(corpus):
                assert index.range(prefix) == []
        assert index.count(bytes(20)) == 0
        assert index.count(b"\xff" * 20) == 0
        assert all(index.count(digest) == 5 for digest, _ in corpus)


def test_compact_index_finds_every_present_hash_with_a_lower_bound_count(
    tmp_path: Path, corpus: Corpus
) -> None:
    source = write_single_file(corpus, tmp_path / "pwned.txt")
    report = build_index(source, tmp_path / "compact.idx", format="compact")
    with open_index(tmp_path / "compact.idx") as index:
        assert index.format == "compact"
        assert index.fingerprint_bits == 64
        assert report.bytes_per_hash > 0
        for digest, count in corpus:
            found = index.count(digest)
            assert found <= count
            assert count < 2 * found or found == 16384
        with pytest.raises(UnsupportedQueryError, match="compact index"):
            index.range("ABCDE")


@pytest.mark.parametrize("sub_bucket_bits", [0, 8])
def test_compact_false_positive_rate_stays_within_the_documented_bound(
    tmp_path: Path, sub_bucket_bits: int
) -> None:
    # 32-bit fingerprints (24 with no sub-buckets) make false positives frequent enough to count.
    bits = 24 if sub_bucket_bits == 0 else 32
    corpus = random_corpus(30000, seed=21)
    source = write_single_file(corpus, tmp_path / "pwned.txt")
    build_index(
        source,
        tmp_path / "compact.idx",
        format="compact",
        fingerprint_bits=bits,
        sub_bucket_bits=sub_bucket_bits,
    )
    lookups = 100_000
    with open_index(tmp_path / "compact.idx") as index:
        assert all(index.count(digest) for digest, _ in corpus)
        hits = sum(1 for digest in _absent(corpus, 20, lookups) if index.count(digest))
        documented = index.false_positive_rate
    assert documented == pytest.approx(compact_false_positive_rate(index.record_count, bits))
    expected = documented * lookups
    # The measured count is binomial: allow five standard deviations above the bound.
    assert hits <= expected + 5 * expected**0.5
    # and it is not zero when thousands are expected: truncation is really happening.
    assert expected < 10 or hits > expected / 2


def test_ntlm_mode_indexes_ntlm_hashes(tmp_path: Path) -> None:
    corpus = random_corpus(3000, mode="ntlm", seed=2)
    corpus = sorted([*corpus, (ntlm_digest("password"), 9545824), (ntlm_digest("hunter2"), 7)])
    directory = write_prefix_directory(corpus, tmp_path / "ntlm")
    single = write_single_file(corpus, tmp_path / "ntlm.txt")
    report = build_index(directory, tmp_path / "a.idx", mode="ntlm")
    build_index(single, tmp_path / "b.idx", mode="ntlm")
    assert report.hash_count == len(corpus)
    assert filecmp.cmp(tmp_path / "a.idx", tmp_path / "b.idx", shallow=False)
    with open_index(tmp_path / "a.idx") as index:
        assert index.mode == "ntlm"
        assert index.count(ntlm_digest("password")) == 9545824
        assert index.count(ntlm_digest("hunter2")) == 7
        assert index.count(ntlm_digest("not in the corpus")) == 0
        assert [index.count(digest) for digest, _ in corpus] == [c for _, c in corpus]
        assert index.range("8846F") == [("7EAEE8FB117AD06BDD830B7586C", 9545824)]
        with pytest.raises(ValueError, match="16 bytes"):
            index.count(sha1_digest("password"))


def test_count_rejects_a_digest_of_the_wrong_length(tmp_path: Path, corpus: Corpus) -> None:
    build_index(write_single_file(corpus, tmp_path / "pwned.txt"), tmp_path / "exact.idx")
    with open_index(tmp_path / "exact.idx") as index, pytest.raises(ValueError, match="20 bytes"):
        index.count(ntlm_digest("password"))


def test_password_lookup_through_the_sha1_digest(tmp_path: Path, corpus: Corpus) -> None:
    known = sorted([*corpus, (sha1_digest("password"), 10434004)])
    build_index(write_single_file(known, tmp_path / "pwned.txt"), tmp_path / "exact.idx")
    with open_index(tmp_path / "exact.idx") as index:
        assert index.count(sha1_digest("password")) == 10434004
        assert ("1E4C9B93F3F0682250B6CF8331B7EE68FD8", 10434004) in index.range("5BAA6")


@pytest.mark.skipif(not HAS_NUMPY, reason="numpy is not installed")
@pytest.mark.parametrize("mode", ["sha1", "ntlm"])
@pytest.mark.parametrize(
    ("format", "sub_bucket_bits", "fingerprint_bits"),
    [("exact", 0, None), ("exact", 8, None), ("compact", 0, 64), ("compact", 8, 40)],
)
def test_numpy_and_reference_engines_write_identical_files(
    tmp_path: Path, mode: str, format: str, sub_bucket_bits: int, fingerprint_bits: int | None
) -> None:
    # Duplicated fingerprints (compact) and long runs in one bucket exercise the merges.
    rng = random.Random(17)
    size = 20 if mode == "sha1" else 16
    corpus = random_corpus(4000, mode=mode, seed=31)
    crowded = {b"\x00\x00\x01" + rng.randbytes(size - 3) for _ in range(300)}
    twins = {digest[:6] + rng.randbytes(size - 6) for digest, _ in corpus[:50]}
    everything = sorted({digest for digest, _ in corpus} | crowded | twins)
    weighted = [(digest, int(rng.paretovariate(0.8))) for digest in everything]
    single = write_single_file(weighted, tmp_path / "pwned.txt")
    directory = write_prefix_directory(weighted, tmp_path / "pwned")
    outputs = []
    for engine in ("python", "numpy"):
        for source in (single, directory):
            output = tmp_path / f"{engine}-{source.name}.idx"
            build_index(
                source,
                output,
                mode=mode,
                format=format,
                engine=engine,
                sub_bucket_bits=sub_bucket_bits,
                fingerprint_bits=fingerprint_bits,
                chunk_bytes=4096,  # many chunks: state must carry across them
            )
            outputs.append(output)
    for output in outputs[1:]:
        assert filecmp.cmp(outputs[0], output, shallow=False), output.name
