from collections.abc import Iterator

import pytest

from safeharbor.safety.services import forget_cached_directory


@pytest.fixture(autouse=True)
def _fresh_directory_cache() -> Iterator[None]:
    """Tests roll their rows back (and SQLite reuses ids), so no cached helplines outlive one."""
    forget_cached_directory()
    yield
    forget_cached_directory()
