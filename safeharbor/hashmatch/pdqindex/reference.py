"""The PDQ index's layout, its vectorized build, and the numpy reference of the C search.

Multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with Multi-Index
Hashing", 2012) with the pigeonhole principle. The 256 bits of a PDQ hash are cut into 8 blocks
of 32 bits (block k is bytes 4k..4k+3 read big-endian, so bit order is the hex string's). When
``distance(query, stored) <= t`` with ``t = 8r + a`` (0 <= a <= 7), one of blocks 0..a differs
in at most r bits or one of blocks a+1..7 differs in at most r-1 bits: otherwise the distance
would be at least (a+1)(r+1) + (7-a)r = t+1. So block k is probed with radius
``r if k <= a else r - 1``; at t = 31 every block is probed within 3 bits.

Layout (every part a flat array, nothing else):

- ``main``: the N hashes, ``(N, 32) uint8``, sorted lexicographically. A *position* is a row of
  this array, so positions do not depend on the order the hashes were given in.
- ``directories``: ``(8, 2**D + 1) uint32``. Row k holds the offsets of the buckets of block k:
  bucket b (the block's top D bits) is ``directories[k, b] : directories[k, b + 1]``.
- ``tables``: ``(7, N) uint32`` for blocks 1..7. An entry is ``position << R | remainder``,
  where the remainder is the R bits of the block after its top D bits; entries are grouped by
  bucket, positions increasing within a bucket. Block 0 has no table: ``main`` sorted is
  grouped by the top D bits of block 0, so its directory points straight into ``main``.

D = ceil(log2 N) - 4, so 2**D < N / 8 (8 to 16 entries per bucket, directories of at most 4
bytes per hash), and R = 32 - ceil(log2 N) (at most 32 - D), so an entry fits 32 bits: between
62 and 64 bytes per hash for any N from 2**16 to 2**32 (above 2**24 hashes R drops below 8 and
the filter weakens, but the search stays exact). At 10 million hashes D = 20 and R = 8, and the
index holds 32 + 7 * 4 + 8 * 4 * (2**20 + 1) / N = 63.4 bytes per hash.

A query probes, in each block k, every bucket whose top D bits differ from the query's by
w <= radius_k bits (the *variants*), keeps the entries whose remainder differs by at most
radius_k - w bits (block 0: whose 32 bits, read from ``main``, differ by at most radius_0), and
checks the full 256-bit distance of what is left. A hash close to the
query may pass the filter of several blocks; it is reported only from the first block whose
32 bits are within that block's radius (found there for sure), so each position comes once
without a set. When probing would touch about as much as reading all N hashes (small N, large
thresholds), the search reads all N hashes instead (``scan``). Both give exactly brute force.
"""

from __future__ import annotations

from math import comb
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

BLOCKS = 8
HASH_BYTES = 32
MAX_DISTANCE = 256
MAX_HASHES = 1 << 32
# The low bits of the top D that share one 64-byte line of a directory (16 uint32 offsets):
# variants are ordered so those of one line come one after another.
LINE_BITS = 4
# Cost model of the search strategy, in units of "one hash read in a scan of hashes that fit in
# the caches" (about 1.6 ns): a probe (a directory slot and the start of its bucket, likely
# cache misses, overlapped by the prefetching) costs PROBE_COST, each entry of the bucket one
# more; a scan of more than CACHED_SCAN_BYTES reads memory at its bandwidth, SLOW_SCAN_COST per
# hash. Fitted on the C search from 8,000 to 10 million hashes at thresholds 31 to 64; mirrored
# in _pdqindex.c.
PROBE_COST = 10
CACHED_SCAN_BYTES = 32 << 20
SLOW_SCAN_COST = 3

Method = Literal["auto", "probe", "scan"]
Matches = list[tuple[int, int]]
HashArray = npt.NDArray[np.uint8]


