"""Benchmark of the in-memory PDQ index (safeharbor.hashmatch.pdqindex), one thread.

    python -m bench.pdq_index               # smoke size (CI): 200,000 hashes, 300 queries
    python -m bench.pdq_index --full        # 10,000,000 hashes, 1,000 queries (~12 GB of RAM,
                                            # most of it the baseline's; a few minutes)
    python -m bench.pdq_index --hashes 1000000 --queries 500

Goals (issue 7), at 10,000,000 stored hashes, one thread, exact recall at distance <= 31:

- >= 5x the queries/s of threatexchange's ``PDQIndex`` (faiss ``IndexBinaryMultiHash``, 16 hash
  maps of 16 bits, nflip=1), on the same queries in the same run (``faiss.omp_set_num_threads(1)``);
- index memory <= 64 bytes/hash, everything counted (``nbytes / N``; the growth of the process's
  resident memory per hash is printed too);
- build <= 60 s.

Data: uniform random hashes plus clustered near-duplicates (10% of the hashes, in clusters of 10
around random centres, each member 1..30 random bit flips from its centre). Queries: 50% near
duplicates of stored hashes (0..31 flips), 10% at 32..40 flips, 40% uniform random. Recall is
checked against brute force (numpy bitwise_count) on a sample of the queries, and the baseline
must return exactly the same (hash, distance) set as the index on every query.

Each query is timed on its own (timer included), in --passes passes after a warming pass; each
figure (median, p99, and queries/s: queries over their total time) is the best of the passes.
Exit status: 0 when results are exact (timing goals only print "NOT met"), 1 on a correctness
failure (recall < 1 or results differing from brute force or the baseline).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from safeharbor.hashmatch.pdqindex import PDQIndex, brute_force, reference

SMOKE_HASHES, FULL_HASHES = 200_000, 10_000_000
SMOKE_QUERIES, FULL_QUERIES = 300, 1_000
THRESHOLD = 31
GOAL_RATIO = 5.0
GOAL_BYTES_PER_HASH = 64.0
GOAL_BUILD_SECONDS = 60.0

Query = TypeVar("Query", bytes, str)


@dataclass
class Timing:
    median_us: float
    p99_us: float
    queries_per_second: float


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


def resident_bytes() -> int:
    """The process's resident memory now (Linux; 0 where /proc is missing), after handing the
    allocator's free memory back (glibc's malloc_trim), so that freed build temporaries do not
    count."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


# -- data -----------------------------------------------------------------------------------------


