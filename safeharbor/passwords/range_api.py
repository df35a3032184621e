"""The Have I Been Pwned compatible range API: ``GET /range/{5 hex}`` (``?mode=ntlm``).

Bodies are ``SUFFIX:COUNT`` lines, uppercase, joined by CRLF, exactly as api.pwnedpasswords.com and
its downloader's per-prefix files have them. ``Add-Padding: true`` adds rows with count 0 so the
response size does not reveal the prefix (clients drop them), as HIBP does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

PREFIX_PATTERN = re.compile(r"[0-9A-Fa-f]{5}")
PADDED_ROWS_MIN = 800
PADDED_ROWS_MAX = 1000
SUFFIX_DIGITS = {"sha1": 35, "ntlm": 27}


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


def etag_for(index: Any, prefix: str, body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
