"""API-key authentication for django-ninja: ``Authorization: Bearer <key>`` (or ``X-API-Key``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security.base import AuthBase

from safeharbor.accounts.models import APIKey
from safeharbor.accounts.services import authenticate_api_key
from safeharbor.core.problems import Problem


class APIKeyAuth(AuthBase):
    """Authenticates the key, then demands ``scope`` when one is given."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, scope: str | None = None) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> APIKey | None:
        header = request.headers.get("Authorization", "")
        raw = ""
        if header.lower().startswith("bearer "):
            raw = header[7:].strip()
        elif request.headers.get("X-API-Key"):
            raw = request.headers["X-API-Key"].strip()
        if not raw or len(raw) > 200:
            return None
        key = authenticate_api_key(raw, request)
        if key is None:
            return None
        if self.scope and not key.has_scope(self.scope):
            raise Problem(
                "insufficient-scope",
                f"This operation needs the scope {self.scope!r}.",
                required_scope=self.scope,
            )
        return key


def api_key_of(request: Any) -> APIKey:
    return request.auth
