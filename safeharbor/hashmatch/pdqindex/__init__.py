"""The in-memory PDQ matching index: every stored hash within a distance of a query, exactly.

    index = PDQIndex.build(hashes)            # (N, 32) uint8 array, or bytes of 32 * N
    index.search(query, 31)                  # [(position, distance)], by position
    index.hash_at(position)                  # the stored 32 bytes

    live = LiveIndex(hashes)                 # what a worker keeps
    live.add(new_hashes)                     # no full rebuild: a tail, then levels
    live.search_any(dihedral_hashes, 31)     # {stored hash: smallest distance}

Positions are rows of the index's own order (the hashes sorted, as their hex strings sort), not
of the order given to build(): keeping the caller's order would cost 4 more bytes per hash.
Map a match back with hash_at(position).

reference.py describes the layout (multi-index hashing, 8 blocks of 32 bits) and holds the numpy
reference of the search; _pdqindex.c is the fast search. About 63.4 bytes per hash at 10
million hashes; see bench/pdq_index.py for the figures against threatexchange's faiss index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import reference
from .reference import HashArray, Matches, Method, as_hash_array, check_query

try:  # the C search, built with the package; reference.py is the fallback and the reference
    from . import _pdqindex
except ImportError:  # pragma: no cover - a build without a C compiler
    _pdqindex = None  # type: ignore[assignment,unused-ignore]

__all__ = ["LiveIndex", "PDQIndex", "brute_force"]

_METHODS: Final = {"auto": 0, "probe": 1, "scan": 2}
TAIL_LIMIT: Final = 4096  # hashes searched by brute force before they become a level
GROWTH: Final = 4  # a level is merged into the one above while that one is < GROWTH times larger


def brute_force(hashes: HashArray, query: bytes, threshold: int = 31) -> Matches:
    """Every (row, distance) of ``hashes`` within ``threshold`` of ``query``, by row: the
    reference the index is tested against (numpy's bitwise_count)."""
    return reference.brute_force(hashes, query, threshold)


def _allocated(array: npt.NDArray[Any]) -> int:
    """The bytes of the allocation behind ``array`` (alignment padding included)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return int(array.nbytes)


def _sorted_unique(rows: HashArray) -> HashArray:
    """``rows`` sorted with duplicates dropped."""
    main = reference.sort_hashes(rows)
    if len(main) < 2:
        return main
    keep = np.empty(len(main), bool)
    keep[0] = True
    np.any(main[1:] != main[:-1], axis=1, out=keep[1:])
    if keep.all():
        return main
    unique = reference.aligned_empty((int(keep.sum()), reference.HASH_BYTES), np.uint8)
    np.compress(keep, main, axis=0, out=unique)
    return unique


def _in_sorted(sorted_rows: HashArray, rows: HashArray) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` occur in ``sorted_rows`` (sorted as reference.sort_hashes sorts)."""
    if not len(sorted_rows) or not len(rows):
        return np.zeros(len(rows), bool)
    haystack = sorted_rows.view(f"V{reference.HASH_BYTES}").ravel()
    needles = np.ascontiguousarray(rows).view(f"V{reference.HASH_BYTES}").ravel()
    at = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return np.asarray(haystack[at] == needles, bool)


class PDQIndex:
    """An immutable index of N PDQ hashes (duplicates allowed: each is its own position)."""

    __slots__ = (
        "_directories",
        "_main",
        "_searcher",
        "_tables",
        "directory_bits",
        "implementation",
        "remainder_bits",
    )

    implementation: str  # "c" or "python"

    def __init__(
        self,
        main: HashArray,
        directories: npt.NDArray[np.uint32],
        tables: npt.NDArray[np.uint32],
        directory_bits: int,
        remainder_bits: int,
        *,
        use_c: bool = True,
    ) -> None:
        """Wrap a layout made by reference.py; use build() to make an index."""
        for array in (main, directories, tables):
            array.flags.writeable = False
        self._main = main
        self._directories = directories
        self._tables = tables
        self.directory_bits = directory_bits
        self.remainder_bits = remainder_bits
        if use_c and _pdqindex is not None:
            self._searcher: _pdqindex.Searcher | None = _pdqindex.Searcher(
                main, directories, tables, len(main), directory_bits, remainder_bits
            )
            self.implementation = "c"
        else:
            self._searcher = None
            self.implementation = "python"

    @classmethod
    def build(
        cls,
        hashes: HashArray | bytes | Sequence[bytes],
        *,
        use_c: bool = True,
        directory_bits: int | None = None,
        remainder_bits: int | None = None,
    ) -> PDQIndex:
        """The index of ``hashes``: an ``(N, 32) uint8`` array, bytes of length 32 * N, or a
        list of 32-byte strings.

        ``directory_bits`` (D) and ``remainder_bits`` (R) override the layout's choice; only
        tests and experiments need them. ValueError for input of the wrong shape or type."""
        rows = as_hash_array(hashes)
        return cls._from_sorted(
            reference.sort_hashes(rows), use_c=use_c, directory_bits=directory_bits,
            remainder_bits=remainder_bits,
        )  # fmt: skip

    @classmethod
    def _from_sorted(
        cls,
        main: HashArray,
        *,
        use_c: bool,
        directory_bits: int | None = None,
        remainder_bits: int | None = None,
    ) -> PDQIndex:
        bits, remainder = reference.choose_layout(len(main), directory_bits, remainder_bits)
        directories, tables = reference.build_tables(main, bits, remainder)
        return cls(main, directories, tables, bits, remainder, use_c=use_c)

    def using(self, *, use_c: bool) -> PDQIndex:
        """The same index (its arrays shared) searched in C or by the numpy reference."""
        return PDQIndex(
            self._main,
            self._directories,
            self._tables,
            self.directory_bits,
            self.remainder_bits,
            use_c=use_c,
        )

    def __len__(self) -> int:
        return len(self._main)

    def __repr__(self) -> str:
        return (
            f"<PDQIndex {len(self):,} hashes, D={self.directory_bits}, R={self.remainder_bits}, "
            f"{self.implementation}>"
        )

    def search(self, query: bytes, threshold: int = 31, *, method: Method = "auto") -> Matches:
        """Every (position, distance <= threshold) of the stored hashes, by position.

        ``method``: "auto" probes the blocks or reads every hash, whichever the cost model
        says is cheaper; "probe" and "scan" force one (tests). The result is the same."""
        query = check_query(query, threshold)
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
        if self._searcher is not None:
            return self._searcher.search(query, int(threshold), _METHODS[method])
        return reference.search(
            self._main,
            self._directories,
            self._tables,
            self.directory_bits,
            self.remainder_bits,
            query,
            int(threshold),
            method,
        )

    def hash_at(self, position: int) -> bytes:
        """The stored hash at ``position`` (IndexError outside 0..N-1)."""
        if not 0 <= position < len(self._main):
            raise IndexError(f"position {position} is outside 0..{len(self._main) - 1}")
        return self._main[position].tobytes()

    def contains_many(self, hashes: HashArray | bytes) -> npt.NDArray[np.bool_]:
        """Which of ``hashes`` are stored (exact match), one binary search each."""
        return _in_sorted(self._main, as_hash_array(hashes))

    @property
    def hashes(self) -> HashArray:
        """The stored hashes in position order: a read-only ``(N, 32) uint8`` array."""
        return self._main

    @property
    def nbytes(self) -> int:
        """Every byte the index holds: the hashes, the tables and the directories."""
        return sum(_allocated(array) for array in (self._main, self._directories, self._tables))


class LiveIndex:
    """The index a worker keeps: distinct hashes, and new ones picked up without a full rebuild.

    add() only keeps the new hashes; the next search (or len()) settles them: duplicates are
    dropped and the rest go to a tail searched by brute force. When the tail holds
    ``tail_limit`` hashes it becomes a level (a PDQIndex), merged with the smallest levels while
    they are less than ``GROWTH`` times larger (like a log-structured merge tree): a hash is
    rebuilt into a larger level O(log N) times in all, and a large base only when the levels
    above it have grown to a quarter of its size. Many add() calls before a search (loading a
    bank in batches) cost one build. Not thread-safe (one thread per worker)."""

    def __init__(
        self,
        hashes: HashArray | bytes | Sequence[bytes] | None = None,
        *,
        use_c: bool = True,
        tail_limit: int = TAIL_LIMIT,
    ) -> None:
        if tail_limit < 1:
            raise ValueError(f"tail_limit must be at least 1, not {tail_limit}")
        self._use_c = use_c and _pdqindex is not None
        self._tail_limit = tail_limit
        self._levels: list[PDQIndex] = []  # largest first
        self._tail: HashArray = _no_hashes()  # sorted, distinct, in no level
        self._pending: list[HashArray] = []  # added, not settled yet
        if hashes is not None:
            rows = _sorted_unique(as_hash_array(hashes))
            if len(rows):
                self._levels.append(PDQIndex._from_sorted(rows, use_c=use_c))

    @property
    def implementation(self) -> str:
        return "c" if self._use_c else "python"

    def add(self, hashes: HashArray | bytes | Sequence[bytes]) -> None:
        """Add ``hashes`` (ValueError for a malformed input); duplicates are dropped."""
        rows = as_hash_array(hashes)
        if len(rows):
            self._pending.append(np.array(rows, copy=True))

    def _settle(self) -> None:
        """Move the added hashes that are new to the tail, and the tail to a level when full."""
        if not self._pending:
            return
        rows = _sorted_unique(np.concatenate(self._pending))
        self._pending = []
        for level in self._levels:
            rows = rows[~level.contains_many(rows)]
        rows = rows[~_in_sorted(self._tail, rows)]
        if not len(rows):
            return
        self._tail = reference.sort_hashes(np.concatenate([self._tail, rows]))
        if len(self._tail) >= self._tail_limit:
            run = self._tail
            while self._levels and len(self._levels[-1]) < GROWTH * len(run):
                run = reference.sort_hashes(np.concatenate([self._levels.pop().hashes, run]))
            self._levels.append(PDQIndex._from_sorted(run, use_c=self._use_c))
            self._tail = _no_hashes()

    def _search_tail(self, query: bytes, threshold: int) -> Matches:
        if not len(self._tail):
            return []
        if self._use_c:
            return _pdqindex.scan(self._tail, query, threshold)
        return reference.brute_force(self._tail, query, threshold)

    def search(self, query: bytes, threshold: int = 31) -> list[tuple[bytes, int]]:
        """Every (stored hash, distance <= threshold), each hash once, nearest first."""
        query = check_query(query, threshold)
        self._settle()
        found: dict[bytes, int] = {}
        for level in self._levels:
            for position, distance in level.search(query, threshold):
                found[level.hash_at(position)] = distance
        for position, distance in self._search_tail(query, threshold):
            found[self._tail[position].tobytes()] = distance
        return sorted(found.items(), key=lambda item: (item[1], item[0]))

    def search_any(self, queries: list[bytes], threshold: int = 31) -> dict[bytes, int]:
        """For the hashes of one image (e.g. its 8 dihedral PDQ hashes): every stored hash
        within ``threshold`` of any of them -> the smallest distance over the queries."""
        checked = [check_query(query, threshold) for query in queries]
        best: dict[bytes, int] = {}
        for query in checked:
            for stored, distance in self.search(query, threshold):
                if distance < best.get(stored, reference.MAX_DISTANCE + 1):
                    best[stored] = distance
        return best

    def __len__(self) -> int:
        self._settle()
        return sum(len(level) for level in self._levels) + len(self._tail)

    def __contains__(self, hash: object) -> bool:
        if not isinstance(hash, bytes) or len(hash) != reference.HASH_BYTES:
            return False
        self._settle()
        row = np.frombuffer(hash, np.uint8).reshape(1, reference.HASH_BYTES)
        return any(level.contains_many(row)[0] for level in self._levels) or bool(
            _in_sorted(self._tail, row)[0]
        )

    @property
    def level_sizes(self) -> list[int]:
        """The number of hashes of each level, largest first (the tail not included)."""
        self._settle()
        return [len(level) for level in self._levels]

    @property
    def tail_size(self) -> int:
        self._settle()
        return len(self._tail)

    @property
    def nbytes(self) -> int:
        """Every byte the levels, the tail and the hashes not settled yet hold."""
        held = sum(level.nbytes for level in self._levels) + int(self._tail.nbytes)
        return held + sum(int(rows.nbytes) for rows in self._pending)


def _no_hashes() -> HashArray:
    return np.empty((0, reference.HASH_BYTES), np.uint8)
