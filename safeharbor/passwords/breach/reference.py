"""Pure-Python reference implementations: MD4 (for NTLM hashes where OpenSSL 3 has dropped it)
and the index encoder that defines what a build writes.

The numpy encoder in vectorized.py must produce byte-identical files; the tests check it on random
corpora. This module is also the fallback when numpy is not installed, and the numpy encoder hands
every chunk with a malformed line to it, so error messages come from one place.
"""

from __future__ import annotations

import struct
import sys
from array import array

from .formats import BUCKET_COUNT, MAX_COUNT, PREFIX_BITS, count_code
from .sinks import EncodeContext, Engine
from .sources import Chunk

# -- MD4 (RFC 1320) ---------------------------------------------------------------------------

_MASK32 = 0xFFFFFFFF


def _rotate_left(value: int, shift: int) -> int:
    value &= _MASK32
    return ((value << shift) | (value >> (32 - shift))) & _MASK32


def md4(data: bytes) -> bytes:
    """The MD4 digest of ``data`` (RFC 1320), for NTLM hashes only: MD4 is broken otherwise."""
    message = bytearray(data)
    bit_length = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    message.append(0x80)
    message.extend(bytes((56 - len(message) % 64) % 64))
    message.extend(struct.pack("<Q", bit_length))
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(message), 64):
        x = struct.unpack_from("<16I", message, offset)
        aa, bb, cc, dd = a, b, c, d
        for i in range(16):  # round 1: F(b, c, d) = (b & c) | (~b & d)
            shift = (3, 7, 11, 19)[i % 4]
            value = a + ((b & c) | (~b & d)) + x[i]
            a, b, c, d = d, _rotate_left(value, shift), b, c
        for i in range(16):  # round 2: G(b, c, d) = majority, constant 0x5A827999
            index = (i % 4) * 4 + i // 4
            shift = (3, 5, 9, 13)[i % 4]
            value = a + ((b & c) | (b & d) | (c & d)) + x[index] + 0x5A827999
            a, b, c, d = d, _rotate_left(value, shift), b, c
        for i in range(16):  # round 3: H(b, c, d) = b ^ c ^ d, constant 0x6ED9EBA1
            index = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            shift = (3, 9, 11, 15)[i % 4]
            value = a + (b ^ c ^ d) + x[index] + 0x6ED9EBA1
            a, b, c, d = d, _rotate_left(value, shift), b, c
        a = (a + aa) & _MASK32
        b = (b + bb) & _MASK32
        c = (c + cc) & _MASK32
        d = (d + dd) & _MASK32
    return struct.pack("<4I", a, b, c, d)


# -- Parsing ----------------------------------------------------------------------------------

_HEX = b"0123456789ABCDEFabcdef"
_DIGITS = b"0123456789"
_CODE_HEX = "0123456789ABCDEF"


def _shown(value: bytes) -> str:
    text = value[:48].decode("ascii", "backslashreplace")
    return repr(text + ("..." if len(value) > 48 else ""))


def check_line(
    line: bytes, hex_digits: int, prefix: str | None, file: str
) -> tuple[str, int] | str:
    """Parse one line (without its line ending) into (uppercase full hash, count), or say what is
    wrong with it. ``prefix`` is the file's prefix for a per-prefix file."""
    if not line:
        return "empty line"
    hash_part, colon, count_part = line.partition(b":")
    if not colon:
        return f"no count: expected HASH:COUNT, found {_shown(line)}"
    if not hash_part or hash_part.translate(None, _HEX):
        return f"hash is not hexadecimal: {_shown(hash_part)}"
    length = len(hash_part)
    if prefix is None:
        if length != hex_digits:
            return f"hash has {length} hex digits, expected {hex_digits}"
        full = hash_part.decode().upper()
    elif length == hex_digits - 5:
        full = prefix + hash_part.decode().upper()
    elif length == hex_digits:
        full = hash_part.decode().upper()
        if full[:5] != prefix:
            name = file.rsplit("/", 1)[-1]
            return f"hash prefix {full[:5]} does not match the file name {name}"
    else:
        return (
            f"hash has {length} hex digits, expected {hex_digits - 5} (the suffix) "
            f"or {hex_digits} (the whole hash)"
        )
    if not count_part:
        return "no count after the colon"
    if count_part.translate(None, _DIGITS):
        return f"count {_shown(count_part)} is not a positive integer"
    if len(count_part.lstrip(b"0")) > 10:
        return f"count {_shown(count_part)} is larger than {MAX_COUNT}"
    count = int(count_part)
    if count == 0:
        return "count 0 is not a positive integer"
    if count > MAX_COUNT:
        return f"count {count} is larger than {MAX_COUNT}"
    return full, count


