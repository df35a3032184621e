"""Synthetic Pwned Passwords corpora for tests and benchmarks, written in the downloader's layouts.

Counts follow a discrete Pareto law, P(count >= k) = k ** -alpha: with alpha = 1.2 about 94% of
counts are 1-10, the mean is about 5.4, and a 100-million-hash corpus reaches counts in the
millions to tens of millions, the shape of the real corpus's heavy tail.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from pathlib import Path

from .formats import MODES

DEFAULT_ALPHA = 1.2
DEFAULT_LARGEST_COUNT = 50_000_000


def heavy_tailed_count(
    rng: random.Random, alpha: float = DEFAULT_ALPHA, largest: int = DEFAULT_LARGEST_COUNT
) -> int:
    return min(largest, int((1.0 - rng.random()) ** (-1.0 / alpha)))


def random_corpus(
    hashes: int, mode: str = "sha1", seed: int = 0, alpha: float = DEFAULT_ALPHA
) -> list[tuple[bytes, int]]:
    """``hashes`` distinct random digests, sorted, each with a heavy-tailed count."""
    rng = random.Random(seed)  # noqa: S311 (test data, reproducible by seed)
    size = MODES[mode] // 8
    digests: set[bytes] = set()
    while len(digests) < hashes:
        digests.add(rng.randbytes(size))
    return [(digest, heavy_tailed_count(rng, alpha)) for digest in sorted(digests)]


def corpus_lines(corpus: Iterable[tuple[bytes, int]]) -> Iterable[str]:
    for digest, count in corpus:
        yield f"{digest.hex().upper()}:{count}"


def write_single_file(
    corpus: Iterable[tuple[bytes, int]], path: str | os.PathLike[str], line_ending: str = "\r\n"
) -> Path:
    """The downloader's single-file output: ``HASH:COUNT`` lines, sorted."""
    path = Path(path)
    with path.open("w", newline="") as handle:
        for line in corpus_lines(corpus):
            handle.write(line + line_ending)
    return path


def write_prefix_directory(
    corpus: Iterable[tuple[bytes, int]],
    directory: str | os.PathLike[str],
    line_ending: str = "\r\n",
    empty_files: Iterable[int] = (),
) -> Path:
    """The downloader's per-prefix output: ``XXXXX.txt`` files of ``SUFFIX:COUNT`` lines.
    Only prefixes with hashes get a file, plus an empty file for each of ``empty_files``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[str]] = {f"{prefix:05X}": [] for prefix in empty_files}
    for line in corpus_lines(corpus):
        groups.setdefault(line[:5], []).append(line[5:])
    for prefix, lines in groups.items():
        text = "".join(line + line_ending for line in lines)
        (directory / f"{prefix}.txt").write_text(text, newline="")
    return directory
