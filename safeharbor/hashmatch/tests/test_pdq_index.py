"""The in-memory PDQ index returns exactly what brute force returns, in C and in Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeharbor.hashmatch import pdqindex
from safeharbor.hashmatch.pdqindex import LiveIndex, PDQIndex, brute_force, reference
from safeharbor.hashmatch.pdqindex.reference import Method

C_BUILT = pdqindex._pdqindex is not None
needs_c = pytest.mark.skipif(not C_BUILT, reason="the C extension is not built here")
IMPLEMENTATIONS = [pytest.param(True, marks=needs_c, id="c"), pytest.param(False, id="python")]
METHODS: tuple[Method, ...] = ("auto", "probe", "scan")


def flip(hash: bytes, bits: list[int] | np.ndarray) -> bytes:
    """``hash`` with the given bit numbers (0..255) flipped."""
    unpacked = np.unpackbits(np.frombuffer(hash, np.uint8))
    unpacked[np.asarray(bits, dtype=np.int64)] ^= 1
    return np.packbits(unpacked).tobytes()


def near(rng: np.random.Generator, hash: bytes, distance: int) -> bytes:
    return flip(hash, rng.choice(256, size=distance, replace=False))


def clustered(rng: np.random.Generator, count: int, centres: int, per_centre: int) -> np.ndarray:
    """``count`` uniform random hashes plus clusters around some of them at distances 0..40."""
    rows = rng.integers(0, 256, (count, 32), dtype=np.uint8)
    extra = [
        near(rng, rows[rng.integers(count)].tobytes(), int(rng.integers(0, 41)))
        for _ in range(centres * per_centre if count else 0)
    ]
    if not extra:
        return rows
    return np.concatenate([rows, np.frombuffer(b"".join(extra), np.uint8).reshape(-1, 32)])


def as_pairs(index: PDQIndex, found: list[tuple[int, int]]) -> list[tuple[bytes, int]]:
    return sorted((index.hash_at(position), distance) for position, distance in found)


def expected_pairs(rows: np.ndarray, query: bytes, threshold: int) -> list[tuple[bytes, int]]:
    """Brute force over the hashes as given (not the index's copy), as (hash, distance)."""
    return sorted(
        (rows[row].tobytes(), distance) for row, distance in brute_force(rows, query, threshold)
    )


def test_brute_force_is_the_popcount_of_the_xor() -> None:
    rng = np.random.default_rng(6)
    rows = clustered(rng, 40_000, centres=10, per_centre=10)  # more than two chunks
    numbers = [int.from_bytes(row.tobytes(), "big") for row in rows]
    for query in [rng.bytes(32), near(rng, rows[39_999].tobytes(), 30), rows[5].tobytes()]:
        value = int.from_bytes(query, "big")
        distances = [(number ^ value).bit_count() for number in numbers]
        for threshold in (0, 31, 100, 128, 256):
            want = [(i, d) for i, d in enumerate(distances) if d <= threshold]
            assert brute_force(rows, query, threshold) == want
    assert brute_force(np.empty((0, 32), np.uint8), bytes(32), 256) == []


@st.composite
def stored_sets(draw: st.DrawFn) -> tuple[np.ndarray, list[bytes]]:
    """Random hashes, near-duplicates of them at distances 0..40 (duplicates included), and
    queries near the stored hashes (distances 0..40) or uniform."""
    uniform = draw(st.lists(st.binary(min_size=32, max_size=32), max_size=40))
    hashes = list(uniform)
    bits = st.lists(st.integers(0, 255), max_size=40, unique=True)
    if uniform:
        for _ in range(draw(st.integers(0, 60))):
            hashes.append(flip(draw(st.sampled_from(uniform)), draw(bits)))
    queries = [flip(draw(st.sampled_from(hashes)), draw(bits)) for _ in range(3) if hashes]
    queries.append(draw(st.binary(min_size=32, max_size=32)))
    rows = np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, 32)
    return rows, queries


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    data=stored_sets(),
    thresholds=st.lists(st.integers(0, 64), min_size=1, max_size=4),
    directory_bits=st.one_of(st.none(), st.integers(0, 10)),
    remainder_bits=st.one_of(st.none(), st.integers(0, 8)),
)
def test_search_returns_exactly_brute_force(
    data: tuple[np.ndarray, list[bytes]],
    thresholds: list[int],
    directory_bits: int | None,
    remainder_bits: int | None,
) -> None:
    rows, queries = data
    indexes = [
        PDQIndex.build(
            rows, use_c=use_c, directory_bits=directory_bits, remainder_bits=remainder_bits
        )
        for use_c in ([True, False] if C_BUILT else [False])
    ]
    for index in indexes:
        assert len(index) == len(rows)
        for query in queries:
            for threshold in thresholds:
                want = brute_force(index.hashes, query, threshold)
                assert as_pairs(index, want) == expected_pairs(rows, query, threshold)
                for method in METHODS:
                    assert index.search(query, threshold, method=method) == want


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_a_larger_index_probes_and_matches_brute_force(use_c: bool) -> None:
    rng = np.random.default_rng(7)
    rows = clustered(rng, 70_000, centres=300, per_centre=10)
    index = PDQIndex.build(rows, use_c=use_c)
    assert (index.directory_bits, index.remainder_bits) == (13, 15)
    assert reference.use_probes(len(index), index.directory_bits, 31)  # "auto" probes at 31
    assert not reference.use_probes(len(index), index.directory_bits, 64)  # and scans at 64
    stored = [rows[i].tobytes() for i in rng.integers(0, len(rows), 40)]
    queries = [near(rng, h, int(d)) for h, d in zip(stored, rng.integers(0, 41, 40), strict=True)]
    queries += [rng.bytes(32) for _ in range(5)]
    matched = 0
    for query in queries:
        for threshold in (0, 8, 23, 31, 32, 40, 64):
            want = brute_force(index.hashes, query, threshold)
            assert index.search(query, threshold) == want
            assert index.search(query, threshold, method="probe") == want
            matched += len(want)
    assert matched > 100  # the queries did find clusters


