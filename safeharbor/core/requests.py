"""Facts about the incoming HTTP request that several apps need."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with SAFEHARBOR_TRUSTED_PROXY_COUNT=N the address
    that the N-th trusted proxy from the right put in X-Forwarded-For. Invalid values give ""."""
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = settings.SAFEHARBOR_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""
