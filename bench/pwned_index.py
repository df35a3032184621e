"""Benchmark of the breached-password index (safeharbor.passwords.breach).

    python -m bench.pwned_index                 # smoke size: 200,000 hashes, well under a minute
    python -m bench.pwned_index --full          # 100,000,000 hashes (about 20 GB of temp files)
    python -m bench.pwned_index --hashes 5000000 --workdir /big/disk

It generates a synthetic SHA-1 corpus (random digests, heavy-tailed counts) in both of the HIBP
downloader's layouts, builds the exact index from each layout (they must be byte-identical) and
the compact index, then measures every figure beside a baseline from the same run:

- bytes per hash: the HIBP text (single file and per-prefix files), and a plain sorted array of
  20-byte SHA-1 + 4-byte count (24 B/hash);
- lookup: the median of single warm ``count()`` calls (each timed on its own, timer overhead
  included), against ``bisect`` over the plain array, memory-mapped;
- build rate (hashes/s, parsing included) against merely iterating the text's lines in Python.

Temporary files go in a fresh directory under --workdir (default: the system temp directory),
except the per-prefix files, which go under --prefix-workdir (default: /dev/shm when it exists):
creating a million small files costs about half a millisecond each on some virtual disks, which
would dominate the run without saying anything about the index. All are deleted unless --keep.
"""

from __future__ import annotations

import argparse
import bisect
import mmap
import os
import platform
import random
import shutil
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.formats import (
    Header,
    Layout,
    choose_sub_bucket_bits,
    compact_false_positive_rate,
)
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.synthetic import (
    DEFAULT_ALPHA,
    DEFAULT_LARGEST_COUNT,
    random_corpus,
    write_prefix_directory,
    write_single_file,
)

SMOKE_HASHES = 200_000
FULL_HASHES = 100_000_000
GOALS = {"exact": 18.0, "compact": 8.0, "lookup_us": 5.0, "build": 1_000_000.0}


class PlainArray(Sequence[bytes]):
    """The baseline: sorted 24-byte rows (20-byte SHA-1, 4-byte little-endian count), mmapped."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("rb")
        self.mapped = mmap.mmap(self.handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.rows = len(self.mapped) // 24

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, index: Any) -> Any:
        at = index * 24
        return self.mapped[at : at + 20]

    def count(self, digest: bytes) -> int:
        index = bisect.bisect_left(self, digest)
        at = index * 24
        if index < self.rows and self.mapped[at : at + 20] == digest:
            return int(struct.unpack_from("<I", self.mapped, at + 20)[0])
        return 0

    def close(self) -> None:
        self.mapped.close()
        self.handle.close()


# -- corpus generation --------------------------------------------------------------------------


def generate(
    hashes: int, seed: int, workdir: Path, directory: Path, samples: int
) -> tuple[int, list[tuple[bytes, int]]]:
    """Write corpus.txt and plain.bin in workdir and the per-prefix files in directory;
    return (hashes, present samples)."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return _generate_python(hashes, seed, workdir, directory, samples)
    return _generate_numpy(hashes, seed, workdir, directory, samples)


def _generate_python(
    hashes: int, seed: int, workdir: Path, directory: Path, samples: int
) -> tuple[int, list[tuple[bytes, int]]]:
    corpus = random_corpus(hashes, seed=seed)
    write_single_file(corpus, workdir / "corpus.txt")
    write_prefix_directory(corpus, directory)
    with (workdir / "plain.bin").open("wb") as handle:
        for digest, count in corpus:
            handle.write(digest + struct.pack("<I", count))
    rng = random.Random(seed + 1)
    return len(corpus), rng.sample(corpus, min(samples, len(corpus)))