@needs_c
def test_the_c_search_uses_the_popcount_dispatch_and_agrees_with_python() -> None:
    rng = np.random.default_rng(8)
    rows = clustered(rng, 5_000, centres=100, per_centre=10)
    fast = PDQIndex.build(rows)
    slow = fast.using(use_c=False)
    assert (fast.implementation, slow.implementation) == ("c", "python")
    assert slow.hashes is fast.hashes
    assert isinstance(pdqindex._pdqindex.has_popcnt(), bool)
    for query in [near(rng, rows[i].tobytes(), 20) for i in range(30)]:
        assert fast.search(query, 31, method="probe") == slow.search(query, 31, method="probe")


@needs_c
def test_the_c_and_python_cost_models_choose_alike() -> None:
    assert reference.use_probes(10_000_000, 20, 56)  # probing beats reading 320 MB
    assert not reference.use_probes(10_000_000, 20, 80)
    assert not reference.use_probes(1_000, 6, 31)  # a small index is scanned
    for count in (0, 1, 100, 5_000, 70_000, 1 << 20, 10_000_000, 1 << 30):
        bits, _ = reference.choose_layout(count)
        for threshold in range(0, 257, 4):
            python = reference.use_probes(count, bits, threshold)
            assert pdqindex._pdqindex.uses_probes(count, bits, threshold) == python


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_an_empty_index_finds_nothing(use_c: bool) -> None:
    for empty in (b"", np.empty((0, 32), np.uint8)):
        index = PDQIndex.build(empty, use_c=use_c)
        assert len(index) == 0
        for method in METHODS:
            assert index.search(bytes(32), 256, method=method) == []
        with pytest.raises(IndexError):
            index.hash_at(0)


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_one_hash_is_found_within_the_threshold_only(use_c: bool) -> None:
    stored = bytes(range(32))
    index = PDQIndex.build(stored, use_c=use_c)
    assert index.search(stored, 0) == [(0, 0)]
    assert index.hash_at(0) == stored
    assert index.search(flip(stored, [0, 100, 255]), 3) == [(0, 3)]
    assert index.search(flip(stored, [0, 100, 255]), 2) == []


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
@pytest.mark.parametrize("method", METHODS)
def test_distance_31_matches_and_32_does_not(use_c: bool, method: Method) -> None:
    rng = np.random.default_rng(9)
    rows = rng.integers(0, 256, (3_000, 32), dtype=np.uint8)
    index = PDQIndex.build(rows, use_c=use_c)
    for row in rng.integers(0, len(rows), 10):
        stored = rows[row].tobytes()
        # Spread the flips so that every block differs in about 4 bits (no block is close).
        bits = [block * 32 + offset for block in range(8) for offset in (1, 9, 17, 25)]
        at_31, at_32 = flip(stored, bits[:31]), flip(stored, bits)
        position = index.search(stored, 0)[0][0]
        assert index.hash_at(position) == stored
        assert (position, 31) in index.search(at_31, 31, method=method)
        assert (position, 32) not in index.search(at_32, 31, method=method)
        assert (position, 32) in index.search(at_32, 32, method=method)


