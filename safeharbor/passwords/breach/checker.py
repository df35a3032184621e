"""Where breach counts come from: the local index named by SAFEHARBOR_PWNED_INDEX, opened once
per process through mmap. Without one, breach checks are skipped and say so."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings

_lock = threading.Lock()
_opened: dict[str, Any] = {}


def local_index(mode: str = "sha1") -> Any | None:
    """The configured index for ``mode`` (SAFEHARBOR_PWNED_INDEX for SHA-1,
    SAFEHARBOR_PWNED_NTLM_INDEX for NTLM), opened once per process."""
    setting = "SAFEHARBOR_PWNED_NTLM_INDEX" if mode == "ntlm" else "SAFEHARBOR_PWNED_INDEX"
    path = getattr(settings, setting, None)
    if not path:
        return None
    with _lock:
        index = _opened.get(path)
        if index is None:
            from safeharbor.passwords.breach.index import open_index

            index = open_index(Path(path))
            _opened[path] = index
    return index


def breach_counts_are_exact() -> bool:
    """False when counts come from a compact index, which keeps a power-of-two lower bound."""
    index = local_index()
    return index is None or index.format == "exact"


def breach_count(password: str) -> int | None:
    """How often the password appears in breaches: the local index when configured, else the remote
    range API. None when neither is configured or the remote one is unreachable and fails open;
    raises BreachCheckUnavailable when it fails closed."""
    index = local_index()
    if index is None:
        from safeharbor.passwords.breach.remote import configured_remote_checker

        remote = configured_remote_checker()
        return None if remote is None else remote.count(password)
    from safeharbor.passwords.breach.index import ntlm_digest, sha1_digest

    digest = sha1_digest(password) if index.mode == "sha1" else ntlm_digest(password)
    return int(index.count(digest))
