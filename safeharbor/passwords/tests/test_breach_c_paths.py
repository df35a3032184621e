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
