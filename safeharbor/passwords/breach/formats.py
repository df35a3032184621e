"""The on-disk layout of a breached-password index file, shared by the builder and the reader.

A file is a fixed 256-byte header followed by five regions, in this order::

    header | records | sub-bucket bitmap | bucket directory | escape directory | escapes

Hashes are grouped into 2**20 buckets by their first 20 bits (the five hex digits of an HIBP range
prefix), so those bits are never stored. With ``sub_bucket_bits`` = 8, the next 8 bits are stored
once per bucket as an Elias-Fano style unary bitmap instead of in every record. Each record keeps
the remaining bits of the key (the whole hash for ``exact``, the first ``fingerprint_bits`` for
``compact``) followed by a 4-bit count code. docs/breached-passwords.md describes every field.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass

MAGIC = b"SHPWNED\x00"
VERSION = 1
HEADER_SIZE = 256
PREFIX_BITS = 20
BUCKET_COUNT = 1 << PREFIX_BITS
COUNT_BITS = 4
MAX_COUNT = 0xFFFFFFFF  # escapes are stored as unsigned 32-bit integers
ESCAPE_SIZE = 4

MODES: dict[str, int] = {"sha1": 160, "ntlm": 128}  # mode -> hash bits
MODE_CODES = {"sha1": 1, "ntlm": 2}
FORMAT_CODES = {"exact": 1, "compact": 2}
DEFAULT_FINGERPRINT_BITS = 64
SUB_BUCKET_CHOICES = (0, 8)

# Exact count codes: 1..15 are the count itself, 0 means "look in the escape table".
EXACT_DIRECT_MAX = 15
# Compact count classes: class k (1..15) means the count is at least 2**(k-1); lookups answer
# that power of two.
COMPACT_CLASS_MAX = 15

_HEADER = struct.Struct(
    "<8s"  # magic
    "H"  # version
    "H"  # header size
    "B"  # mode code
    "B"  # format code
    "B"  # sub-bucket bits
    "B"  # count bits
    "H"  # fingerprint (key) bits
    "H"  # record size
    "B"  # directory entry width
    "3x"
    "Q"  # hash count
    "Q"  # record count
    "Q"  # escape count
    "Q"  # largest bucket
    "Q"  # records offset
    "Q"  # bitmap offset
    "Q"  # directory offset
    "Q"  # escape directory offset
    "Q"  # escapes offset
    "Q"  # file size
    "32s"  # data checksum: BLAKE2b-256 of bytes [header size, file size)
)
_HEADER_CHECKSUM_AT = HEADER_SIZE - 32


class IndexFormatError(Exception):
    """The file is not a usable breached-password index (corrupt, truncated or unknown)."""


def count_code(count: int, format: str) -> int:
    """The 4-bit code stored in a record for ``count``."""
    if format == "exact":
        return count if count <= EXACT_DIRECT_MAX else 0
    return min(COMPACT_CLASS_MAX, count.bit_length())


def choose_sub_bucket_bits(estimated_hashes: int, key_bits: int) -> int:
    """8 sub-bucket bits save one byte per record and cost 2**28 bitmap bits plus one bit per
    record, so they pay off above 2**28 / 7 (about 38 million) records."""
    if key_bits - PREFIX_BITS - 8 < COUNT_BITS:
        return 0
    return 8 if 7 * estimated_hashes > (1 << (PREFIX_BITS + 8)) else 0


@dataclass(frozen=True)
class Layout:
    """Sizes and bit positions derived from the mode, format and parameters."""

    mode: str
    format: str
    key_bits: int  # stored key bits: the hash bits (exact) or the fingerprint bits (compact)
    sub_bucket_bits: int

    @classmethod
    def for_build(
        cls, mode: str, format: str, fingerprint_bits: int | None, sub_bucket_bits: int
    ) -> Layout:
        hash_bits = MODES[mode]
        if format == "exact":
            if fingerprint_bits not in (None, hash_bits):
                raise ValueError("--fingerprint-bits applies to the compact format only")
            key_bits = hash_bits
        else:
            key_bits = DEFAULT_FINGERPRINT_BITS if fingerprint_bits is None else fingerprint_bits
            if key_bits % 8 or not 24 <= key_bits <= hash_bits:
                raise ValueError(
                    f"fingerprint bits must be a multiple of 8 from 24 to {hash_bits}, "
                    f"not {key_bits}"
                )
        layout = cls(mode, format, key_bits, sub_bucket_bits)
        layout.check()
        return layout

    def check(self) -> None:
        if self.mode not in MODES or self.format not in FORMAT_CODES:
            raise ValueError(f"unknown mode or format: {self.mode}, {self.format}")
        if self.sub_bucket_bits not in SUB_BUCKET_CHOICES:
            raise ValueError(f"sub-bucket bits must be 0 or 8, not {self.sub_bucket_bits}")
        if self.low_bits < COUNT_BITS or (self.low_bits + COUNT_BITS) % 8:
            raise ValueError(
                f"{self.key_bits} key bits cannot be laid out with "
                f"{self.sub_bucket_bits} sub-bucket bits"
            )

    @property
    def hash_bits(self) -> int:
        return MODES[self.mode]

    @property
    def digest_size(self) -> int:
        return self.hash_bits // 8

    @property
    def rest_bits(self) -> int:
        """Key bits after the 20 prefix bits (the HIBP suffix for exact indexes)."""
        return self.key_bits - PREFIX_BITS

    @property
    def low_bits(self) -> int:
        """Key bits kept in each record."""
        return self.key_bits - PREFIX_BITS - self.sub_bucket_bits

    @property
    def record_size(self) -> int:
        return (self.low_bits + COUNT_BITS) // 8

    @property
    def high_bits(self) -> int:
        """Key bits implied by a record's position: prefix and sub-bucket."""
        return PREFIX_BITS + self.sub_bucket_bits

    def bitmap_bits(self, record_count: int) -> int:
        if not self.sub_bucket_bits:
            return 0
        return record_count + (1 << self.high_bits)

    def bitmap_size(self, record_count: int) -> int:
        return (self.bitmap_bits(record_count) + 7) // 8


