from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from safeharbor.accounts.api_auth import APIKeyAuth, api_key_of

router = Router(tags=["accounts"])


class KeyOut(Schema):
    name: str
    scopes: list[str]
    created_at: datetime


@router.get("/me", response=KeyOut, auth=APIKeyAuth(), summary="The API key making this request")
def who_am_i(request: HttpRequest) -> KeyOut:
    key = api_key_of(request)
    return KeyOut(name=key.name, scopes=key.scopes, created_at=key.created_at)
