"""Reading the output of HIBP's PwnedPasswordsDownloader, in either of its two layouts.

A source yields chunks: runs of complete lines that always end on a bucket (five-hex-digit prefix)
boundary, so a chunk never splits a bucket, and a build can stop after any chunk and resume at its
``resume_at`` position.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .formats import BUCKET_COUNT
from .problems import BuildError

# A bucket larger than this (impossible in a real corpus: ~2,000 lines at 2 billion hashes) is cut
# anyway, so that memory stays bounded on a pathological input.
_LARGEST_BUFFER = 64 << 20
_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")
SAMPLE_BUCKETS = 256  # prefixes 00000-000FF: 1/4096 of the corpus, used to estimate its size


class Segment(NamedTuple):
    """Lines of one input file inside a chunk (a tuple: a chunk may hold thousands)."""

    name: str  # the file, as shown in messages
    prefix: str | None  # five uppercase hex digits for a per-prefix file, None for a single file
    first_line: int  # line number of the segment's first line, from 1
    start: int  # byte range in Chunk.data
    end: int


@dataclass(frozen=True)
class Chunk:
    data: bytes  # complete lines, each ending with b"\n"
    segments: list[Segment]
    resume_at: dict[str, int]  # source position just after this chunk
    fraction: float  # share of the source read so far, 0..1


class Source:
    path: Path

    def identity(self) -> dict[str, object]:
        raise NotImplementedError

    def sample_lines(self) -> int:
        """Lines in the prefixes 00000-000FF (the same number for either layout of a corpus)."""
        raise NotImplementedError

    def chunks(self, position: dict[str, int] | None) -> Iterator[Chunk]:
        raise NotImplementedError

    def missing_prefix_files(self) -> int:
        return 0


def open_source(path: str | os.PathLike[str], chunk_bytes: int = 1 << 20) -> Source:
    source = Path(path)
    if source.is_dir():
        return PrefixDirectorySource(source, chunk_bytes)
    if source.is_file():
        return SingleFileSource(source, chunk_bytes)
    raise BuildError(f"{source}: no such file or directory")


class SingleFileSource(Source):
    """One sorted text file of ``HASH:COUNT`` lines."""

    def __init__(self, path: Path, chunk_bytes: int) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        stat = path.stat()
        self.size = stat.st_size
        self.mtime_ns = stat.st_mtime_ns

    def identity(self) -> dict[str, object]:
        return {
            "kind": "file",
            "path": str(self.path.resolve()),
            "size": self.size,
            "mtime_ns": self.mtime_ns,
        }

    def sample_lines(self) -> int:
        count = 0
        carry = b""
        with self.path.open("rb") as handle:
            while block := handle.read(self.chunk_bytes):
                lines = (carry + block).split(b"\n")
                carry = lines.pop()
                for line in lines:
                    if line[:5].upper() >= b"00100":
                        return count
                    count += 1
        return count + (1 if carry and carry[:5].upper() < b"00100" else 0)

    def chunks(self, position: dict[str, int] | None) -> Iterator[Chunk]:
        offset = position["offset"] if position else 0
        line = position["line"] if position else 0
        name = str(self.path)
        size = max(self.size, 1)
        buffer = b""
        eof = False
        with self.path.open("rb") as handle:
            handle.seek(offset)
            while True:
                if not eof:
                    block = handle.read(self.chunk_bytes)
                    eof = not block
                    buffer += block
                if eof:
                    if buffer:
                        data = buffer if buffer.endswith(b"\n") else buffer + b"\n"
                        offset += len(buffer)
                        yield self._chunk(name, data, line, offset, 1.0)
                    return
                cut = self._bucket_cut(buffer)
                if cut <= 0:
                    continue
                data, buffer = buffer[:cut], buffer[cut:]
                offset += cut
                yield self._chunk(name, data, line, offset, offset / size)
                line += data.count(b"\n")

    @staticmethod
    def _bucket_cut(buffer: bytes) -> int:
        """Where to cut so the chunk ends on a bucket boundary: the start of the first line sharing
        the prefix of the last complete line (0 if the whole buffer is that bucket so far)."""
        last_newline = buffer.rfind(b"\n")
        if last_newline < 0:
            return 0
        last_start = buffer.rfind(b"\n", 0, last_newline) + 1
        if len(buffer) > _LARGEST_BUFFER:
            return last_newline + 1
        prefix = buffer[last_start : last_start + 5]
        if last_start == 0 or buffer.startswith(prefix):
            return 0
        return buffer.find(b"\n" + prefix) + 1

    @staticmethod
    def _chunk(name: str, data: bytes, line: int, offset: int, fraction: float) -> Chunk:
        segment = Segment(name=name, prefix=None, first_line=line + 1, start=0, end=len(data))
        return Chunk(
            data, [segment], {"offset": offset, "line": line + data.count(b"\n")}, fraction
        )


class PrefixDirectorySource(Source):
    """A directory of per-prefix files ``XXXXX.txt`` holding ``SUFFIX:COUNT`` lines."""

    def __init__(self, path: Path, chunk_bytes: int) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.names: dict[int, str] = {}
        for name in os.listdir(path):
            if len(name) != 9 or not name.endswith(".txt") or not _HEX_DIGITS.issuperset(name[:5]):
                continue
            prefix = int(name[:5], 16)
            if prefix in self.names:
                raise BuildError(
                    f"{path}: two files for the prefix {prefix:05X}: "
                    f"{self.names[prefix]} and {name}; keep one"
                )
            self.names[prefix] = name
        self.prefixes = sorted(self.names)
        if not self.prefixes:
            raise BuildError(f"{path}: no per-prefix files (XXXXX.txt) in this directory")

    def identity(self) -> dict[str, object]:
        return {"kind": "directory", "path": str(self.path.resolve()), "files": len(self.prefixes)}

    def missing_prefix_files(self) -> int:
        return BUCKET_COUNT - len(self.prefixes)

    def _read(self, prefix: int, directory: int) -> bytes:
        descriptor = os.open(self.names[prefix], os.O_RDONLY, dir_fd=directory)
        try:
            data = os.read(descriptor, 1 << 18)
            if len(data) == 1 << 18:  # larger than any real per-prefix file: read the rest
                parts = [data]
                while part := os.read(descriptor, 1 << 20):
                    parts.append(part)
                data = b"".join(parts)
        finally:
            os.close(descriptor)
        return data

    def sample_lines(self) -> int:
        count = 0
        directory = os.open(self.path, os.O_RDONLY)
        try:
            for prefix in self.prefixes:
                if prefix >= SAMPLE_BUCKETS:
                    break
                data = self._read(prefix, directory)
                count += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
        finally:
            os.close(directory)
        return count

    def chunks(self, position: dict[str, int] | None) -> Iterator[Chunk]:
        start_prefix = position["prefix"] if position else 0
        total = len(self.prefixes)
        index = next((i for i, p in enumerate(self.prefixes) if p >= start_prefix), total)
        parts: list[bytes] = []
        segments: list[Segment] = []
        size = 0
        shown = str(self.path)
        names = self.names
        prefixes = self.prefixes
        chunk_bytes = self.chunk_bytes
        directory = os.open(self.path, os.O_RDONLY)
        try:
            while index < total:
                prefix = prefixes[index]
                name = names[prefix]
                descriptor = os.open(name, os.O_RDONLY, dir_fd=directory)
                try:
                    data = os.read(descriptor, 1 << 18)
                finally:
                    os.close(descriptor)
                if len(data) == 1 << 18:  # larger than any real per-prefix file
                    data = self._read(prefix, directory)
                if data and data[-1] != 10:
                    data += b"\n"
                end = size + len(data)
                segments.append(Segment(f"{shown}/{name}", f"{prefix:05X}", 1, size, end))
                parts.append(data)
                size = end
                index += 1
                if size >= chunk_bytes or index == total:
                    resume = prefixes[index] if index < total else BUCKET_COUNT
                    yield Chunk(b"".join(parts), segments, {"prefix": resume}, index / total)
                    parts, segments, size = [], [], 0
        finally:
            os.close(directory)