def choose_layout(
    count: int, directory_bits: int | None = None, remainder_bits: int | None = None
) -> tuple[int, int]:
    """(D, R) for an index of ``count`` hashes; either may be forced (tests, experiments)."""
    if count < 0 or count > MAX_HASHES:
        raise ValueError(f"an index holds 0 to {MAX_HASHES:,} hashes, not {count:,}")
    position_bits = max(1, (count - 1).bit_length())
    if directory_bits is None:
        # 2**D < N / 8 (8 to 16 entries per bucket), so the directories take at most 4 B/hash.
        directory_bits = max(0, min(position_bits - 4, 28))
    if remainder_bits is None:
        remainder_bits = min(32 - position_bits, 32 - directory_bits)
    if not 0 <= directory_bits <= 28:
        raise ValueError(f"directory_bits must be 0..28, not {directory_bits}")
    if remainder_bits < 0 or directory_bits + remainder_bits > 32:
        raise ValueError(
            f"remainder_bits must be 0..{32 - directory_bits} with {directory_bits} "
            f"directory bits, not {remainder_bits}"
        )
    if position_bits + remainder_bits > 32:
        raise ValueError(
            f"{count:,} hashes need {position_bits} position bits: at most "
            f"{32 - position_bits} remainder bits, not {remainder_bits}"
        )
    return directory_bits, remainder_bits


def block_radii(threshold: int) -> list[int]:
    """The probing radius of each block for ``threshold`` (-1: the block is not probed)."""
    radius, extra = divmod(threshold, BLOCKS)
    return [radius if block <= extra else radius - 1 for block in range(BLOCKS)]


def variant_count(directory_bits: int, radius: int) -> int:
    """How many D-bit values lie within ``radius`` bits of a given one."""
    return sum(comb(directory_bits, weight) for weight in range(min(radius, directory_bits) + 1))


def use_probes(count: int, directory_bits: int, threshold: int) -> bool:
    """The "auto" strategy: probe the blocks unless that touches about as much as a scan."""
    if count == 0:
        return False
    probes = sum(variant_count(directory_bits, radius) for radius in block_radii(threshold))
    per_bucket = count / (1 << directory_bits)
    scan = count * (1 if count * HASH_BYTES <= CACHED_SCAN_BYTES else SLOW_SCAN_COST)
    return probes * (PROBE_COST + per_bucket) < scan


def variants(
    directory_bits: int, radius: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint8]]:
    """The XOR masks of the D-bit values within ``radius`` bits, and their weights, in the order
    the C search probes them: grouped by the bits above the low LINE_BITS (one directory line)."""
    low_bits = min(LINE_BITS, directory_bits)
    high_bits = directory_bits - low_bits
    low = np.arange(1 << low_bits, dtype=np.uint32)
    low_weights = np.bitwise_count(low).astype(np.uint8)
    masks: list[npt.NDArray[np.uint32]] = []
    weights: list[npt.NDArray[np.uint8]] = []
    for high, high_weight in _masks_by_weight(high_bits, radius):
        keep = low_weights <= radius - high_weight
        masks.append((np.uint32(high) << np.uint32(low_bits)) | low[keep])
        weights.append(low_weights[keep] + np.uint8(high_weight))
    if not masks:
        return np.empty(0, np.uint32), np.empty(0, np.uint8)
    return np.concatenate(masks), np.concatenate(weights)


def _masks_by_weight(bits: int, radius: int) -> list[tuple[int, int]]:
    """Every ``bits``-bit value of weight <= radius, by weight, then increasing (Gosper's hack)."""
    found = []
    for weight in range(min(radius, bits) + 1):
        value = (1 << weight) - 1
        while value < 1 << bits:
            found.append((value, weight))
            if value == 0:
                break
            lowest = value & -value
            ripple = value + lowest
            value = (((ripple ^ value) >> 2) // lowest) | ripple
    return found


# -- build ----------------------------------------------------------------------------------------


def as_hash_array(hashes: object) -> HashArray:
    """``hashes`` (an ``(N, 32) uint8`` array, bytes of length 32 * N, or a list or tuple of
    32-byte strings) as a C-contiguous ``(N, 32) uint8`` array, or ValueError."""
    if isinstance(hashes, list | tuple):
        for number, item in enumerate(hashes):
            if not isinstance(item, bytes | bytearray) or len(item) != HASH_BYTES:
                raise ValueError(
                    f"hashes[{number}] must be 32 bytes (a PDQ hash), not "
                    f"{len(item) if isinstance(item, bytes | bytearray) else type(item).__name__}"
                )
        return np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, HASH_BYTES)
    if isinstance(hashes, bytes | bytearray | memoryview):
        data = bytes(hashes)
        if len(data) % HASH_BYTES:
            raise ValueError(
                f"hashes as bytes must be 32 bytes per hash; got {len(data):,} bytes, "
                f"not a multiple of 32"
            )
        return np.frombuffer(data, np.uint8).reshape(-1, HASH_BYTES)
    if not isinstance(hashes, np.ndarray):
        raise ValueError(
            f"hashes must be a numpy array of shape (N, 32) and dtype uint8, bytes of length "
            f"32*N or a list of 32-byte strings; got {type(hashes).__name__}"
        )
    if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] != HASH_BYTES:
        raise ValueError(
            f"hashes must have shape (N, 32) and dtype uint8; got shape {hashes.shape} and "
            f"dtype {hashes.dtype}"
        )
    return np.ascontiguousarray(hashes)


