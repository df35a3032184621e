"""Fixtures shared by every app's tests: the cast (one user per role) and API clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from safeharbor.accounts.models import APIKey
from safeharbor.accounts.services import create_api_key, ensure_roles
from safeharbor.core.testing.cast import ALL_ROLES, Member, build_member


@pytest.fixture
def roles(db: None) -> None:
    ensure_roles()


@pytest.fixture
def cast(db: None) -> dict[str, Member]:
    return {name: build_member(name) for name in ALL_ROLES}


@pytest.fixture
def admin(cast: dict[str, Member]) -> Member:
    return cast["admin"]


@pytest.fixture
def researcher(cast: dict[str, Member]) -> Member:
    return cast["researcher"]


@pytest.fixture
def anon() -> Client:
    return Client()


class APIClient:
    """A test client that sends an API key and JSON."""

    def __init__(self, key: APIKey, raw_key: str) -> None:
        self.key = key
        self.raw_key = raw_key
        self.client = Client(headers={"Authorization": f"Bearer {raw_key}"})

    def get(self, path: str, **params: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, params)

    def post(self, path: str, payload: object = None, *, raw: bytes | None = None):  # type: ignore[no-untyped-def]
        import json

        body = raw if raw is not None else json.dumps(payload)
        return self.client.post(path, body, content_type="application/json")


@pytest.fixture
def make_api_client(db: None) -> Callable[..., APIClient]:
    def factory(*scopes: str, name: str | None = None) -> APIClient:
        key, raw = create_api_key(
            name=name or f"test-{'-'.join(scopes) or 'none'}-{APIKey.objects.count()}",
            scopes=list(scopes) or ["audit:read"],
            actor=None,
        )
        return APIClient(key, raw)

    return factory


@pytest.fixture
def api_client(make_api_client: Callable[..., APIClient]) -> APIClient:
    return make_api_client("audit:read")
