"""Fixtures of the disclosure tests: a program with scope, reports in known states."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safeharbor.core.testing.cast import Member
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Asset, Report, Severity
from safeharbor.disclosure.severity import resolve_severity
from safeharbor.disclosure.taxonomy import load_cwe_catalog
from safeharbor.disclosure.transitions import Actor

VRT_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "vrt"


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def triager(cast: dict[str, Member]) -> Member:
    return cast["triager"]


@pytest.fixture
def other_researcher(cast: dict[str, Member]) -> Member:
    return cast["other_researcher"]


@pytest.fixture
def asset(db: None) -> Asset:
    return Asset.objects.create(
        asset_type="domain", identifier="app.example.org", tier=1, max_severity=Severity.HIGH
    )


@pytest.fixture
def weaknesses(db: None) -> None:
    load_cwe_catalog()


@pytest.fixture
def make_report(asset: Asset) -> Callable[..., Report]:
    def factory(researcher: Member, *, title: str = "Stored XSS in profile name", **extra: Any):
        draft = extra.pop("draft", False)
        vector = extra.pop("cvss_vector", "")
        data = services.ReportInput(
            title=title,
            description=extra.pop("description", "The name field is rendered without escaping."),
            asset=extra.pop("asset", asset),
            severity=resolve_severity(vector, extra.pop("severity", "medium")),
            **extra,
        )
        assert researcher.user is not None
        return services.submit_report(researcher.user, data, draft=draft)

    return factory


@pytest.fixture
def move() -> Callable[..., Report]:
    """Move a report as the security team (for setting up a state)."""

    def mover(report: Report, *states: str, duplicate_of: Report | None = None) -> Report:
        for state in states:
            report = services.change_state(
                report, state, actor=None, by=Actor.TEAM, duplicate_of=duplicate_of
            )
        return report

    return mover
