"""Loaded by pytest before Django (``-p safeharbor.core.testing.environment``): selects the test
profile unless the caller chose one, so a bare ``pytest`` works."""

import os

os.environ.setdefault("SAFEHARBOR_ENV", "test")
