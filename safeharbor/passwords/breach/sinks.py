"""Where an encoder's output goes while a build runs, and the state a checkpoint must remember.

Each region of the index is appended to its own file in the build directory (the records go
straight into the final file, after room for the header); build.py joins them at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from .formats import Layout
from .problems import ProblemLog

if TYPE_CHECKING:
    from .sources import Chunk


class AppendFile:
    """A region file opened for appending, whose length is known for checkpoints."""

    def __init__(self, path: str | os.PathLike[str], length: int | None = None) -> None:
        # Closed by close(); "r+b" keeps what an interrupted build wrote before its checkpoint.
        self.handle: BinaryIO
        if length is None:
            self.handle = open(path, "w+b")  # noqa: SIM115
        else:
            self.handle = open(path, "r+b")  # noqa: SIM115
            self.handle.truncate(length)
            self.handle.seek(length)
        self.length = length or 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.handle.write(data)
        self.length += len(data)

    def sync(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


class BitmapWriter:
    """Appends the sub-bucket bitmap: bit k lives in byte k // 8 at bit k % 8 (least significant
    first). ``position`` counts the bits written; the last ``position % 8`` of them wait in
    ``carry`` until their byte is complete."""

    def __init__(self, file: AppendFile, position: int = 0, carry: int = 0) -> None:
        self.file = file
        self.position = position
        self.carry = carry

    def set_bits(self, positions: list[int]) -> None:
        """Write zeros up to each position and a one at it; positions are sorted and new."""
        if not positions:
            return
        end = positions[-1] + 1
        base = self.position >> 3
        buffer = bytearray(((end + 7) >> 3) - base)
        buffer[0] = self.carry
        for position in positions:
            buffer[(position >> 3) - base] |= 1 << (position & 7)
        self.emit(buffer, end, base)

    def emit(self, buffer: bytearray | bytes, end: int, base: int) -> None:
        complete = (end >> 3) - base
        self.file.write(memoryview(buffer)[:complete])
        self.carry = buffer[complete] if end & 7 else 0
        self.position = end

    def finish(self, total_bits: int) -> None:
        """Pad with zeros to ``total_bits`` and write the last partial byte."""
        if self.position & 7:
            self.file.write(bytes([self.carry]))
            self.position = (self.position | 7) + 1
            self.carry = 0
        remaining = (total_bits + 7) // 8 - (self.position >> 3)
        zeros = bytes(min(remaining, 16 << 20))
        while remaining > 0:
            piece = min(remaining, len(zeros))
            self.file.write(zeros[:piece])
            remaining -= piece
        self.position = max(self.position, total_bits)


@dataclass
class EncoderState:
    """Everything about the records written so far that the next chunk depends on."""

    hash_count: int = 0  # valid input lines
    record_count: int = 0  # records written (fewer than hash_count when compact merges)
    escape_count: int = 0
    next_bucket: int = 0  # directory entries are written for buckets below this one
    last_key: str = ""  # the last accepted hash, uppercase hex ("" before the first)
    last_line: int = 0  # its line number

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Sinks:
    records: AppendFile
    bitmap: BitmapWriter | None
    directory: AppendFile  # cumulative record counts per bucket, unsigned 64-bit
    escape_directory: AppendFile  # cumulative escape counts per bucket (exact), unsigned 64-bit
    escapes: AppendFile  # exact counts above 15, unsigned 32-bit
    bitmap_file: AppendFile  # the bitmap's file (empty without sub-buckets)

    def all_files(self) -> list[AppendFile]:
        return [self.records, self.directory, self.escape_directory, self.escapes, self.bitmap_file]


@dataclass
class EncodeContext:
    layout: Layout
    state: EncoderState
    sinks: Sinks
    problems: ProblemLog


class Engine:
    """Parses one chunk, reports its malformed lines and appends its records."""

    name = "abstract"

    def process(self, chunk: Chunk, context: EncodeContext) -> None:
        raise NotImplementedError
