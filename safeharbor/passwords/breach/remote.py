"""Breach counts from a remote range API compatible with Have I Been Pwned's Pwned Passwords, for
installations without a local index.

Only the first five hexadecimal characters of the password's SHA-1 leave the machine
(k-anonymity); the answer lists every breached suffix under that prefix, and the match is made
here. ``Add-Padding: true`` asks the server to pad the answer with zero-count rows so that its size
does not reveal the prefix either; those rows are dropped. Answers are cached per process by
prefix, never by password or full hash.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings

from safeharbor.core.http_client import OutboundError, fetch

logger = logging.getLogger(__name__)

PREFIX_LENGTH = 5
MAX_RANGE_BYTES = 1024 * 1024  # a real answer is about 40 kB, padded
_ROW = re.compile(rb"([0-9A-Fa-f]{35}):([0-9]{1,12})")

# Indirection so tests can move the cache's clock.
_clock = time.monotonic


class BreachCheckUnavailable(Exception):
    """The range service could not be used and the installation is configured to fail closed."""


class MalformedRange(ValueError):
    """The answer is not a list of ``SUFFIX:COUNT`` lines."""


@dataclass(frozen=True)
class Range:
    """The breached suffixes under one prefix, packed as ``\\nSUFFIX:COUNT`` rows in one bytes
    object: about four times smaller than a dict, and a lookup is one ``find``."""

    rows: bytes

    def count(self, suffix: str) -> int:
        key = b"\n" + suffix.upper().encode("ascii") + b":"
        start = self.rows.find(key)
        if start < 0:
            return 0
        start += len(key)
        end = self.rows.find(b"\n", start)
        return int(self.rows[start : end if end >= 0 else None])


def parse_range(body: bytes) -> Range:
    """Read a range answer. Zero-count (padding) rows are dropped; a suffix listed twice keeps its
    highest count. Any malformed line makes the whole answer untrusted: a line we cannot read may
    be the one that lists the password, and "not breached" must never be a guess."""
    counts: dict[bytes, int] = {}
    for number, raw_line in enumerate(body.split(b"\n"), start=1):
        line = raw_line.strip()
        if not line:
            continue
        match = _ROW.fullmatch(line)
        if match is None:
            raise MalformedRange(f"line {number} is not SUFFIX:COUNT")
        count = int(match[2])
        if count:
            suffix = match[1].upper()
            counts[suffix] = max(count, counts.get(suffix, 0))
    return Range(b"".join(b"\n%s:%d" % (suffix, count) for suffix, count in counts.items()))


class _RangeCache:
    """Least-recently-used, bounded in entries and in age; safe to share between threads."""

    def __init__(self, max_entries: int, max_age: float) -> None:
        self._max_entries = max_entries
        self._max_age = max_age
        self._entries: OrderedDict[str, tuple[float, Range]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, prefix: str) -> Range | None:
        with self._lock:
            entry = self._entries.get(prefix)
            if entry is None:
                return None
            stored_at, found = entry
            if _clock() - stored_at >= self._max_age:
                del self._entries[prefix]
                return None
            self._entries.move_to_end(prefix)
            return found

    def put(self, prefix: str, found: Range) -> None:
        if self._max_entries <= 0 or self._max_age <= 0:
            return
        with self._lock:
            self._entries[prefix] = (_clock(), found)
            self._entries.move_to_end(prefix)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


class RemoteRangeChecker:
    """Counts a password's appearances through a remote range API (``GET {base}/range/{prefix}``).

    Keep one instance per process (``configured_remote_checker`` does): the cache lives in it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 3.0,
        fail_closed: bool = False,
        cache_seconds: int = 3600,
        cache_entries: int = 256,
        allow_private: bool | None = None,
    ) -> None:
        base_url = base_url.strip().rstrip("/")
        if not base_url.lower().startswith(("http://", "https://")):
            raise ValueError(
                "The range API address must start with http:// or https://, "
                "e.g. https://api.pwnedpasswords.com."
            )
        self.base_url = base_url
        self.timeout = timeout
        self.fail_closed = fail_closed
        self.allow_private = allow_private
        self._cache = _RangeCache(cache_entries, cache_seconds)

    def count(self, password: str) -> int | None:
        """How often the password appears in breaches, 0 if never. When the service cannot be used:
        None (fail open), or ``BreachCheckUnavailable`` if the checker fails closed."""
        digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
        prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
        found = self._cache.get(prefix)
        if found is None:
            found = self._fetch_range(prefix)
            if found is None:
                return None
            self._cache.put(prefix, found)
        return found.count(suffix)

    def _fetch_range(self, prefix: str) -> Range | None:
        try:
            response = fetch(
                "GET",
                f"{self.base_url}/range/{prefix}",
                headers={"Add-Padding": "true", "Accept": "text/plain"},
                timeout=self.timeout,
                total_timeout=self.timeout,  # a person is waiting: retries share the one budget
                retries=1,
                allow_private=self.allow_private,
                max_bytes=MAX_RANGE_BYTES,
            )
        except OutboundError as error:
            self._unavailable(str(error))
            return None
        if response.status != 200:
            self._unavailable(f"the service answered {response.status}")
            return None
        try:
            return parse_range(response.body)
        except MalformedRange as error:
            self._unavailable(f"the answer is malformed: {error}")
            return None

    def _unavailable(self, reason: str) -> None:
        # The reason names the host at most; never the prefix, which narrows down the password.
        if self.fail_closed:
            logger.error("breached-password range service unavailable (failing closed): %s", reason)
            raise BreachCheckUnavailable(
                "The breached-password check is unavailable; try again in a few minutes."
            )
        logger.warning("breached-password range service unavailable; check skipped: %s", reason)


_configured: dict[tuple[str, float, bool], RemoteRangeChecker] = {}
_configured_lock = threading.Lock()


def configured_remote_checker() -> RemoteRangeChecker | None:
    """The process's checker for ``SAFEHARBOR_PWNED_REMOTE_URL``, or None when that is ``off``."""
    url = str(getattr(settings, "SAFEHARBOR_PWNED_REMOTE_URL", "") or "").strip()
    if not url or url.lower() == "off":
        return None
    timeout = float(getattr(settings, "SAFEHARBOR_PWNED_REMOTE_TIMEOUT", 3))
    fail_closed = bool(getattr(settings, "SAFEHARBOR_PWNED_FAIL_CLOSED", False))
    key = (url, timeout, fail_closed)
    with _configured_lock:
        checker = _configured.get(key)
        if checker is None:
            checker = RemoteRangeChecker(url, timeout=timeout, fail_closed=fail_closed)
            _configured[key] = checker
        return checker
