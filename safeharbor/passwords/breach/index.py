"""Reading a breached-password index: memory-mapped, so opening costs the same for any size.

    with open_index("var/pwned-sha1.idx") as index:
        index.count(sha1_digest("password"))      # times seen in breaches, 0 if never
        index.range("5BAA6")                      # [(SUFFIX, COUNT), ...] like GET /range/5BAA6

See formats.py and docs/breached-passwords.md for the layout these lookups walk.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from math import isqrt
from pathlib import Path
from types import TracebackType

from .formats import (
    COUNT_BITS,
    ESCAPE_SIZE,
    HEADER_SIZE,
    Header,
    IndexFormatError,
    compact_false_positive_rate,
)
from .reference import md4

try:  # the C hot paths, built with the package; the Python methods below are the reference
    from . import _fast
except ImportError:  # pragma: no cover - a build without a C compiler
    _fast = None  # type: ignore[assignment,unused-ignore]

__all__ = [
    "BreachIndex",
    "IndexFormatError",
    "UnsupportedQueryError",
    "ntlm_digest",
    "open_index",
    "sha1_digest",
]

_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")
_LOW_NIBBLE = bytes(value & 15 for value in range(256))
_MASKS: list[int] = [0]  # _MASKS[m] == (1 << m) - 1, shared by every open index
_LARGEST_MASK_TABLE = 1 << 16


class UnsupportedQueryError(Exception):
    """The index format cannot answer this query (range() on a compact index)."""


def sha1_digest(password: str) -> bytes:
    """SHA-1 of the UTF-8 password: the hash HIBP's Pwned Passwords SHA-1 corpus lists."""
    return hashlib.sha1(password.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()


def _hashlib_md4(data: bytes) -> bytes:
    return hashlib.new("md4", data, usedforsecurity=False).digest()


try:
    _hashlib_md4(b"")
    _md4 = _hashlib_md4
except ValueError:  # OpenSSL 3 without the legacy provider
    _md4 = md4


def ntlm_digest(password: str) -> bytes:
    """NTLM hash: MD4 of the UTF-16LE password, the hash of HIBP's NTLM corpus."""
    return _md4(password.encode("utf-16-le", "surrogatepass"))


def _ensure_masks(size: int) -> None:
    while len(_MASKS) <= size:
        _MASKS.append((1 << len(_MASKS)) - 1)


class _ComputedMasks:
    """Masks for a bucket too large for the shared table (no real corpus has one)."""

    def __getitem__(self, size: int) -> int:
        return (1 << size) - 1


def _select_zero(zeros: int, high: int, records: int, masks: list[int] | _ComputedMasks) -> int:
    """Position of the zero numbered ``high`` (from 0) in a bucket's bitmap, given as an integer
    whose set bits are the bitmap's zeros: a binary search on prefix popcounts. It lies between
    ``high`` and ``high + records``."""
    wanted = high + 1
    lo, hi = high, high + records
    while lo < hi:
        middle = (lo + hi) >> 1
        if (zeros & masks[middle + 1]).bit_count() >= wanted:
            hi = middle
        else:
            lo = middle + 1
    return lo


def _window_select(
    mapped: mmap.mmap,
    bitmap_at: int,
    first_bit: int,
    high: int,
    records: int,
    masks: list[int] | _ComputedMasks,
) -> tuple[int, int] | None:
    """(position of the zero closing sub-bucket ``high``, records in it) for a large bucket
    (hundreds of hashes: corpora of a few hundred million and up), reading only the bits before a
    window around the position uniform hashes predict (the number of records below a sub-bucket
    is binomial: the window spans 3 standard deviations) and the window itself. None when the
    answer is not inside the window; the caller then searches the whole bucket."""
    wanted = high + 1
    guess = high + (records * wanted >> 8)
    reach = 4 + 3 * isqrt(records) // 2
    lo = max(high, guess - reach)
    width = min(high + records, guess + reach) - lo + 1
    window_bit = first_bit + lo
    ones = 0
    if lo:
        prefix = int.from_bytes(
            mapped[bitmap_at + (first_bit >> 3) : bitmap_at + ((window_bit + 7) >> 3)], "little"
        )
        ones = ((prefix >> (first_bit & 7)) & masks[lo]).bit_count()
    need = wanted - (lo - ones)  # zeros still to pass from the window's start
    if need <= 0:
        return None
    at = bitmap_at + (window_bit >> 3)
    window = int.from_bytes(mapped[at : at + (((window_bit & 7) + width + 7) >> 3)], "little") >> (
        window_bit & 7
    )
    zeros = ~window & masks[width]
    if zeros.bit_count() < need:
        return None
    # Walk the window's zeros: the answer is the need-th, the zero before it bounds the run.
    previous = -1
    for _ in range(need - 1):
        lowest = zeros & -zeros
        previous = lowest.bit_length() - 1
        zeros ^= lowest
    position = (zeros & -zeros).bit_length() - 1
    if previous < 0 and lo > high:
        return None  # the run of records may begin before the window
    return lo + position, position - previous - 1


class BreachIndex:
    """An open index file. Lookups are safe from several threads; close() when done."""

    mode: str
    format: str
    hash_count: int

    def __init__(
        self, path: Path, mapped: mmap.mmap, header: Header, *, use_c: bool = True
    ) -> None:
        layout = header.layout
        self.path = path
        self.header = header
        self.mode = layout.mode
        self.format = layout.format
        self.hash_count = header.hash_count
        self.record_count = header.record_count
        self.fingerprint_bits = layout.key_bits
        self.file_size = header.file_size
        self._mapped = mapped
        self._digest_size = layout.digest_size
        self._drop_bits = layout.hash_bits - layout.key_bits
        self._rest_bits = layout.rest_bits
        self._rest_mask = (1 << layout.rest_bits) - 1
        self._sub_bits = layout.sub_bucket_bits
        self._sub_count = (1 << layout.sub_bucket_bits) if layout.sub_bucket_bits else 0
        self._low_bits = layout.low_bits
        self._low_mask = (1 << layout.low_bits) - 1
        self._record_size = layout.record_size
        self._suffix_digits = layout.rest_bits // 4
        self._exact = layout.format == "exact"
        self._records_at = header.records_offset
        self._bitmap_at = header.bitmap_offset
        self._directory_at = header.directory_offset
        self._escape_directory_at = header.escape_directory_offset
        self._escapes_at = header.escapes_offset
        self._width = header.directory_width
        self._pair = struct.Struct("<2I" if self._width == 4 else "<2Q").unpack_from
        self._entry = struct.Struct("<I" if self._width == 4 else "<Q").unpack_from
        self._lookup = (
            mapped,
            self._pair,
            self._digest_size,
            self._drop_bits,
            self._rest_bits,
            self._rest_mask,
            self._sub_bits,
            self._sub_count,
            self._low_bits,
            self._low_mask,
            self._record_size,
            self._directory_at,
            self._width,
            self._bitmap_at,
            self._records_at,
            self._exact,
        )
        # Arguments of the C functions after (buffer, digest or bucket): the layout, which the C
        # code checks against the file's length so that a corrupt file is an error, not a crash.
        self._c_layout = (
            self._directory_at,
            self._width,
            self._sub_bits,
            self._bitmap_at,
            self._records_at,
            self._record_size,
            self._escape_directory_at,
            self._escapes_at,
            header.record_count,
            header.escape_count,
        )
        self.implementation = "c" if use_c and _fast is not None else "python"
        if self.implementation == "c":
            self.count = self._count_c  # type: ignore[method-assign]
        largest_span = header.largest_bucket + self._sub_count + 1
        if self._sub_bits and largest_span <= _LARGEST_MASK_TABLE:
            _ensure_masks(largest_span)
            self._masks: list[int] | _ComputedMasks = _MASKS
        else:
            self._masks = _ComputedMasks()

    # -- lookups --------------------------------------------------------------------------------

    def _count_c(self, digest: bytes) -> int:
        if len(digest) != self._digest_size:
            raise ValueError(
                f"a {self.mode} digest has {self._digest_size} bytes, not {len(digest)}"
            )
        try:
            return _fast.count(self._mapped, digest, *self._c_layout, self._exact)
        except ValueError as error:
            raise IndexFormatError(f"{self.path}: {error}") from None

    def count(self, digest: bytes) -> int:
        """How many times the hash was seen; 0 when absent. ``digest`` is the raw SHA-1 (20 bytes)
        or NTLM (16 bytes) hash. A compact index answers a lower bound (a power of two), and may
        rarely answer for an absent hash (see false_positive_rate).

        This Python method is the reference; indexes opened with the C extension built answer
        through its count() instead (``implementation`` says which)."""
        # One tuple unpack instead of a dozen attribute loads: this is the hot path.
        (
            mapped,
            pair,
            digest_size,
            drop_bits,
            rest_bits,
            rest_mask,
            sub_bits,
            sub_count,
            low_bits,
            low_mask,
            size,
            directory_at,
            width,
            bitmap_at,
            records_at,
            exact,
        ) = self._lookup
        if len(digest) != digest_size:
            raise ValueError(f"a {self.mode} digest has {digest_size} bytes, not {len(digest)}")
        key = int.from_bytes(digest, "big") >> drop_bits
        bucket = key >> rest_bits
        start, end = pair(mapped, directory_at + bucket * width)
        if start == end:
            return 0
        rest = key & rest_mask
        if sub_bits:
            high = rest >> low_bits
            low = rest & low_mask
            # The bucket's bitmap: for each sub-bucket, one 1 per record then a 0. Find the 0
            # that closes sub-bucket `high`, and the run of 1s (its records) just before it.
            first_bit = start + (bucket << sub_bits)
            masks = self._masks
            found = None
            if end - start > 256:  # a large bucket: read only around the predicted position
                found = _window_select(mapped, bitmap_at, first_bit, high, end - start, masks)
            if found is None:
                span = end - start + sub_count
                at = bitmap_at + (first_bit >> 3)
                bits = int.from_bytes(
                    mapped[at : at + (((first_bit & 7) + span + 7) >> 3)], "little"
                ) >> (first_bit & 7)
                zeros = ~bits & masks[span]
                lo = _select_zero(zeros, high, end - start, masks)
                found = lo, lo - (zeros & masks[lo]).bit_length()
            lo, run = found
            if not run:
                return 0
            first = start + lo - high - run
            last = first + run
        else:
            low = rest
            first, last = start, end
        # Records are sorted by key; the last 4 bits of each are its count code.
        if last - first > 2:
            smallest = (low << COUNT_BITS).to_bytes(size, "big")
            while last - first > 2:
                middle = (first + last) >> 1
                at = records_at + middle * size
                if mapped[at : at + size] < smallest:
                    first = middle + 1
                else:
                    last = middle + 1
        at = records_at + first * size
        for index in range(first, last):
            record = int.from_bytes(mapped[at : at + size], "big")
            stored = record >> COUNT_BITS
            if stored == low:
                code = record & 15
                if not exact:
                    return 1 << (code - 1)
                return code or self._escaped_count(bucket, start, index)
            if stored > low:
                return 0
            at += size
        return 0

    def _escaped_count(self, bucket: int, bucket_start: int, index: int) -> int:
        # An escape: its count is in the escape table, after the escapes of earlier buckets
        # and of earlier records of this bucket.
        (escape,) = self._entry(self._mapped, self._escape_directory_at + bucket * self._width)
        size = self._record_size
        codes = self._mapped[
            self._records_at + bucket_start * size + size - 1 : self._records_at
            + index * size : size
        ]
        escape += codes.translate(_LOW_NIBBLE).count(0)
        at = self._escapes_at + escape * ESCAPE_SIZE
        return int.from_bytes(self._mapped[at : at + ESCAPE_SIZE], "little")

    def _check_range(self, prefix: str) -> int:
        if not isinstance(prefix, str) or len(prefix) != 5 or not _HEX_DIGITS.issuperset(prefix):
            raise ValueError(f"a range prefix is five hexadecimal digits, not {prefix!r}")
        if not self._exact:
            raise UnsupportedQueryError(
                f"{self.path.name} is a compact index (truncated fingerprints, approximate "
                "counts): it cannot list a range; build an exact index for the range API"
            )
        return int(prefix, 16)

    def range_body(self, prefix: str) -> bytes:
        """The body of HIBP's ``GET /range/{prefix}``: ``SUFFIX:COUNT`` lines joined by CRLF,
        byte for byte what the downloader's per-prefix file holds. Exact indexes only."""
        bucket = self._check_range(prefix)
        if self.implementation == "c":
            try:
                return _fast.range_body(self._mapped, bucket, *self._c_layout)
            except ValueError as error:
                raise IndexFormatError(f"{self.path}: {error}") from None
        return "\r\n".join(f"{suffix}:{count}" for suffix, count in self.range(prefix)).encode()

    def range(self, prefix: str) -> list[tuple[str, int]]:
        """Every (SUFFIX, COUNT) under a five-hex-digit prefix, sorted: the content of HIBP's
        ``GET /range/{prefix}``. Exact indexes only."""
        bucket = self._check_range(prefix)
        mapped = self._mapped
        start, end = self._pair(mapped, self._directory_at + bucket * self._width)
        count = end - start
        if not count:
            return []
        size = self._record_size
        highs: list[int] = []
        if self._sub_bits:
            first_bit = start + (bucket << self._sub_bits)
            span = count + self._sub_count
            at = self._bitmap_at + (first_bit >> 3)
            bits = int.from_bytes(
                mapped[at : at + (((first_bit & 7) + span + 7) >> 3)], "little"
            ) >> (first_bit & 7)
            # Least significant bit first: the runs of 1s between 0s are the sub-buckets' sizes.
            text = format(bits & ((1 << span) - 1), f"0{span}b")[::-1]
            for high, run in enumerate(text.split("0")[: self._sub_count]):
                highs.extend([high] * len(run))
        else:
            highs = [0] * count
        (escape,) = self._entry(mapped, self._escape_directory_at + bucket * self._width)
        records = mapped[self._records_at + start * size : self._records_at + end * size]
        low_bits = self._low_bits
        digits = self._suffix_digits
        result = []
        for position, high in enumerate(highs):
            record = int.from_bytes(records[position * size : (position + 1) * size], "big")
            code = record & 15
            if not code:
                at = self._escapes_at + escape * ESCAPE_SIZE
                code = int.from_bytes(mapped[at : at + ESCAPE_SIZE], "little")
                escape += 1
            suffix = (high << low_bits) | (record >> COUNT_BITS)
            result.append((f"{suffix:0{digits}X}", code))
        return result

    # -- information ----------------------------------------------------------------------------

    @property
    def bytes_per_hash(self) -> float:
        return self.file_size / self.hash_count if self.hash_count else 0.0

    @property
    def false_positive_rate(self) -> float:
        """Probability that a lookup of an absent hash finds one (0 for an exact index)."""
        if self._exact:
            return 0.0
        return compact_false_positive_rate(self.record_count, self.fingerprint_bits)

    def verify(self) -> None:
        """Read the whole file and check its data checksum (open_index checks only the header)."""
        checksum = hashlib.blake2b(digest_size=32)
        view = memoryview(self._mapped)
        try:
            for at in range(HEADER_SIZE, self.file_size, 16 << 20):
                checksum.update(view[at : min(at + (16 << 20), self.file_size)])
        finally:
            view.release()
        if checksum.digest() != self.header.data_checksum:
            raise IndexFormatError(
                f"{self.path} is corrupt: its data does not match the checksum in its header"
            )

    def close(self) -> None:
        self._mapped.close()

    def __enter__(self) -> BreachIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<BreachIndex {self.path} {self.mode} {self.format} {self.hash_count} hashes>"


def open_index(path: str | os.PathLike[str], *, use_c: bool = True) -> BreachIndex:
    """Open an index file; IndexFormatError says why a file cannot be used. ``use_c=False``
    answers through the pure-Python reference methods even when the C extension is built."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise IndexFormatError(f"{path}: cannot open the index ({error.strerror})") from None
    with handle:
        actual_size = os.fstat(handle.fileno()).st_size
        header = Header.unpack(handle.read(HEADER_SIZE), name=str(path), actual_size=actual_size)
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)  # lookups touch one page each: no read-ahead
    width = header.directory_width
    entry = struct.Struct("<I" if width == 4 else "<Q").unpack_from
    totals = [entry(mapped, header.directory_offset + (1 << 20) * width)[0]]
    if header.layout.format == "exact":
        totals.append(entry(mapped, header.escape_directory_offset + (1 << 20) * width)[0])
    expected = [header.record_count, header.escape_count][: len(totals)]
    if totals != expected or header.largest_bucket > header.record_count:
        mapped.close()
        raise IndexFormatError(
            f"{path} is not a usable breached-password index: its directory does not match "
            "its header (the file is corrupt)"
        )
    return BreachIndex(path, mapped, header, use_c=use_c)
