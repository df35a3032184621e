"""The numpy encoder: the same output as reference.py, a chunk (about a megabyte) at a time.

It only takes chunks whose every line is well formed and in order; anything else (a malformed
line, an unsorted hash, a full hash in a per-prefix file) goes to the reference encoder, which
reports it exactly as it would have alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .formats import MAX_COUNT, Layout
from .reference import ReferenceEngine
from .sinks import BitmapWriter, EncodeContext, Engine
from .sources import Chunk

Array = npt.NDArray[Any]

_HEX_VALUES = np.full(256, 255, np.uint8)
for _value, _char in enumerate(b"0123456789ABCDEF"):
    _HEX_VALUES[_char] = _value
for _value, _char in enumerate(b"abcdef"):
    _HEX_VALUES[_char] = 10 + _value
_DIGIT_VALUES = np.full(256, 255, np.uint8)
_DIGIT_VALUES[48:58] = np.arange(10, dtype=np.uint8)
_POWERS = (10 ** np.arange(9, -1, -1, dtype=np.uint64)).astype(np.uint64)
_COUNT_WINDOW = np.arange(-10, 0)
# Compact count classes: the class of a count is how many of these thresholds it reaches.
_CLASS_THRESHOLDS = np.array([1 << k for k in range(15)], dtype=np.uint64)


class VectorizedEngine(Engine):
    name = "numpy"

    def __init__(self) -> None:
        self.reference = ReferenceEngine()

    def process(self, chunk: Chunk, context: EncodeContext) -> None:
        parsed = _parse(chunk, context)
        if parsed is None:
            self.reference.process(chunk, context)
            return
        keys, counts, last_line = parsed
        if len(keys):
            context.state.last_key = keys[-1].tobytes().hex().upper()
            context.state.last_line = last_line
        _encode(keys, counts, context)


def _parse(chunk: Chunk, context: EncodeContext) -> tuple[Array, Array, int] | None:
    """(keys as rows of digest bytes, counts, line number of the last line), or None when the
    chunk needs the reference parser."""
    layout = context.layout
    hex_digits = layout.hash_bits // 4
    digest_size = layout.digest_size
    buffer = np.frombuffer(chunk.data, np.uint8)
    newlines = np.flatnonzero(buffer == 10)
    lines = len(newlines)
    if lines == 0:
        return np.empty((0, digest_size), np.uint8), np.empty(0, np.uint64), 0
    starts = np.empty(lines, np.int64)
    starts[0] = 0
    starts[1:] = newlines[:-1] + 1
    ends = newlines - ((newlines > starts) & (buffer[newlines - 1] == 13))
    per_prefix = chunk.segments[0].prefix is not None
    width = hex_digits - 5 if per_prefix else hex_digits
    lengths = ends - starts
    if not ((lengths >= width + 2) & (lengths <= width + 11)).all():
        return None
    if not (buffer[starts + width] == 58).all():
        return None
    nibbles = _HEX_VALUES[buffer[starts[:, None] + np.arange(width)]]
    if (nibbles == 255).any():
        return None
    window = ends[:, None] + _COUNT_WINDOW
    in_count = window > (starts + width)[:, None]
    digits = _DIGIT_VALUES[buffer[np.maximum(window, 0)]]
    if ((digits == 255) & in_count).any():
        return None
    counts = np.where(in_count, digits, 0).astype(np.uint64) @ _POWERS
    if not ((counts >= 1) & (counts <= MAX_COUNT)).all():
        return None

    if per_prefix:
        bounds = np.array([(segment.start, segment.end) for segment in chunk.segments])
        segment_lines = np.searchsorted(newlines, bounds[:, 1]) - np.searchsorted(
            newlines, bounds[:, 0]
        )
        prefixes = np.repeat(
            np.array([int(segment.prefix or "0", 16) for segment in chunk.segments], np.int64),
            segment_lines,
        )
        full = np.empty((lines, hex_digits), np.uint8)
        for digit in range(5):
            full[:, digit] = (prefixes >> (4 * (4 - digit))) & 15
        full[:, 5:] = nibbles
        nonempty = np.flatnonzero(segment_lines)
        last_line = int(segment_lines[nonempty[-1]])
    else:
        full = nibbles
        last_line = chunk.segments[0].first_line + lines - 1
    keys = (full[:, 0::2] << 4) | full[:, 1::2]

    words = _comparable_words(keys)
    if context.state.last_key:
        previous = np.frombuffer(bytes.fromhex(context.state.last_key), np.uint8)[None, :]
        words = np.concatenate([_comparable_words(previous), words])
    if not _strictly_increasing(words):
        return None
    return keys, counts, last_line


def _comparable_words(keys: Array) -> Array:
    """Rows of big-endian 64-bit words that sort like the digests."""
    rows, size = keys.shape
    padded = np.zeros((rows, (size + 7) // 8 * 8), np.uint8)
    padded[:, :size] = keys
    return padded.view(">u8").astype(np.uint64)


def _strictly_increasing(words: Array) -> bool:
    if len(words) < 2:
        return True
    before, after = words[:-1], words[1:]
    less = np.zeros(len(before), bool)
    equal = np.ones(len(before), bool)
    for column in range(words.shape[1]):
        less |= equal & (before[:, column] < after[:, column])
        equal &= before[:, column] == after[:, column]
    return bool(less.all())


def _encode(keys: Array, counts: Array, context: EncodeContext) -> None:
    layout = context.layout
    state = context.state
    sinks = context.sinks
    state.hash_count += len(keys)
    if not len(keys):
        return
    exact = layout.format == "exact"
    if exact:
        codes = np.where(counts <= 15, counts, 0).astype(np.uint8)
        escape_flags = codes == 0
        escapes = counts[escape_flags].astype("<u4")
    else:
        codes = np.searchsorted(_CLASS_THRESHOLDS, counts, side="right").astype(np.uint8)
        fingerprint_bytes = layout.key_bits // 8
        fingerprints = keys[:, :fingerprint_bytes]
        repeated = (fingerprints[1:] == fingerprints[:-1]).all(axis=1)
        if repeated.any():
            firsts = np.flatnonzero(np.concatenate([[True], ~repeated]))
            codes = np.maximum.reduceat(codes, firsts)
            keys = keys[firsts]
        escape_flags = np.zeros(len(keys), bool)
        escapes = np.empty(0, "<u4")

    sinks.records.write(_records(keys, codes, layout).tobytes())

    top = keys[:, :4].copy().view(">u4").astype(np.int64)[:, 0]
    highs = top >> (32 - layout.high_bits)
    buckets = highs >> layout.sub_bucket_bits
    first_record = state.record_count
    count = len(keys)
    last_bucket = int(buckets[-1])
    if last_bucket >= state.next_bucket:
        wanted = np.arange(state.next_bucket, last_bucket + 1)
        before = np.searchsorted(buckets, wanted, side="left")
        sinks.directory.write((first_record + before).astype("<u8").tobytes())
        if exact:
            cumulative = np.concatenate([[0], np.cumsum(escape_flags)])
            sinks.escape_directory.write(
                (state.escape_count + cumulative[before]).astype("<u8").tobytes()
            )
        state.next_bucket = last_bucket + 1
    if sinks.bitmap is not None:
        _set_bits(sinks.bitmap, first_record + np.arange(count, dtype=np.int64) + highs)
    if exact:
        sinks.escapes.write(escapes.tobytes())
        state.escape_count += len(escapes)
    state.record_count += count


def _records(keys: Array, codes: Array, layout: Layout) -> Array:
    """Each record: the key bits after the prefix and sub-bucket, then the 4-bit count code.
    The stored bits start mid-byte (bit 20 or 28), so every output byte joins two nibbles."""
    start = layout.high_bits // 8
    whole = (layout.low_bits - 4) // 8
    records = np.empty((len(keys), layout.record_size), np.uint8)
    records[:, :whole] = ((keys[:, start : start + whole] & 15) << 4) | (
        keys[:, start + 1 : start + 1 + whole] >> 4
    )
    records[:, whole] = ((keys[:, start + whole] & 15) << 4) | codes
    return records


def _set_bits(writer: BitmapWriter, positions: Array) -> None:
    """BitmapWriter.set_bits for a sorted numpy array of new positions."""
    end = int(positions[-1]) + 1
    base = writer.position >> 3
    span = end - (base << 3)
    if span <= 64 * len(positions):  # dense: build the bits and pack them
        bits = np.zeros(span, np.uint8)
        bits[positions - (base << 3)] = 1
        bits[:8] |= np.unpackbits(np.array([writer.carry], np.uint8), bitorder="little")[
            : min(8, span)
        ]
        packed = np.packbits(bits, bitorder="little")
    else:  # sparse (a small corpus with sub-buckets): set bits byte by byte
        packed = np.zeros(((end + 7) >> 3) - base, np.uint8)
        packed[0] = writer.carry
        np.bitwise_or.at(
            packed, (positions >> 3) - base, np.left_shift(1, positions & 7).astype(np.uint8)
        )
    writer.emit(packed.tobytes(), end, base)
