"""Building an index file from HIBP's downloader output: streaming, resumable, atomic.

The build works in ``OUTPUT.build/``: the records go straight into ``index.partial`` after room
for the header, the other regions into their own files. After every few chunks (each ends on a
bucket boundary) the files are synced and ``checkpoint.json`` records their lengths and where the
source continues, so ``resume=True`` truncates anything written after the last checkpoint and goes
on from there, giving the same bytes as an uninterrupted build. At the end the regions are joined,
the header (with its checksums) is written last, and the file is renamed onto OUTPUT: a crash
never leaves a file at OUTPUT that looks like a valid index.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import operator
import os
import shutil
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .formats import (
    BUCKET_COUNT,
    DEFAULT_FINGERPRINT_BITS,
    HEADER_SIZE,
    MODES,
    Header,
    Layout,
    choose_sub_bucket_bits,
)
from .problems import BuildError, MalformedInputError, Problem, ProblemLog
from .reference import ReferenceEngine, finish_directories
from .sinks import AppendFile, BitmapWriter, EncodeContext, EncoderState, Engine, Sinks
from .sources import SAMPLE_BUCKETS, Source, open_source

CHECKPOINT_VERSION = 1
_REGION_FILES = {
    "bitmap": "bitmap.part",
    "directory": "directory.part",
    "escape_directory": "escape-directory.part",
    "escapes": "escapes.part",
}


@dataclass
class BuildReport:
    output: Path
    mode: str
    format: str
    hash_count: int
    record_count: int
    file_size: int
    fingerprint_bits: int
    sub_bucket_bits: int
    engine: str
    seconds: float  # this run only (a resumed build counts from the resume)
    hashes_this_run: int
    resumed: bool
    skipped: int
    problems: list[Problem] = field(default_factory=list)
    missing_prefix_files: int = 0

    @property
    def bytes_per_hash(self) -> float:
        return self.file_size / self.hash_count if self.hash_count else 0.0

    @property
    def hashes_per_second(self) -> float:
        return self.hashes_this_run / self.seconds if self.seconds else 0.0


class TextStream(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class ProgressLine:
    """A carriage-return progress line (hashes, rate, percent) on a terminal stream."""

    def __init__(self, stream: TextStream | None, label: str, interval: float = 0.5) -> None:
        self.stream = stream
        self.label = label
        self.interval = interval
        self.started = time.monotonic()
        self.shown = 0.0
        self.width = 0

    def update(self, hashes: int, fraction: float | None, *, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self.shown < self.interval:
            return
        self.shown = now
        rate = hashes / max(now - self.started, 1e-9)
        text = f"{self.label}: {hashes:,} hashes, {rate / 1e6:.2f}M hashes/s"
        if fraction is not None:
            text += f", {100 * fraction:.1f}%"
        self.stream.write("\r" + text.ljust(self.width))
        self.width = len(text)
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.width:
            self.stream.write("\n")
            self.stream.flush()


def pick_engine(name: str) -> Engine:
    """``python`` (the reference), ``numpy``, or ``auto``: numpy when it is installed."""
    if name == "python":
        return ReferenceEngine()
    try:
        from .vectorized import VectorizedEngine
    except ImportError:
        if name == "numpy":
            raise BuildError("the numpy engine needs numpy installed") from None
        return ReferenceEngine()
    if name not in ("numpy", "auto"):
        raise BuildError(f"unknown engine {name!r}: use auto, numpy or python")
    return VectorizedEngine()


def build_index(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    mode: str = "sha1",
    format: str = "exact",
    skip_bad: bool = False,
    resume: bool = False,
    fingerprint_bits: int | None = None,
    sub_bucket_bits: int | None = None,
    engine: str = "auto",
    progress: TextStream | None = None,
    chunk_bytes: int = 1 << 20,
    checkpoint_seconds: float = 30.0,
    keep_problems: int = 20,
    after_chunk: Callable[[int], None] | None = None,
) -> BuildReport:
    """Build an index at ``output`` from a downloader file or per-prefix directory.

    Raises BuildError (MalformedInputError for a bad line without ``skip_bad``). ``after_chunk``
    is called with the number of chunks done after each one, which lets a test interrupt a build.
    """
    if mode not in MODES:
        raise BuildError(f"unknown mode {mode!r}: use sha1 or ntlm")
    if format not in ("exact", "compact"):
        raise BuildError(f"unknown format {format!r}: use exact or compact")
    output = Path(output)
    if not output.parent.is_dir():
        raise BuildError(f"{output.parent}: the output directory does not exist")
    reader = open_source(source, chunk_bytes)
    chosen_engine = pick_engine(engine)
    workdir = Path(f"{output}.build")
    requested = {
        "mode": mode,
        "format": format,
        "fingerprint_bits": fingerprint_bits,
        "sub_bucket_bits": sub_bucket_bits,
        "skip_bad": skip_bad,
    }
    checkpoint: dict[str, Any] | None = None
    lock: int | None = None
    if workdir.exists():
        if not resume:
            raise BuildError(
                f"an interrupted build of {output} is in {workdir}: add --resume to continue it, "
                "or delete that directory to start again"
            )
        lock = _lock(workdir)
        checkpoint = _load_checkpoint(workdir)
    try:
        if checkpoint is not None:
            if checkpoint["source"] != reader.identity():
                raise BuildError(
                    f"cannot resume: {workdir} was building from a different or changed source "
                    f"({checkpoint['source']['path']}); delete it to start again"
                )
            if checkpoint["requested"] != requested:
                raise BuildError(
                    f"cannot resume: {workdir} was started with other options "
                    f"({_describe(checkpoint['requested'])}); use the same ones or delete it"
                )
            build = _Build.resume(workdir, checkpoint, keep_problems)
        else:
            if sub_bucket_bits is None:
                key_bits = MODES[mode]
                if format == "compact":
                    key_bits = fingerprint_bits or DEFAULT_FINGERPRINT_BITS
                estimate = reader.sample_lines() * (BUCKET_COUNT // SAMPLE_BUCKETS)
                sub_bucket_bits = choose_sub_bucket_bits(estimate, key_bits)
            try:
                layout = Layout.for_build(mode, format, fingerprint_bits, sub_bucket_bits)
            except ValueError as error:
                raise BuildError(str(error)) from None
            if lock is None:
                workdir.mkdir()
                lock = _lock(workdir)
            else:  # --resume with nothing to resume: start again in the same directory
                for leftover in workdir.iterdir():
                    if leftover.name != "lock":
                        leftover.unlink()
            build = _Build.start(workdir, layout, reader, requested, skip_bad, keep_problems)
    except BaseException:
        _unlock(lock)
        raise
    try:
        return build.run(reader, chosen_engine, output, progress, checkpoint_seconds, after_chunk)
    except MalformedInputError:
        build.close()
        shutil.rmtree(workdir, ignore_errors=True)  # the input must be fixed: nothing to resume
        raise
    except BaseException:
        build.close()  # keep the work directory: the last checkpoint can be resumed
        raise
    finally:
        _unlock(lock)


def _describe(options: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in options.items())


def _lock(workdir: Path) -> int:
    descriptor = os.open(workdir / "lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise BuildError(f"another build is using {workdir}") from None
    return descriptor


def _unlock(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)


def _load_checkpoint(workdir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((workdir / "checkpoint.json").read_text())
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise BuildError(f"{workdir}/checkpoint.json is unreadable ({error}); delete it") from None
    if data.get("version") != CHECKPOINT_VERSION:
        raise BuildError(f"{workdir} was written by another version; delete it to start again")
    return data


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _Build:
    def __init__(
        self,
        workdir: Path,
        context: EncodeContext,
        position: dict[str, int] | None,
        requested: dict[str, Any],
        source_identity: dict[str, object],
        resumed: bool,
    ) -> None:
        self.workdir = workdir
        self.context = context
        self.position = position
        self.requested = requested
        self.source_identity = source_identity
        self.resumed = resumed

    @classmethod
    def start(
        cls,
        workdir: Path,
        layout: Layout,
        reader: Source,
        requested: dict[str, Any],
        skip_bad: bool,
        keep: int,
    ) -> _Build:
        records = AppendFile(workdir / "index.partial")
        records.write(bytes(HEADER_SIZE))
        files = {name: AppendFile(workdir / filename) for name, filename in _REGION_FILES.items()}
        bitmap = BitmapWriter(files["bitmap"]) if layout.sub_bucket_bits else None
        sinks = Sinks(
            records,
            bitmap,
            files["directory"],
            files["escape_directory"],
            files["escapes"],
            files["bitmap"],
        )
        context = EncodeContext(layout, EncoderState(), sinks, ProblemLog(skip_bad, keep))
        build = cls(workdir, context, None, requested, reader.identity(), resumed=False)
        build.save_checkpoint()
        return build

    @classmethod
    def resume(cls, workdir: Path, checkpoint: dict[str, Any], keep: int) -> _Build:
        lengths = checkpoint["files"]
        layout = Layout(**checkpoint["layout"])
        records = AppendFile(workdir / "index.partial", lengths["records"])
        files = {
            name: AppendFile(workdir / filename, lengths[name])
            for name, filename in _REGION_FILES.items()
        }
        bitmap = None
        if layout.sub_bucket_bits:
            bitmap = BitmapWriter(
                files["bitmap"], checkpoint["bitmap"]["position"], checkpoint["bitmap"]["carry"]
            )
        sinks = Sinks(
            records,
            bitmap,
            files["directory"],
            files["escape_directory"],
            files["escapes"],
            files["bitmap"],
        )
        skip_bad = bool(checkpoint["requested"]["skip_bad"])
        context = EncodeContext(
            layout,
            EncoderState(**checkpoint["state"]),
            sinks,
            ProblemLog.from_json(checkpoint["problems"], skip_bad=skip_bad, keep=keep),
        )
        return cls(
            workdir,
            context,
            checkpoint["position"],
            checkpoint["requested"],
            checkpoint["source"],
            resumed=True,
        )

    def save_checkpoint(self) -> None:
        sinks = self.context.sinks
        for file in sinks.all_files():
            file.sync()
        layout = self.context.layout
        data = {
            "version": CHECKPOINT_VERSION,
            "source": self.source_identity,
            "requested": self.requested,
            "layout": {
                "mode": layout.mode,
                "format": layout.format,
                "key_bits": layout.key_bits,
                "sub_bucket_bits": layout.sub_bucket_bits,
            },
            "position": self.position,
            "state": self.context.state.to_json(),
            "problems": self.context.problems.to_json(),
            "files": {
                "records": sinks.records.length,
                "bitmap": sinks.bitmap_file.length,
                "directory": sinks.directory.length,
                "escape_directory": sinks.escape_directory.length,
                "escapes": sinks.escapes.length,
            },
            "bitmap": {
                "position": sinks.bitmap.position if sinks.bitmap else 0,
                "carry": sinks.bitmap.carry if sinks.bitmap else 0,
            },
        }
        temporary = self.workdir / "checkpoint.json.tmp"
        with temporary.open("w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.workdir / "checkpoint.json")
        _sync_directory(self.workdir)

    def close(self) -> None:
        for file in self.context.sinks.all_files():
            file.close()

    def run(
        self,
        reader: Source,
        engine: Engine,
        output: Path,
        progress: TextStream | None,
        checkpoint_seconds: float,
        after_chunk: Callable[[int], None] | None,
    ) -> BuildReport:
        context = self.context
        state = context.state
        started = time.monotonic()
        first_hashes = state.hash_count
        line = ProgressLine(progress, f"pwned build {output.name}")
        last_checkpoint = started
        chunks = 0
        try:
            for chunk in reader.chunks(self.position):
                engine.process(chunk, context)
                self.position = chunk.resume_at
                chunks += 1
                line.update(state.hash_count - first_hashes, chunk.fraction)
                if time.monotonic() - last_checkpoint >= checkpoint_seconds:
                    self.save_checkpoint()
                    last_checkpoint = time.monotonic()
                if after_chunk is not None:
                    after_chunk(chunks)
            line.update(state.hash_count - first_hashes, 1.0, force=True)
        finally:
            line.close()
        size = self.finish(output)
        return BuildReport(
            output=output,
            mode=context.layout.mode,
            format=context.layout.format,
            hash_count=state.hash_count,
            record_count=state.record_count,
            file_size=size,
            fingerprint_bits=context.layout.key_bits,
            sub_bucket_bits=context.layout.sub_bucket_bits,
            engine=engine.name,
            seconds=time.monotonic() - started,
            hashes_this_run=state.hash_count - first_hashes,
            resumed=self.resumed,
            skipped=context.problems.count,
            problems=list(context.problems.first),
            missing_prefix_files=reader.missing_prefix_files(),
        )

    def finish(self, output: Path) -> int:
        """Join the regions, write the header last, and rename the file onto ``output``."""
        context = self.context
        layout = context.layout
        state = context.state
        sinks = context.sinks
        finish_directories(context)
        if sinks.bitmap is not None:
            sinks.bitmap.finish(layout.bitmap_bits(state.record_count))
        for file in sinks.all_files():
            file.handle.flush()
        directory = _read_u64(sinks.directory)
        largest = max(map(operator.sub, directory[1:], directory), default=0)
        header = Header.plan(
            layout,
            hash_count=state.hash_count,
            record_count=state.record_count,
            escape_count=state.escape_count,
            largest_bucket=largest,
        )
        index = sinks.records.handle
        if sinks.records.length != header.bitmap_offset:
            raise BuildError("internal error: records region has an unexpected length")
        if sinks.bitmap is not None:
            _append(index, sinks.bitmap.file)
        index.write(_narrow(directory, header.directory_width))
        if layout.format == "exact":
            index.write(_narrow(_read_u64(sinks.escape_directory), header.directory_width))
            _append(index, sinks.escapes)
        index.flush()
        size = index.seek(0, os.SEEK_END)
        if size != header.file_size:
            raise BuildError(f"internal error: wrote {size} bytes, expected {header.file_size}")
        checksum = hashlib.blake2b(digest_size=32)
        index.seek(HEADER_SIZE)
        while block := index.read(16 << 20):
            checksum.update(block)
        header = Header.plan(
            layout,
            hash_count=state.hash_count,
            record_count=state.record_count,
            escape_count=state.escape_count,
            largest_bucket=largest,
            data_checksum=checksum.digest(),
        )
        index.seek(0)
        index.write(header.pack())
        index.flush()
        os.fsync(index.fileno())
        self.close()
        os.replace(self.workdir / "index.partial", output)
        _sync_directory(output.parent)
        shutil.rmtree(self.workdir)
        return size


def _read_u64(file: AppendFile) -> array[int]:
    file.handle.seek(0)
    values = array("Q")
    values.frombytes(file.handle.read())
    if sys.byteorder != "little":
        values.byteswap()
    return values


def _narrow(values: array[int], width: int) -> bytes:
    narrowed = array("I" if width == 4 else "Q", values)
    if sys.byteorder != "little":
        narrowed.byteswap()
    return narrowed.tobytes()


def _append(target: Any, file: AppendFile) -> None:
    file.handle.flush()
    file.handle.seek(0)
    shutil.copyfileobj(file.handle, target, 16 << 20)