def aligned_empty(shape: tuple[int, ...], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """An uninitialized array whose data start on a 64-byte boundary (a cache line), so a
    32-byte row never straddles two lines and a directory line holds 16 whole offsets."""
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    raw = np.empty(size + 64, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start : start + size].view(dtype).reshape(shape)


def sort_hashes(hashes: HashArray) -> HashArray:
    """The hashes sorted lexicographically (as their hex strings sort), 64-byte aligned."""
    order = np.argsort(hashes.view(f"V{HASH_BYTES}").ravel(), kind="stable")
    main = aligned_empty(hashes.shape, np.uint8)
    np.take(hashes, order, axis=0, out=main)
    return main


def block_values(main: HashArray, block: int) -> npt.NDArray[np.uint32]:
    """Block ``block`` of every hash as a native uint32 (bytes 4k..4k+3, big-endian)."""
    return main[:, 4 * block : 4 * block + 4].copy().view(">u4").ravel().astype(np.uint32)


def build_tables(
    main: HashArray, directory_bits: int, remainder_bits: int
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """(directories, tables) for ``main`` (sorted). The tables are counting-sorted by bucket,
    which one sort of 64-bit keys ``bucket << 32 | position << R | remainder`` does at once."""
    count = len(main)
    buckets = 1 << directory_bits
    directories = aligned_empty((BLOCKS, buckets + 1), np.uint32)
    tables = aligned_empty((BLOCKS - 1, count), np.uint32)
    positions = np.arange(count, dtype=np.uint64) << np.uint64(remainder_bits)
    for block in range(BLOCKS):
        values = block_values(main, block).astype(np.uint64)
        top = values >> np.uint64(32 - directory_bits)
        directories[block, 0] = 0
        np.cumsum(np.bincount(top, minlength=buckets), out=directories[block, 1:])
        if block == 0:
            continue
        shift = np.uint64(32 - directory_bits - remainder_bits)
        remainders = (values >> shift) & np.uint64((1 << remainder_bits) - 1)
        keys = (top << np.uint64(32)) | positions | remainders
        keys.sort()
        tables[block - 1] = keys.astype(np.uint32)  # the low 32 bits: position << R | remainder
    return directories, tables


# -- search ---------------------------------------------------------------------------------------


def check_query(query: object, threshold: object) -> bytes:
    """The query as bytes, or ValueError for a query or threshold a search cannot take."""
    if isinstance(query, str):
        raise ValueError("a PDQ query is 32 bytes, not a hex string: pass bytes.fromhex(query)")
    if not isinstance(query, bytes | bytearray | memoryview):
        raise ValueError(f"a PDQ query is 32 bytes, not {type(query).__name__}")
    query = bytes(query)
    if len(query) != HASH_BYTES:
        raise ValueError(f"a PDQ query is exactly 32 bytes, not {len(query)}")
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise ValueError(f"threshold must be an integer 0..256, not {threshold!r}")
    if not 0 <= threshold <= MAX_DISTANCE:
        raise ValueError(f"threshold must be 0..256 (bits of a PDQ hash), not {threshold}")
    return query


BRUTE_FORCE_CHUNK = 1 << 14  # rows per step: the temporaries stay in the CPU's caches


def brute_force(hashes: HashArray, query: bytes, threshold: int = 31) -> Matches:
    """Every (position, distance) of ``hashes`` within ``threshold`` of ``query``, by position:
    the reference every index is tested against (numpy's bitwise_count over 64-bit words)."""
    rows = as_hash_array(hashes)
    query = check_query(query, threshold)
    words = rows.view(np.uint64)
    query_words = np.frombuffer(query, np.uint64)
    chunk = min(BRUTE_FORCE_CHUNK, max(1, len(rows)))
    differing = np.empty((chunk, 4), np.uint64)
    counts = np.empty((chunk, 4), np.uint8)
    low, high = np.empty(chunk, np.uint32), np.empty(chunk, np.uint32)
    found: list[tuple[int, int]] = []
    for start in range(0, len(rows), chunk):
        part = words[start : start + chunk]
        size = len(part)
        np.bitwise_xor(part, query_words, out=differing[:size])
        np.bitwise_count(differing[:size], out=counts[:size])
        # The four counts of a row (<= 64 each) as one uint32, added up two by two.
        packed = counts[:size].view(np.uint32).ravel()
        total, other = low[:size], high[:size]
        np.bitwise_and(packed, 0x00FF00FF, out=total)
        np.right_shift(packed, 8, out=other)
        np.bitwise_and(other, 0x00FF00FF, out=other)
        total += other
        np.right_shift(total, 16, out=other)
        np.bitwise_and(total, 0xFFFF, out=total)
        total += other
        hits = np.flatnonzero(total <= threshold)
        found.extend(zip((hits + start).tolist(), total[hits].tolist(), strict=True))
    return found


def probe_search(
    main: HashArray,
    directories: npt.NDArray[np.uint32],
    tables: npt.NDArray[np.uint32],
    directory_bits: int,
    remainder_bits: int,
    query: bytes,
    threshold: int,
) -> Matches:
    """The multi-index search, vectorized per block: the reference of the C probe loop."""
    count = len(main)
    if not count:
        return []
    radii = block_radii(threshold)
    all_masks, all_weights = variants(directory_bits, max(radii))
    query_blocks = np.frombuffer(query, ">u4").astype(np.uint32)
    remainder_mask = np.uint32((1 << remainder_bits) - 1)
    found: list[npt.NDArray[np.int64]] = []
    distances: list[npt.NDArray[np.int64]] = []
    for block, radius in enumerate(radii):
        if radius < 0:
            continue
        keep = all_weights <= radius
        masks, budgets = all_masks[keep], radius - all_weights[keep].astype(np.int64)
        value = int(query_blocks[block])
        top = value >> (32 - directory_bits)
        buckets = (np.uint32(top) ^ masks).astype(np.int64)
        starts = directories[block, buckets].astype(np.int64)
        lengths = directories[block, buckets + 1].astype(np.int64) - starts
        # Every index of every probed bucket, and the remainder budget of its bucket.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        slots = offsets + np.arange(int(lengths.sum()), dtype=np.int64)
        if block == 0:
            candidates = slots  # block 0's buckets are slices of main; its filter is exact
        else:
            entries = tables[block - 1, slots]
            remainder = np.uint32((value >> (32 - directory_bits - remainder_bits)) & 0xFFFFFFFF)
            differing = np.bitwise_count((entries ^ remainder) & remainder_mask)
            passed = differing.astype(np.int64) <= np.repeat(budgets, lengths)
            candidates = (entries[passed] >> np.uint32(remainder_bits)).astype(np.int64)
        block_distances = np.bitwise_count(
            main[candidates].view(">u4").astype(np.uint32) ^ query_blocks
        ).astype(np.int64)
        totals = block_distances.sum(axis=1)
        # Reported from the first block whose 32 bits are within that block's radius.
        first = np.ones(len(candidates), bool)
        for earlier in range(block):
            first &= block_distances[:, earlier] > radii[earlier]
        ok = (totals <= threshold) & (block_distances[:, block] <= radius) & first
        found.append(candidates[ok])
        distances.append(totals[ok])
    if not found:
        return []
    positions = np.concatenate(found)
    totals = np.concatenate(distances)
    order = np.argsort(positions, kind="stable")
    return list(zip(positions[order].tolist(), totals[order].tolist(), strict=True))


def search(
    main: HashArray,
    directories: npt.NDArray[np.uint32],
    tables: npt.NDArray[np.uint32],
    directory_bits: int,
    remainder_bits: int,
    query: bytes,
    threshold: int,
    method: Method = "auto",
) -> Matches:
    """The reference search: probe or scan as the C search would."""
    if method == "scan" or (
        method == "auto" and not use_probes(len(main), directory_bits, threshold)
    ):
        return brute_force(main, query, threshold)
    return probe_search(main, directories, tables, directory_bits, remainder_bits, query, threshold)
