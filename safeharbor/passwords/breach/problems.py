"""What can go wrong while building an index, reported with the file and line it happened on."""

from __future__ import annotations

from dataclasses import dataclass, field


class BuildError(Exception):
    """The build cannot go on; the message says what was wrong and what to do."""


@dataclass(frozen=True)
class Problem:
    """One malformed input line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class MalformedInputError(BuildError):
    """A malformed line, when the build was not told to skip them."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem} (add --skip-bad to skip malformed lines)")
        self.problem = problem


@dataclass
class ProblemLog:
    """Malformed lines seen so far: all of them counted, the first ``keep`` of them kept."""

    skip_bad: bool
    keep: int = 20
    count: int = 0
    first: list[Problem] = field(default_factory=list)

    def report(self, file: str, line: int, message: str) -> None:
        problem = Problem(file, line, message)
        if not self.skip_bad:
            raise MalformedInputError(problem)
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(problem)

    def to_json(self) -> dict[str, object]:
        return {"count": self.count, "first": [[p.file, p.line, p.message] for p in self.first]}

    @classmethod
    def from_json(cls, data: dict[str, object], *, skip_bad: bool, keep: int) -> ProblemLog:
        first = data["first"]
        assert isinstance(first, list)
        count = data["count"]
        assert isinstance(count, int)
        return cls(
            skip_bad=skip_bad,
            keep=keep,
            count=count,
            first=[Problem(str(f), int(n), str(m)) for f, n, m in first],
        )