def flip_per_block(
    rng: np.random.Generator, hash: bytes, per_block: list[int], chosen: dict[int, list[int]]
) -> bytes:
    """``hash`` with ``per_block[k]`` random bits of block k (bits 32k..32k+31) flipped, or the
    bits at the offsets ``chosen[k]`` for the blocks in ``chosen``."""
    bits = []
    for block, count in enumerate(per_block):
        offsets = chosen.get(block, rng.choice(32, size=count, replace=False).tolist())
        bits += [32 * block + int(offset) for offset in offsets]
    return flip(hash, bits)


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
@pytest.mark.parametrize(("directory_bits", "remainder_bits"), [(None, None), (12, 4), (5, 0)])
def test_a_match_within_only_one_blocks_radius_is_found(
    use_c: bool, directory_bits: int | None, remainder_bits: int | None
) -> None:
    """The tightest case of the pigeonhole: at distance exactly t, every block but one differs
    by its radius + 1 bits, and the one left by exactly its radius, so only that block's probe
    (at the edge of its radius, through the directory bits and the remainder) can find it."""
    rng = np.random.default_rng(17)
    rows = rng.integers(0, 256, (3_000, 32), dtype=np.uint8)
    index = PDQIndex.build(
        rows, use_c=use_c, directory_bits=directory_bits, remainder_bits=remainder_bits
    )
    stored = index.hash_at(1234)
    bits, remainder = index.directory_bits, index.remainder_bits
    for threshold in range(65):
        radii = reference.block_radii(threshold)
        for block in range(8):
            if radii[block] < 0:
                continue
            per_block = [radius + 1 for radius in radii]
            per_block[block] -= 1
            count = per_block[block]
            # The one block's bits differ: anywhere; in its directory bits first (the variants
            # of largest weight); in its remainder first (the filter's budget); after both.
            placements = [rng.choice(32, size=count, replace=False).tolist()] + [
                [(start + offset) % 32 for offset in range(count)]
                for start in (0, bits, bits + remainder)
            ]
            for offsets in placements:
                query = flip_per_block(rng, stored, per_block, {block: offsets})
                assert (1234, threshold) in index.search(query, threshold, method="probe")
                assert (1234, threshold) in index.search(query, threshold)
        # One bit more in the block left: no block is within its radius, nor the threshold.
        query = flip_per_block(rng, stored, [radius + 1 for radius in radii], {})
        assert (1234, threshold + 1) not in index.search(query, threshold, method="probe")


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_duplicates_are_each_their_own_position(use_c: bool) -> None:
    stored = bytes([7] * 32)
    index = PDQIndex.build(stored * 50, use_c=use_c)
    query = flip(stored, [3, 200])
    for method in METHODS:
        assert index.search(query, 31, method=method) == [(i, 2) for i in range(50)]
    assert all(index.hash_at(i) == stored for i in range(50))


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_positions_follow_the_sorted_hashes_not_the_input_order(use_c: bool) -> None:
    rng = np.random.default_rng(10)
    rows = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    index = PDQIndex.build(rows, use_c=use_c)
    again = PDQIndex.build(rows[::-1].copy(), use_c=use_c)
    stored = [index.hash_at(i) for i in range(len(index))]
    assert stored == sorted(row.tobytes() for row in rows)
    assert [again.hash_at(i) for i in range(len(again))] == stored
    assert index.hashes.tobytes() == b"".join(stored)
    assert not index.hashes.flags.writeable


