"""An interrupted build resumes from its last checkpoint and ends byte-identical."""

from __future__ import annotations

import filecmp
from collections.abc import Callable
from pathlib import Path

import pytest

from safeharbor.passwords.breach.build import build_index
from safeharbor.passwords.breach.index import open_index
from safeharbor.passwords.breach.problems import BuildError
from safeharbor.passwords.breach.synthetic import (
    random_corpus,
    write_prefix_directory,
    write_single_file,
)


class Interrupted(Exception):
    pass


def _interrupt_after(chunks: int) -> Callable[[int], None]:
    def hook(done: int) -> None:
        if done == chunks:
            raise Interrupted

    return hook


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpus")
    corpus = random_corpus(5000, seed=41)
    # A malformed line, so the problem log must survive the interruption too.
    single = write_single_file(corpus, root / "pwned.txt")
    text = single.read_bytes().split(b"\r\n")
    text.insert(3000, b"garbage")
    single.write_bytes(b"\r\n".join(text))
    return {"file": single, "directory": write_prefix_directory(corpus, root / "pwned")}


@pytest.mark.parametrize("layout", ["file", "directory"])
@pytest.mark.parametrize("format", ["exact", "compact"])
@pytest.mark.parametrize(
    "checkpoint_seconds",
    [0.0, 1e9],  # after every chunk; only at the start (the resume redoes written chunks)
)
def test_resumed_build_is_byte_identical_to_an_uninterrupted_one(
    tmp_path: Path,
    sources: dict[str, Path],
    layout: str,
    format: str,
    checkpoint_seconds: float,
) -> None:
    options = {"format": format, "skip_bad": True, "sub_bucket_bits": 8, "chunk_bytes": 8192}
    whole = build_index(sources[layout], tmp_path / "whole.idx", **options)  # type: ignore[arg-type]
    output = tmp_path / "resumed.idx"
    with pytest.raises(Interrupted):
        build_index(
            sources[layout],
            output,
            checkpoint_seconds=checkpoint_seconds,
            after_chunk=_interrupt_after(7),
            **options,  # type: ignore[arg-type]
        )
    assert not output.exists()
    assert (tmp_path / "resumed.idx.build" / "checkpoint.json").exists()
    resumed = build_index(sources[layout], output, resume=True, **options)  # type: ignore[arg-type]
    assert resumed.resumed
    assert resumed.hash_count == whole.hash_count
    assert resumed.skipped == whole.skipped
    assert [str(p) for p in resumed.problems] == [str(p) for p in whole.problems]
    assert filecmp.cmp(tmp_path / "whole.idx", output, shallow=False)
    assert not (tmp_path / "resumed.idx.build").exists()


def test_a_build_can_be_interrupted_and_resumed_several_times(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    build_index(sources["directory"], tmp_path / "whole.idx", chunk_bytes=4096)
    output = tmp_path / "resumed.idx"
    for _ in range(3):
        with pytest.raises(Interrupted):
            build_index(
                sources["directory"],
                output,
                resume=True,
                chunk_bytes=4096,
                checkpoint_seconds=0.0,
                after_chunk=_interrupt_after(5),
            )
    build_index(sources["directory"], output, resume=True, chunk_bytes=4096)
    assert filecmp.cmp(tmp_path / "whole.idx", output, shallow=False)


def test_a_new_build_refuses_to_overwrite_an_interrupted_one(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    output = tmp_path / "out.idx"
    with pytest.raises(Interrupted):
        build_index(sources["directory"], output, chunk_bytes=4096, after_chunk=_interrupt_after(2))
    with pytest.raises(BuildError, match="add --resume to continue it"):
        build_index(sources["directory"], output)


def test_resume_refuses_other_options_or_another_source(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    output = tmp_path / "out.idx"
    with pytest.raises(Interrupted):
        build_index(sources["directory"], output, chunk_bytes=4096, after_chunk=_interrupt_after(2))
    with pytest.raises(BuildError, match="started with other options"):
        build_index(sources["directory"], output, resume=True, format="compact")
    with pytest.raises(BuildError, match="different or changed source"):
        build_index(sources["file"], output, resume=True, skip_bad=True)


def test_resume_with_nothing_to_resume_builds_from_the_start(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    report = build_index(sources["directory"], tmp_path / "out.idx", resume=True)
    assert not report.resumed
    with open_index(tmp_path / "out.idx") as index:
        assert index.hash_count == 5000


def test_an_existing_index_stays_valid_until_the_new_one_replaces_it(
    tmp_path: Path, sources: dict[str, Path]
) -> None:
    output = tmp_path / "out.idx"
    build_index(sources["directory"], output)
    before = output.read_bytes()
    with pytest.raises(Interrupted):
        build_index(
            sources["directory"],
            output,
            format="compact",
            chunk_bytes=4096,
            after_chunk=_interrupt_after(3),
        )
    assert output.read_bytes() == before
    with open_index(output) as index:
        assert index.format == "exact"