def parse_chunk(chunk: Chunk, context: EncodeContext) -> tuple[list[str], list[int]]:
    """The valid lines of a chunk as (hashes, counts); malformed lines go to the problem log."""
    state = context.state
    problems = context.problems
    hex_digits = context.layout.hash_bits // 4
    hashes: list[str] = []
    counts: list[int] = []
    last_key, last_line = state.last_key, state.last_line
    for segment in chunk.segments:
        lines = chunk.data[segment.start : segment.end].split(b"\n")
        lines.pop()  # the empty string after the final newline
        number = segment.first_line - 1
        if segment.prefix is not None:
            last_line = 0  # a new file: its first line is compared with the last file's hashes
        for raw in lines:
            number += 1
            line = raw[:-1] if raw.endswith(b"\r") else raw
            parsed = check_line(line, hex_digits, segment.prefix, segment.name)
            if isinstance(parsed, str):
                problems.report(segment.name, number, parsed)
                continue
            key, count = parsed
            if key <= last_key:
                if key == last_key:
                    problems.report(
                        segment.name, number, f"duplicate of the hash on line {last_line}"
                    )
                else:
                    problems.report(
                        segment.name,
                        number,
                        f"not in ascending order: sorts before the hash on line {last_line}"
                        if last_line
                        else "not in ascending order: sorts before the previous file's hashes",
                    )
                continue
            hashes.append(key)
            counts.append(count)
            last_key, last_line = key, number
    state.last_key, state.last_line = last_key, last_line
    return hashes, counts


# -- Encoding ---------------------------------------------------------------------------------


def little_endian(values: array[int]) -> bytes:
    """The array's bytes in little-endian order, the byte order of every index field."""
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def encode(hashes: list[str], counts: list[int], context: EncodeContext) -> None:
    """Append the records, bitmap bits, directory entries and escapes for sorted valid hashes."""
    layout = context.layout
    state = context.state
    sinks = context.sinks
    key_digits = layout.key_bits // 4
    high_digits = layout.high_bits // 4
    sub_bits = layout.sub_bucket_bits
    state.hash_count += len(hashes)

    keys: list[str] = []
    codes: list[int] = []
    escapes: list[int] = []
    if layout.format == "compact":
        for full, count in zip(hashes, counts, strict=True):
            key = full[:key_digits]
            code = count_code(count, "compact")
            if keys and keys[-1] == key:  # fingerprints collide: keep the larger count class
                codes[-1] = max(codes[-1], code)
                continue
            keys.append(key)
            codes.append(code)
    else:
        keys = hashes
        for count in counts:
            code = count_code(count, "exact")
            codes.append(code)
            if code == 0:
                escapes.append(count)

    sinks.records.write(
        bytes.fromhex(
            "".join(
                key[high_digits:key_digits] + _CODE_HEX[code]
                for key, code in zip(keys, codes, strict=True)
            )
        )
    )

    directory = array("Q")
    escape_directory = array("Q")
    positions: list[int] = []
    record = state.record_count
    escape = state.escape_count
    next_bucket = state.next_bucket
    for key, code in zip(keys, codes, strict=True):
        high = int(key[:high_digits], 16)
        bucket = high >> sub_bits
        if bucket >= next_bucket:
            gap = bucket + 1 - next_bucket
            directory.extend([record] * gap)
            escape_directory.extend([escape] * gap)
            next_bucket = bucket + 1
        if sub_bits:
            positions.append(record + high)
        record += 1
        if code == 0 and layout.format == "exact":
            escape += 1
    state.record_count = record
    state.escape_count = escape
    state.next_bucket = next_bucket
    if sinks.bitmap is not None:
        sinks.bitmap.set_bits(positions)
    sinks.directory.write(little_endian(directory))
    if layout.format == "exact":
        sinks.escape_directory.write(little_endian(escape_directory))
        sinks.escapes.write(little_endian(array("I", escapes)))


def finish_directories(context: EncodeContext) -> None:
    """Write the directory entries of the trailing empty buckets and the final total."""
    state = context.state
    gap = BUCKET_COUNT + 1 - state.next_bucket
    context.sinks.directory.write(little_endian(array("Q", [state.record_count] * gap)))
    if context.layout.format == "exact":
        context.sinks.escape_directory.write(little_endian(array("Q", [state.escape_count] * gap)))
    state.next_bucket = BUCKET_COUNT + 1


class ReferenceEngine(Engine):
    name = "python"

    def process(self, chunk: Chunk, context: EncodeContext) -> None:
        hashes, counts = parse_chunk(chunk, context)
        encode(hashes, counts, context)


assert PREFIX_BITS == 20  # the five-hex-digit prefix arithmetic above depends on it