@pytest.mark.parametrize(
    ("count", "layout"),
    [
        (0, (0, 31)),
        (1, (0, 31)),
        (16, (0, 28)),
        (17, (1, 27)),
        (1_000_000, (16, 12)),
        (10_000_000, (20, 8)),
        (1 << 23, (19, 9)),
        (1 << 24, (20, 8)),
        ((1 << 24) + 1, (21, 7)),
        (1 << 32, (28, 0)),
    ],
)
def test_the_layout_fits_positions_and_remainders_in_32_bits(
    count: int, layout: tuple[int, int]
) -> None:
    assert reference.choose_layout(count) == layout
    directory_bits, remainder_bits = layout
    assert max(1, (count - 1).bit_length()) + remainder_bits <= 32
    assert directory_bits + remainder_bits <= 32
    if count >= 1 << 16:  # at most 64 bytes per hash: 32 + 7 * 4 + 8 directories
        assert 32 + 7 * 4 + 8 * 4 * ((1 << directory_bits) + 1) / count <= 64.0001


def test_impossible_layouts_are_refused() -> None:
    with pytest.raises(ValueError, match="0 to"):
        reference.choose_layout((1 << 32) + 1)
    with pytest.raises(ValueError, match="position bits"):
        reference.choose_layout(1 << 20, remainder_bits=13)
    with pytest.raises(ValueError, match="directory_bits"):
        reference.choose_layout(100, directory_bits=29)
    with pytest.raises(ValueError, match="remainder_bits"):
        reference.choose_layout(100, directory_bits=20, remainder_bits=13)


def test_the_radii_make_the_pigeonhole_exact() -> None:
    for threshold in range(257):
        radii = reference.block_radii(threshold)
        # A hash no block finds differs by at least radius + 1 bits in every block.
        assert sum(radius + 1 for radius in radii) == threshold + 1
    assert reference.block_radii(31) == [3] * 8
    assert reference.variant_count(20, 3) == 1351


def test_variants_are_every_mask_within_the_radius_once() -> None:
    for bits, radius in ((0, 3), (3, 1), (6, 2), (9, 3), (12, 4)):
        masks, weights = reference.variants(bits, radius)
        assert len(set(masks.tolist())) == len(masks) == reference.variant_count(bits, radius)
        assert (np.bitwise_count(masks) == weights).all()
        assert weights.max() <= radius
        assert (masks < (1 << bits)).all()


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_nbytes_counts_hashes_tables_and_directories(use_c: bool) -> None:
    rows = np.random.default_rng(11).integers(0, 256, (20_000, 32), dtype=np.uint8)
    index = PDQIndex.build(rows, use_c=use_c)
    held = 20_000 * 32 + 7 * 20_000 * 4 + 8 * ((1 << index.directory_bits) + 1) * 4
    assert held <= index.nbytes <= held + 3 * 64


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_bad_input_is_a_value_error(use_c: bool) -> None:
    index = PDQIndex.build(np.zeros((3, 32), np.uint8), use_c=use_c)
    for query in (bytes(31), bytes(33), "00" * 32, None, 5):
        with pytest.raises(ValueError, match="32 bytes"):
            index.search(query, 31)  # type: ignore[arg-type]
    for threshold in (-1, 257, True, 3.0, "31"):
        with pytest.raises(ValueError, match="threshold"):
            index.search(bytes(32), threshold)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        index.search(bytes(32), 31, method="fast")  # type: ignore[arg-type]
    for hashes in (
        np.zeros((3, 31), np.uint8),
        np.zeros((3, 32), np.int16),
        np.zeros(96, np.uint8),
        bytes(33),
        [bytes(32), bytes(31)],
        {bytes(32)},
    ):
        with pytest.raises(ValueError, match="32"):
            PDQIndex.build(hashes, use_c=use_c)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="32 bytes"):
        brute_force(np.zeros((3, 32), np.uint8), bytes(5))


