"""The Have I Been Pwned compatible range API: ``GET /range/{5 hex}`` (``?mode=ntlm``).

Bodies are ``SUFFIX:COUNT`` lines, uppercase, joined by CRLF, exactly as api.pwnedpasswords.com and
its downloader's per-prefix files have them. ``Add-Padding: true`` adds rows with count 0 so the
response size does not reveal the prefix (clients drop them), as HIBP does.

``range_response`` is the one implementation of the endpoint's rules; the Django view
(``/range/`` in the app) and the standalone server (``safeharbor pwned serve``) both call it.
This module imports nothing from Django, so the standalone server starts without it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PREFIX_PATTERN = re.compile(r"[0-9A-Fa-f]{5}")
PADDED_ROWS_MIN = 800
PADDED_ROWS_MAX = 1000
SUFFIX_DIGITS = {"sha1": 35, "ntlm": 27}
RANGE_CACHE_SECONDS = 86_400
PLAIN = "text/plain; charset=utf-8"


def range_body(rows: list[tuple[str, int]]) -> bytes:
    return "\r\n".join(f"{suffix}:{count}" for suffix, count in rows).encode("ascii")


def padded_body(rows: list[tuple[str, int]], mode: str) -> bytes:
    """The rows plus zero-count rows of random suffixes, to a random total of 800 to 1,000 rows
    (never fewer than the real ones), sorted like the real ones so nothing sets them apart."""
    digits = SUFFIX_DIGITS[mode]
    target = PADDED_ROWS_MIN + secrets.randbelow(PADDED_ROWS_MAX - PADDED_ROWS_MIN + 1)
    present = {suffix for suffix, _ in rows}
    padding: set[str] = set()
    while len(rows) + len(padding) < target:
        candidate = secrets.token_hex((digits + 1) // 2).upper()[:digits]
        if candidate not in present:
            padding.add(candidate)
    return range_body(sorted([*rows, *((suffix, 0) for suffix in padding)]))


def etag_for(index: Any, prefix: str) -> str:
    """Changes whenever the index file does (its data checksum) and differs per prefix."""
    return f'"{index.header.data_checksum[:12].hex()}-{index.mode}-{prefix.upper()}"'


@dataclass
class RangeResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _plain(status: int, text: str) -> RangeResponse:
    return RangeResponse(
        status, [("Content-Type", PLAIN), ("Cache-Control", "no-store")], text.encode()
    )


def range_response(
    prefix: str,
    *,
    mode: str | None,
    add_padding: str | None,
    if_none_match: str | None,
    index_for: Callable[[str], Any | None],
) -> RangeResponse:
    """The answer to ``GET /range/{prefix}?mode=`` with the request's Add-Padding and
    If-None-Match headers, from the index ``index_for(mode)`` returns (None: not configured)."""
    mode = (mode or "sha1").lower()
    if mode not in SUFFIX_DIGITS:
        return _plain(400, "The mode must be sha1 (the default) or ntlm.")
    if not PREFIX_PATTERN.fullmatch(prefix):
        return _plain(
            400, "The hash prefix was not in a valid format: use 5 hexadecimal characters."
        )
    index = index_for(mode)
    if index is None:
        return _plain(404, f"No {mode.upper()} breached-password index is configured here.")
    if index.format != "exact":
        return _plain(404, "This installation has a compact index, which cannot list ranges.")
    headers = [("Vary", "Add-Padding"), ("Access-Control-Allow-Origin", "*")]
    if (add_padding or "").lower() == "true":
        body = padded_body(index.range(prefix.upper()), mode)
        # Random padding: never cached or served twice.
        headers += [("Content-Type", "text/plain"), ("Cache-Control", "no-store")]
        return RangeResponse(200, headers, body)
    etag = etag_for(index, prefix)
    headers += [("Cache-Control", f"public, max-age={RANGE_CACHE_SECONDS}"), ("ETag", etag)]
    if if_none_match == etag:
        return RangeResponse(304, headers, b"")
    headers.append(("Content-Type", "text/plain"))
    return RangeResponse(200, headers, index.range_body(prefix.upper()))