def _generate_numpy(
    hashes: int, seed: int, workdir: Path, directory: Path, samples: int
) -> tuple[int, list[tuple[bytes, int]]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    # Sorting the top 64 bits sorts the digests (the rest is random; ties are dropped).
    tops = rng.integers(0, 2**64, hashes, dtype=np.uint64, endpoint=False)
    tops.sort()  # (np.unique is much slower on 100M values)
    tops = tops[np.concatenate([[True], tops[1:] != tops[:-1]])]
    total = len(tops)
    prefixes = (tops >> np.uint64(44)).astype(np.int64)
    hex_table = np.frombuffer(b"0123456789ABCDEF", np.uint8)
    directory.mkdir()
    sample_at = np.sort(rng.choice(total, size=min(samples, total), replace=False))
    present: list[tuple[bytes, int]] = []
    step = 4096  # buckets per piece, so a piece holds whole per-prefix files
    with (workdir / "corpus.txt").open("wb") as single, (workdir / "plain.bin").open("wb") as plain:
        for first_bucket in range(0, 1 << 20, step):
            lo, hi = np.searchsorted(prefixes, [first_bucket, first_bucket + step])
            rows = int(hi - lo)
            if not rows:
                continue
            digests = np.empty((rows, 20), np.uint8)
            digests[:, :8] = tops[lo:hi].astype(">u8").view(np.uint8).reshape(rows, 8)
            digests[:, 8:] = rng.integers(0, 256, (rows, 12), dtype=np.uint8)
            uniform = 1.0 - rng.random(rows)
            counts = np.minimum(
                DEFAULT_LARGEST_COUNT, np.floor(uniform ** (-1.0 / DEFAULT_ALPHA))
            ).astype(np.int64)
            plain_rows = np.empty((rows, 24), np.uint8)
            plain_rows[:, :20] = digests
            plain_rows[:, 20:] = counts.astype("<u4").view(np.uint8).reshape(rows, 4)
            plain.write(plain_rows.tobytes())
            in_piece = sample_at[(sample_at >= lo) & (sample_at < hi)] - lo
            present.extend((digests[i].tobytes(), int(counts[i])) for i in in_piece)

            hex_digits = np.empty((rows, 40), np.uint8)
            hex_digits[:, 0::2] = hex_table[digests >> 4]
            hex_digits[:, 1::2] = hex_table[digests & 15]
            widths = np.ones(rows, np.int64)
            for power in range(1, 10):
                widths += counts >= 10**power
            text = np.full((rows, 40 + 1 + 10 + 2), 0, np.uint8)
            text[:, :40] = hex_digits
            text[:, 40] = ord(":")
            keep = np.zeros(text.shape, bool)
            keep[:, :41] = True
            for digit in range(10):  # digit `digit` from the right
                column = 41 + 9 - digit
                text[:, column] = 48 + (counts // 10**digit) % 10
                keep[:, column] = digit < widths
            text[:, 51] = 13
            text[:, 52] = 10
            keep[:, 51:] = True
            # Left-align the count digits by dropping the unused leading columns.
            lines = text[keep]
            single.write(lines.tobytes())
            line_lengths = keep.sum(axis=1)
            # Per-prefix files: the same lines without the five prefix characters.
            suffix_keep = keep.copy()
            suffix_keep[:, :5] = False
            suffix_text = text[suffix_keep].tobytes()
            ends = np.cumsum(line_lengths - 5)
            piece_prefixes = prefixes[lo:hi]
            bounds = np.flatnonzero(np.diff(piece_prefixes)) + 1
            starts_rows = np.concatenate([[0], bounds])
            ends_rows = np.concatenate([bounds, [rows]])
            for start_row, end_row in zip(starts_rows, ends_rows, strict=True):
                begin = int(ends[start_row - 1]) if start_row else 0
                finish = int(ends[end_row - 1])
                name = f"{int(piece_prefixes[start_row]):05X}.txt"
                (directory / name).write_bytes(suffix_text[begin:finish])
    return total, present


# -- measurements -------------------------------------------------------------------------------


def median_lookup_us(
    lookup: Callable[[bytes], int], digests: list[bytes], passes: int = 3
) -> float:
    """The median of single timed calls (timer overhead included), after a warming pass; the
    lowest of ``passes`` such medians, so another process's burst does not decide the figure."""
    for digest in digests:  # warm the page cache and the code
        lookup(digest)
    timer = time.perf_counter_ns
    medians = []
    for _ in range(passes):
        times = []
        for digest in digests:
            started = timer()
            lookup(digest)
            times.append(timer() - started)
        medians.append(statistics.median(times) / 1000)
    return min(medians)


def dense_bucket_lookups(
    root: Path, seed: int, samples: int
) -> tuple[float, float, int, float, float]:
    """Lookups in buckets as full as a 2-billion-hash corpus makes them (2e9 / 2**20 = 1,907
    hashes per prefix), on the first 256 prefixes only: (present us, absent us, hashes, and the
    pure-Python reference's present and absent us)."""
    rng = random.Random(seed)
    per_bucket = 2_000_000_000 >> 20
    digests = sorted(
        {
            (prefix << 140 | rng.getrandbits(140)).to_bytes(20, "big")
            for prefix in range(256)
            for _ in range(per_bucket)
        }
    )
    corpus = [(digest, 1 + (i % 7)) for i, digest in enumerate(digests)]
    write_single_file(corpus, root / "dense.txt")
    build_index(root / "dense.txt", root / "dense.idx", sub_bucket_bits=8)
    present = [digest for digest, _ in rng.sample(corpus, min(samples, len(corpus)))]
    absent = [(rng.getrandbits(148)).to_bytes(20, "big") for _ in range(len(present))]
    with (
        open_index(root / "dense.idx") as index,
        open_index(root / "dense.idx", use_c=False) as reference,
    ):
        assert all(index.count(digest) for digest in present)
        return (
            median_lookup_us(index.count, present),
            median_lookup_us(index.count, absent),
            len(corpus),
            median_lookup_us(reference.count, present[:2000], passes=1),
            median_lookup_us(reference.count, absent[:2000], passes=1),
        )


def line_iteration_rate(path: Path, limit: int) -> float:
    started = time.perf_counter()
    lines = 0
    with path.open("rb") as handle:
        for _ in handle:
            lines += 1
            if lines >= limit:
                break
    return lines / (time.perf_counter() - started)


def directory_size(path: Path) -> int:
    return sum(entry.stat().st_size for entry in os.scandir(path))


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def run(args: argparse.Namespace) -> int:
    hashes = args.hashes or (FULL_HASHES if args.full else SMOKE_HASHES)
    root = Path(tempfile.mkdtemp(prefix="pwned-bench-", dir=args.workdir))
    prefix_parent = args.prefix_workdir or ("/dev/shm" if Path("/dev/shm").is_dir() else None)
    prefix_root = Path(tempfile.mkdtemp(prefix="pwned-bench-", dir=prefix_parent))
    corpus_directory = prefix_root / "corpus"
    results: dict[str, Any] = {}
    try:
        say = print
        say(f"# pwned_index benchmark: {hashes:,} SHA-1 hashes, {machine()}")
        say(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, temp files in {root} and {prefix_root}")
        started = time.perf_counter()
        total, present = generate(hashes, args.seed, root, corpus_directory, args.lookups)
        say(f"generated {total:,} hashes in {time.perf_counter() - started:.1f} s")
        text_size = (root / "corpus.txt").stat().st_size
        directory_text_size = directory_size(corpus_directory)

        builds = {}
        for name, source, format in (
            ("exact-file", root / "corpus.txt", "exact"),
            ("exact-directory", corpus_directory, "exact"),
            ("compact-file", root / "corpus.txt", "compact"),
        ):
            report = build_index(source, root / f"{name}.idx", format=format, progress=sys.stderr)
            builds[name] = report
            say(
                f"built {name}: {report.hash_count:,} hashes in {report.seconds:.1f} s "
                f"({report.hashes_per_second / 1e6:.2f}M hashes/s, engine {report.engine}), "
                f"{report.bytes_per_hash:.3f} B/hash"
            )
        identical = _same_bytes(root / "exact-file.idx", root / "exact-directory.idx")
        say(f"exact index from the file and from the directory identical: {identical}")

        read_rate = line_iteration_rate(root / "corpus.txt", min(total, 5_000_000))
        # The text is no longer needed: free its page cache (and /dev/shm) before timing lookups.
        (root / "corpus.txt").unlink()
        shutil.rmtree(corpus_directory)

        rng = random.Random(args.seed + 2)
        absent = [rng.randbytes(20) for _ in range(len(present))]
        present_digests = [digest for digest, _ in present]
        opened = time.perf_counter()
        exact = open_index(root / "exact-file.idx")
        open_ms = (time.perf_counter() - opened) * 1000
        compact = open_index(root / "compact-file.idx")
        plain = PlainArray(root / "plain.bin")
        wrong = sum(exact.count(digest) != count for digest, count in present)
        missed = sum(compact.count(digest) == 0 for digest in present_digests)
        false_hits = sum(compact.count(digest) > 0 for digest in absent)
        lookups = {
            "exact present": median_lookup_us(exact.count, present_digests),
            "exact absent": median_lookup_us(exact.count, absent),
            "compact present": median_lookup_us(compact.count, present_digests),
            "compact absent": median_lookup_us(compact.count, absent),
            "plain present": median_lookup_us(plain.count, present_digests),
            "plain absent": median_lookup_us(plain.count, absent),
        }
        dense_present, dense_absent, dense_hashes, python_present, python_absent = (
            dense_bucket_lookups(root, args.seed + 3, min(args.lookups, 20_000))
        )
        plain.close()

        exact_bph = builds["exact-file"].bytes_per_hash
        compact_bph = builds["compact-file"].bytes_per_hash
        build_rate = min(report.hashes_per_second for report in builds.values())
        say("")
        say(f"| figure ({total:,} hashes) | safeharbor | baseline | ratio | goal |")
        say("| --- | --- | --- | --- | --- |")
        rows = [
            ("exact index, bytes/hash", exact_bph, 24.0, "plain 20 B SHA-1 + 4 B count", "<= 18"),
            ("exact index, bytes/hash", exact_bph, text_size / total, "HIBP text, one file", ""),
            (
                "exact index, bytes/hash",
                exact_bph,
                directory_text_size / total,
                "HIBP text, per-prefix files",
                "",
            ),
            (
                "compact index, bytes/hash",
                compact_bph,
                24.0,
                "plain 20 B SHA-1 + 4 B count",
                "<= 8",
            ),
        ]
        for figure, value, base, base_name, goal in rows:
            say(
                f"| {figure} | {value:.3f} | {base:.3f} ({base_name}) | {value / base:.3f}x | "
                f"{goal} |"
            )
        for kind in ("exact", "compact"):
            for which in ("present", "absent"):
                value = lookups[f"{kind} {which}"]
                base = lookups[f"plain {which}"]
                say(
                    f"| {kind} count(), {which}, median us | {value:.2f} | {base:.2f} "
                    f"(bisect over mmapped plain array) | {base / value:.2f}x faster | <= 5 |"
                )
        say(
            f"| exact count() at 2-billion density (1,907 hashes per prefix; {dense_hashes:,} "
            f"hashes in 256 prefixes), present / absent, median us | {dense_present:.2f} / "
            f"{dense_absent:.2f} ({exact.implementation}) | {python_present:.2f} / "
            f"{python_absent:.2f} (the pure-Python reference lookup) | "
            f"{python_present / dense_present:.1f}x faster | <= 5 |"
        )
        for name, report in builds.items():
            say(
                f"| build {name}, hashes/s | {report.hashes_per_second:,.0f} | {read_rate:,.0f} "
                f"(Python iterating the text's lines) | "
                f"{report.hashes_per_second / read_rate:.2f}x | >= 1,000,000 |"
            )
        escape_share = exact.header.escape_count / exact.hash_count
        say("")
        say(
            f"exact index: {exact.header.layout.record_size}-byte records, "
            f"{exact.header.layout.sub_bucket_bits} sub-bucket bits, "
            f"{100 * escape_share:.2f}% of counts above 15 (4-byte escapes)"
        )
        for size in (100_000_000, 1_000_000_000, 2_000_000_000):
            say(
                f"projected bytes/hash at {size:,} hashes: exact "
                f"{projected_bytes_per_hash(size, 'exact', escape_share):.3f}, compact "
                f"{projected_bytes_per_hash(size, 'compact', 0.0):.3f}"
            )
        say(f"open_index(): {open_ms:.2f} ms (memory-mapped, no load step)")
        say(f"exact lookups with a wrong count: {wrong} of {len(present):,}")
        say(
            f"compact: present missed {missed}, absent found {false_hits} of {len(absent):,} "
            f"(expected {compact_false_positive_rate(compact.record_count, 64) * len(absent):.2g})"
        )
        exact.close()
        compact.close()
        met = {
            "exact bytes/hash": exact_bph <= GOALS["exact"],
            "compact bytes/hash": compact_bph <= GOALS["compact"],
            "lookup": max(lookups[k] for k in lookups if not k.startswith("plain"))
            <= GOALS["lookup_us"],
            "lookup at 2-billion density": max(dense_present, dense_absent) <= GOALS["lookup_us"],
            "build": build_rate >= GOALS["build"],
            "identical layouts": identical,
            "correct": wrong == 0 and missed == 0,
        }
        results.update(met)
        for goal, ok in met.items():
            say(f"goal {goal}: {'met' if ok else 'NOT met'}")
        return 0 if identical and wrong == 0 and missed == 0 else 1
    finally:
        if args.keep:
            print(f"kept {root} and {prefix_root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(prefix_root, ignore_errors=True)


def projected_bytes_per_hash(hashes: int, format: str, escape_share: float) -> float:
    """The file size per hash that the layout gives for a corpus of ``hashes`` SHA-1 hashes."""
    layout = Layout.for_build(
        "sha1", format, None, choose_sub_bucket_bits(hashes, 160 if format == "exact" else 64)
    )
    header = Header.plan(
        layout,
        hash_count=hashes,
        record_count=hashes,
        escape_count=round(hashes * escape_share),
        largest_bucket=0,
    )
    return header.file_size / hashes


def _same_bytes(first: Path, second: Path) -> bool:
    with first.open("rb") as a, second.open("rb") as b:
        while True:
            block = a.read(16 << 20)
            if block != b.read(16 << 20):
                return False
            if not block:
                return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help=f"{FULL_HASHES:,} hashes")
    parser.add_argument("--hashes", type=int, help="corpus size (overrides --full)")
    parser.add_argument("--lookups", type=int, default=20_000, help="digests looked up per case")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workdir", help="where to put the temporary files")
    parser.add_argument("--prefix-workdir", help="where to put the per-prefix files")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