@needs_c
def test_the_c_searcher_refuses_arrays_that_do_not_match_the_layout() -> None:
    rows = np.random.default_rng(12).integers(0, 256, (1_000, 32), dtype=np.uint8)
    index = PDQIndex.build(rows)
    searcher = pdqindex._pdqindex.Searcher
    main, directories, tables = index.hashes, index._directories, index._tables
    bits, remainder = index.directory_bits, index.remainder_bits
    with pytest.raises(ValueError, match="do not match"):
        searcher(main, directories, tables, 999, bits, remainder)
    with pytest.raises(ValueError, match="do not match"):
        searcher(main, directories, tables, 1_000, bits + 1, remainder)
    with pytest.raises(ValueError, match="layout parameters"):
        searcher(main, directories, tables, 1_000, bits, 30)
    broken = tables.copy()
    broken[3, 5] = 0xFFFFFFFF  # a position past the end
    with pytest.raises(ValueError, match="corrupt"):
        searcher(main, directories, broken, 1_000, bits, remainder)
    broken_directory = directories.copy()
    broken_directory[2, 7] = 5_000
    with pytest.raises(ValueError, match="corrupt"):
        searcher(main, broken_directory, tables, 1_000, bits, remainder)
    good = searcher(main, directories, tables, 1_000, bits, remainder)
    with pytest.raises(ValueError, match="method"):
        good.search(bytes(32), 31, 3)


@needs_c
def test_the_c_scan_is_brute_force() -> None:
    rng = np.random.default_rng(13)
    rows = clustered(rng, 2_000, centres=20, per_centre=10)
    for query in [rng.bytes(32), near(rng, rows[5].tobytes(), 12)]:
        for threshold in (0, 31, 128, 256):
            found = pdqindex._pdqindex.scan(rows, query, threshold)
            assert found == brute_force(rows, query, threshold)
    with pytest.raises(ValueError, match="32 bytes per hash"):
        pdqindex._pdqindex.scan(bytes(33), bytes(32), 31)


# -- LiveIndex ------------------------------------------------------------------------------------


