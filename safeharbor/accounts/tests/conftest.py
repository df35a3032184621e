"""Fixtures of the accounts tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def clock(time_machine):
    """Time stands still until the test moves it with ``clock.shift(...)``."""
    time_machine.move_to(datetime.now(tz=UTC), tick=False)
    return time_machine