@dataclass(frozen=True)
class Header:
    layout: Layout
    hash_count: int
    record_count: int
    escape_count: int
    largest_bucket: int
    directory_width: int
    records_offset: int
    bitmap_offset: int
    directory_offset: int
    escape_directory_offset: int
    escapes_offset: int
    file_size: int
    data_checksum: bytes

    @classmethod
    def plan(
        cls,
        layout: Layout,
        *,
        hash_count: int,
        record_count: int,
        escape_count: int,
        largest_bucket: int,
        data_checksum: bytes = bytes(32),
    ) -> Header:
        """A header whose region offsets follow from the counts."""
        width = directory_width(record_count)
        records_offset = HEADER_SIZE
        bitmap_offset = records_offset + record_count * layout.record_size
        directory_offset = bitmap_offset + layout.bitmap_size(record_count)
        escape_directory_offset = directory_offset + (BUCKET_COUNT + 1) * width
        escapes_offset = escape_directory_offset + (
            (BUCKET_COUNT + 1) * width if layout.format == "exact" else 0
        )
        file_size = escapes_offset + escape_count * ESCAPE_SIZE
        return cls(
            layout=layout,
            hash_count=hash_count,
            record_count=record_count,
            escape_count=escape_count,
            largest_bucket=largest_bucket,
            directory_width=width,
            records_offset=records_offset,
            bitmap_offset=bitmap_offset,
            directory_offset=directory_offset,
            escape_directory_offset=escape_directory_offset,
            escapes_offset=escapes_offset,
            file_size=file_size,
            data_checksum=data_checksum,
        )

    def pack(self) -> bytes:
        layout = self.layout
        body = _HEADER.pack(
            MAGIC,
            VERSION,
            HEADER_SIZE,
            MODE_CODES[layout.mode],
            FORMAT_CODES[layout.format],
            layout.sub_bucket_bits,
            COUNT_BITS,
            layout.key_bits,
            layout.record_size,
            self.directory_width,
            self.hash_count,
            self.record_count,
            self.escape_count,
            self.largest_bucket,
            self.records_offset,
            self.bitmap_offset,
            self.directory_offset,
            self.escape_directory_offset,
            self.escapes_offset,
            self.file_size,
            self.data_checksum,
        ).ljust(_HEADER_CHECKSUM_AT, b"\x00")
        return body + header_checksum(body)

    @classmethod
    def unpack(cls, raw: bytes, *, name: str, actual_size: int) -> Header:
        """Parse and check a header; every problem is an IndexFormatError naming the file."""

        def refuse(why: str) -> IndexFormatError:
            return IndexFormatError(f"{name} is not a usable breached-password index: {why}")

        if raw[:8] != MAGIC[: len(raw[:8])]:
            raise refuse("it does not start with the index signature (wrong file?)")
        if len(raw) < HEADER_SIZE:
            raise refuse(f"it is {actual_size} bytes, shorter than the {HEADER_SIZE}-byte header")
        body, checksum = raw[:_HEADER_CHECKSUM_AT], raw[_HEADER_CHECKSUM_AT:HEADER_SIZE]
        fields = _HEADER.unpack_from(body)
        version = fields[1]
        if version != VERSION:
            raise refuse(f"format version {version} is not supported (this code reads {VERSION})")
        if header_checksum(body) != checksum:
            raise refuse("the header checksum does not match (the header is corrupt)")
        (
            _,
            _,
            header_size,
            mode_code,
            format_code,
            sub_bits,
            count_bits,
            key_bits,
            record_size,
            width,
            hash_count,
            record_count,
            escape_count,
            largest_bucket,
            *offsets,
            file_size,
            data_checksum,
        ) = fields
        modes = {code: mode for mode, code in MODE_CODES.items()}
        formats = {code: format for format, code in FORMAT_CODES.items()}
        if header_size != HEADER_SIZE or count_bits != COUNT_BITS:
            raise refuse("unexpected header size or count bits")
        if mode_code not in modes or format_code not in formats:
            raise refuse(f"unknown mode {mode_code} or format {format_code}")
        try:
            layout = Layout(modes[mode_code], formats[format_code], key_bits, sub_bits)
            layout.check()
        except ValueError as error:
            raise refuse(str(error)) from None
        if layout.format == "exact" and key_bits != layout.hash_bits:
            raise refuse("an exact index must keep every hash bit")
        planned = cls.plan(
            layout,
            hash_count=hash_count,
            record_count=record_count,
            escape_count=escape_count,
            largest_bucket=largest_bucket,
            data_checksum=data_checksum,
        )
        stored = (record_size, width, *offsets, file_size)
        expected = (
            layout.record_size,
            planned.directory_width,
            planned.records_offset,
            planned.bitmap_offset,
            planned.directory_offset,
            planned.escape_directory_offset,
            planned.escapes_offset,
            planned.file_size,
        )
        if stored != expected:
            raise refuse("the header's region table is inconsistent")
        if actual_size != file_size:
            state = "truncated" if actual_size < file_size else "longer than its header says"
            raise refuse(f"it is {state} ({actual_size} bytes, expected {file_size})")
        return planned


def directory_width(record_count: int) -> int:
    return 4 if record_count < (1 << 32) else 8


def header_checksum(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=32).digest()


def compact_false_positive_rate(record_count: int, fingerprint_bits: int) -> float:
    """Probability that a lookup of an absent hash matches a stored fingerprint."""
    return -math.expm1(record_count * math.log1p(-(2.0**-fingerprint_bits)))