def all_matches(hashes: set[bytes], query: bytes, threshold: int) -> list[tuple[bytes, int]]:
    rows = np.frombuffer(b"".join(sorted(hashes)), np.uint8).reshape(-1, 32)
    return sorted(
        ((rows[i].tobytes(), d) for i, d in brute_force(rows, query, threshold)),
        key=lambda item: (item[1], item[0]),
    )


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_live_index_adds_through_a_tail_and_merged_levels(use_c: bool) -> None:
    rng = np.random.default_rng(14)
    base = clustered(rng, 2_000, centres=20, per_centre=10)
    live = LiveIndex(base, use_c=use_c, tail_limit=16)
    distinct = {row.tobytes() for row in base}
    assert len(live) == len(distinct)
    assert live.level_sizes == [len(distinct)]
    base_size = len(distinct)
    assert live.implementation == ("c" if use_c else "python")
    sizes_seen = []
    for step in range(40):
        batch = [near(rng, base[int(rng.integers(len(base)))].tobytes(), 10) for _ in range(7)]
        batch.append(base[step].tobytes())  # already stored: dropped
        batch.append(batch[0])  # twice in one batch: kept once
        live.add(b"".join(batch))
        distinct.update(batch)
        assert len(live) == len(distinct)
        assert live.tail_size < 16
        sizes_seen.append(live.level_sizes)
        sizes = live.level_sizes
        assert sizes[0] == base_size  # the base is never rebuilt by these small adds
        assert all(sizes[i] >= pdqindex.GROWTH * sizes[i + 1] for i in range(len(sizes) - 1))
    assert max(len(sizes) for sizes in sizes_seen) >= 3  # levels were made and merged
    for query in [near(rng, h, 15) for h in list(distinct)[:30]] + [rng.bytes(32)]:
        for threshold in (0, 31, 40):
            assert live.search(query, threshold) == all_matches(distinct, query, threshold)
    assert live.nbytes >= len(live) * 32


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_live_index_merges_a_large_batch_and_the_base(use_c: bool) -> None:
    rng = np.random.default_rng(15)
    first = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    live = LiveIndex(first, use_c=use_c, tail_limit=100)
    second = rng.integers(0, 256, (400, 32), dtype=np.uint8)
    live.add(second)  # above the tail limit, and not 4 times smaller than the base: merged
    assert live.level_sizes == [700]
    assert live.tail_size == 0
    assert all(row.tobytes() in live for row in np.concatenate([first, second]))
    assert rng.bytes(32) not in live


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_live_index_reports_each_hash_once_and_search_any_the_smallest_distance(
    use_c: bool,
) -> None:
    stored = bytes(32)
    live = LiveIndex(use_c=use_c, tail_limit=4)
    assert live.search(stored) == []
    assert live.search_any([stored]) == {}
    live.add(stored)
    live.add([stored, stored])  # a list of 32-byte strings, as bytes of 32 * N
    assert len(live) == 1
    other = flip(stored, list(range(20)))
    for extra in range(5):  # into levels and the tail
        live.add(flip(stored, [100 + extra, 200]))
    live.add(other)
    assert live.search(stored, 31)[0] == (stored, 0)
    assert len({h for h, _ in live.search(stored, 31)}) == len(live.search(stored, 31)) == 7
    queries = [flip(stored, [1]), flip(stored, list(range(18))), flip(stored, [100, 101, 200])]
    best = live.search_any(queries, 31)
    assert best[stored] == 1
    assert best[other] == 2
    assert best[flip(stored, [100, 200])] == 1
    assert best == {
        h: min(d for q in queries for h2, d in live.search(q, 31) if h2 == h) for h in best
    }
    assert live.search_any(queries, 0) == {}
    with pytest.raises(ValueError, match="32 bytes"):
        live.search_any([stored, bytes(3)])
    with pytest.raises(ValueError, match="threshold"):
        live.search(stored, 300)
    with pytest.raises(ValueError, match="32"):
        live.add(bytes(40))
    with pytest.raises(ValueError, match="tail_limit"):
        LiveIndex(tail_limit=0)


@pytest.mark.parametrize("use_c", IMPLEMENTATIONS)
def test_live_index_settles_many_adds_in_one_build(use_c: bool) -> None:
    rng = np.random.default_rng(16)
    rows = rng.integers(0, 256, (1_000, 32), dtype=np.uint8)
    live = LiveIndex(use_c=use_c, tail_limit=10)
    for start in range(0, 1_000, 20):  # loading a bank in batches, before any search
        live.add(rows[start : start + 20])
        live.add(rows[start : start + 5])  # duplicates, dropped when settled
    assert live.nbytes >= 1_250 * 32  # kept as given until a search
    rows[0] = 0  # the index kept its own copy
    assert live.level_sizes == [1_000]
    assert live.tail_size == 0
    assert live.nbytes < 1_000 * 64
    query = near(rng, rows[1].tobytes(), 9)
    assert live.search(query, 9)[0] == (rows[1].tobytes(), 9)
