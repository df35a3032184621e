"""The permission matrix: every role against one view or endpoint, in one assertion.

    assert_access(cast, "get", reverse("core:audit_list"), allowed={"admin"})

Roles in ``allowed`` must get ``allowed_status`` (200 by default); every other role must be
refused: anonymous visitors are sent to sign in (302 to the login page) and signed-in people who
may not see the page get 404 — never a 403 that would confirm the object exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.shortcuts import resolve_url

from safeharbor.core.testing.cast import ALL_ROLES, Member


def assert_access(
    cast: Mapping[str, Member],
    method: str,
    url: str,
    *,
    allowed: Iterable[str],
    allowed_status: int | Iterable[int] = 200,
    denied_status: int = 404,
    data: Any = None,
    roles: Iterable[str] = ALL_ROLES,
) -> None:
    allowed = set(allowed)
    unknown = allowed - set(ALL_ROLES)
    assert not unknown, f"unknown roles in matrix: {unknown}"
    ok_statuses = {allowed_status} if isinstance(allowed_status, int) else set(allowed_status)
    login_url = resolve_url(settings.LOGIN_URL)
    failures = []
    for role in roles:
        member = cast[role]
        response = (
            getattr(member.client, method)(url, data)
            if data is not None
            else getattr(member.client, method)(url)
        )
        status = response.status_code
        if role in allowed:
            if status not in ok_statuses:
                failures.append(f"{role}: expected {sorted(ok_statuses)}, got {status}")
        elif role == "anon":
            if not (
                status == 302 and response["Location"].startswith(login_url)
            ) and status not in (
                401,
                404,
            ):
                failures.append(f"anon: expected a redirect to sign in, 401 or 404, got {status}")
        elif status != denied_status:
            failures.append(f"{role}: expected {denied_status}, got {status}")
    assert not failures, f"{method.upper()} {url}:\n  " + "\n  ".join(failures)