def flip_random_bits(
    rows: npt.NDArray[np.uint8], flips: npt.NDArray[np.int64], rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """Copies of ``rows`` with ``flips[i]`` distinct random bits of row i flipped."""
    out = rows.copy()
    if not len(rows):
        return out
    most = int(flips.max())
    chosen = np.zeros((len(rows), 256), bool)
    for slot in range(most):
        active = np.flatnonzero(flips > slot)
        # Pick an unused bit: draw, and redraw the few rows whose draw is taken already.
        bits = rng.integers(0, 256, len(active))
        taken = chosen[active, bits]
        while taken.any():
            bits[taken] = rng.integers(0, 256, int(taken.sum()))
            taken = chosen[active, bits]
        chosen[active, bits] = True
        out[active, bits >> 3] ^= (0x80 >> (bits & 7)).astype(np.uint8)
    return out


def make_hashes(count: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """``count`` hashes: 90% uniform, 10% in clusters of 10 near random centres (1..30 flips)."""
    clustered = count // 10 // 10 * 10
    uniform = rng.integers(0, 256, (count - clustered, 32), dtype=np.uint8)
    centres = rng.integers(0, 256, (clustered // 10, 32), dtype=np.uint8)
    members = np.repeat(centres, 10, axis=0)
    pieces = [uniform]
    step = 1_000_000  # bounded temporaries at 10 million hashes
    for start in range(0, len(members), step):
        part = members[start : start + step]
        pieces.append(flip_random_bits(part, rng.integers(1, 31, len(part)), rng))
    hashes = np.concatenate(pieces)
    rng.shuffle(hashes, axis=0)
    return hashes


def make_queries(
    hashes: npt.NDArray[np.uint8], count: int, rng: np.random.Generator
) -> list[bytes]:
    near = count // 2
    far = count // 10
    picked = hashes[rng.integers(0, len(hashes), near + far)]
    flips = np.concatenate([rng.integers(0, 32, near), rng.integers(32, 41, far)])
    queries = flip_random_bits(picked, flips, rng)
    uniform = rng.integers(0, 256, (count - near - far, 32), dtype=np.uint8)
    rows = np.concatenate([queries, uniform])
    rng.shuffle(rows, axis=0)
    return [row.tobytes() for row in rows]


# -- measurements ---------------------------------------------------------------------------------


def time_queries(call: Callable[[Query], object], queries: Sequence[Query], passes: int) -> Timing:
    """Each query timed on its own, ``passes`` times after a warming pass; each figure is the
    best of the passes (the machine is shared: a pass that another process interrupts for a
    scheduler tick, about 4 ms, says nothing about the index)."""
    for query in queries[: max(1, len(queries) // 5)]:  # warm the code and the caches
        call(query)
    timer = time.perf_counter_ns
    medians, tails, rates = [], [], []
    for _ in range(passes):
        times = []
        for query in queries:
            started = timer()
            call(query)
            times.append(timer() - started)
        times.sort()
        medians.append(statistics.median(times) / 1000)
        tails.append(times[min(len(times) - 1, int(0.99 * len(times)))] / 1000)
        rates.append(len(times) / (sum(times) / 1e9))
    return Timing(min(medians), min(tails), max(rates))


def our_pairs(index: PDQIndex, query: bytes) -> list[tuple[bytes, int]]:
    return sorted((index.hash_at(p), d) for p, d in index.search(query, THRESHOLD))


def run(args: argparse.Namespace) -> int:
    count = args.hashes or (FULL_HASHES if args.full else SMOKE_HASHES)
    query_count = args.queries or (FULL_QUERIES if args.full else SMOKE_QUERIES)
    full_size = count >= FULL_HASHES
    say = print
    say(
        f"# pdq_index benchmark: {count:,} PDQ hashes, {query_count:,} queries, threshold "
        f"{THRESHOLD}, one thread"
    )
    say(f"# {machine()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    hashes = make_hashes(count, rng)
    queries = make_queries(hashes, query_count, rng)
    say(f"generated the data in {time.perf_counter() - started:.1f} s")

    gc.collect()
    resident_before = resident_bytes()
    started = time.perf_counter()
    index = PDQIndex.build(hashes)
    build_seconds = time.perf_counter() - started
    gc.collect()
    resident_growth = resident_bytes() - resident_before
    bytes_per_hash = index.nbytes / count
    say(
        f"built ours in {build_seconds:.1f} s: {index!r}, {bytes_per_hash:.2f} B/hash (nbytes), "
        f"resident memory +{resident_growth / count:.2f} B/hash"
    )
    ours = time_queries(lambda query: index.search(query, THRESHOLD), queries, args.passes)
    say(f"ours: median {ours.median_us:.1f} us, p99 {ours.p99_us:.1f} us")

    # Recall against brute force on a sample of the queries (brute force reads all N hashes).
    sample = queries[: args.recall_sample]
    started = time.perf_counter()
    expected_total = found_total = 0
    wrong = 0
    for query in sample:
        want = brute_force(index.hashes, query, THRESHOLD)
        got = index.search(query, THRESHOLD)
        expected_total += len(want)
        found_total += len(set(got) & set(want))
        wrong += got != want
    recall = found_total / expected_total if expected_total else 1.0
    brute_us = (time.perf_counter() - started) / max(1, len(sample)) * 1e6
    say(
        f"brute force on {len(sample)} queries: {expected_total} matches expected, recall "
        f"{recall:.4f}, {wrong} queries with a different result (brute force ~{brute_us:,.0f} "
        f"us/query)"
    )
    matched_queries = sum(1 for query in queries if index.search(query, THRESHOLD))
    say(f"queries with at least one match: {matched_queries} of {len(queries)}")

    reference_index = index.using(use_c=False)
    python_sample = queries[: min(len(queries), 20 if full_size else 50)]
    python = time_queries(
        lambda query: reference_index.search(query, THRESHOLD), python_sample, passes=1
    )
    say(f"numpy reference (use_c=False): median {python.median_us:.0f} us")

    baseline = measure_baseline(hashes, queries, index, args.passes, say)

    say("")
    say(
        f"| figure ({count:,} hashes, threshold {THRESHOLD}) | safeharbor | baseline | ratio "
        "| goal |"
    )
    say("| --- | --- | --- | --- | --- |")
    base_name = "threatexchange PDQIndex (faiss multi-hash)"
    ratio = 0.0
    if baseline is not None:
        ratio = ours.queries_per_second / baseline.timing.queries_per_second
        say(
            f"| queries/s | {ours.queries_per_second:,.0f} | "
            f"{baseline.timing.queries_per_second:,.0f} ({base_name}) | {ratio:.1f}x | "
            f">= {GOAL_RATIO:.0f}x |"
        )
        say(
            f"| query median, us | {ours.median_us:.1f} | {baseline.timing.median_us:.1f} | "
            f"{baseline.timing.median_us / ours.median_us:.1f}x faster | |"
        )
        say(
            f"| query p99, us | {ours.p99_us:.1f} | {baseline.timing.p99_us:.1f} | "
            f"{baseline.timing.p99_us / ours.p99_us:.1f}x faster | |"
        )
        say(
            f"| build, s | {build_seconds:.1f} | {baseline.build_seconds:.1f} | "
            f"{baseline.build_seconds / build_seconds:.1f}x faster | <= {GOAL_BUILD_SECONDS:.0f} |"
        )
        say(
            f"| resident memory growth, B/hash | {resident_growth / count:.1f} | "
            f"{baseline.resident_growth / count:.1f} | "
            f"{baseline.resident_growth / max(1, resident_growth):.1f}x smaller | |"
        )
    else:
        say(f"| queries/s | {ours.queries_per_second:,.0f} | (baseline not installed) | | |")
        say(f"| query median / p99, us | {ours.median_us:.1f} / {ours.p99_us:.1f} | | | |")
        say(f"| build, s | {build_seconds:.1f} | | | <= {GOAL_BUILD_SECONDS:.0f} |")
    say(
        f"| index bytes/hash (nbytes / N) | {bytes_per_hash:.2f} | 32 (the hashes alone) | "
        f"{bytes_per_hash / 32:.2f}x | <= {GOAL_BYTES_PER_HASH:.0f} |"
    )
    say(
        f"| query median, us, numpy reference | {python.median_us:,.0f} | "
        f"{ours.median_us:.1f} (the C search) | {python.median_us / ours.median_us:,.0f}x "
        f"slower | |"
    )
    say(
        f"| recall at <= {THRESHOLD} ({len(sample)} queries vs brute force) | {recall:.4f} "
        "| | | 1 |"
    )

    correct = recall == 1.0 and wrong == 0 and (baseline is None or baseline.differing == 0)
    met = {
        f">= {GOAL_RATIO:.0f}x the baseline's queries/s": baseline is not None
        and ratio >= GOAL_RATIO,
        f"<= {GOAL_BYTES_PER_HASH:.0f} bytes/hash": bytes_per_hash <= GOAL_BYTES_PER_HASH,
        f"build <= {GOAL_BUILD_SECONDS:.0f} s": build_seconds <= GOAL_BUILD_SECONDS,
        "exact (recall 1, same results as brute force and the baseline)": correct,
    }
    say("")
    if not full_size:
        say(f"(smoke size: the goals are set for {FULL_HASHES:,} hashes: run --full)")
    for goal, ok in met.items():
        say(f"goal {goal}: {'met' if ok else 'NOT met'}")
    return 0 if correct else 1


@dataclass
class Baseline:
    timing: Timing
    build_seconds: float
    resident_growth: int
    differing: int


def measure_baseline(
    hashes: npt.NDArray[np.uint8],
    queries: list[bytes],
    index: PDQIndex,
    passes: int,
    say: Callable[[str], None],
) -> Baseline | None:
    try:
        import faiss
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex as ThreatExchangeIndex
    except ImportError:
        say("baseline: threatexchange/faiss not installed (pip install faiss-cpu threatexchange)")
        return None
    faiss.omp_set_num_threads(1)
    gc.collect()
    resident_before = resident_bytes()
    # Its entries (hex string, id) are part of it (it keeps them); making them is not timed.
    rows = hashes.view(f"V{reference.HASH_BYTES}").ravel().tolist()
    entries = [(row.hex(), i) for i, row in enumerate(rows)]
    del rows
    started = time.perf_counter()
    baseline: Any = ThreatExchangeIndex(entries)
    build_seconds = time.perf_counter() - started
    gc.collect()
    resident_growth = resident_bytes() - resident_before
    say(
        f"built the baseline in {build_seconds:.1f} s, resident memory "
        f"+{resident_growth / 1e9:.2f} GB"
    )
    hex_queries = [query.hex() for query in queries]
    by_hex = dict(zip(hex_queries, queries, strict=True))
    lookup = baseline.query
    timing = time_queries(lookup, hex_queries, passes)
    say(f"baseline: median {timing.median_us:.1f} us, p99 {timing.p99_us:.1f} us")
    differing = 0
    for hex_query in hex_queries:
        theirs = sorted(
            (bytes.fromhex(entries[match.metadata][0]), int(match.similarity_info.distance))
            for match in lookup(hex_query)
        )
        if theirs != our_pairs(index, by_hex[hex_query]):
            differing += 1
    say(f"queries where the baseline's (hash, distance) set differs from ours: {differing}")
    del baseline, entries, lookup
    gc.collect()
    return Baseline(timing, build_seconds, resident_growth, differing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help=f"{FULL_HASHES:,} hashes")
    parser.add_argument("--hashes", type=int, help="stored hashes (overrides --full)")
    parser.add_argument("--queries", type=int, help="queries timed on both indexes")
    parser.add_argument("--recall-sample", type=int, default=100, help="queries vs brute force")
    parser.add_argument("--passes", type=int, default=5, help="timed passes over the queries")
    parser.add_argument("--seed", type=int, default=2026)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
