"""Rate limit of the public report form, per client address, in Django's cache.

10 reports per client address per 10-minute window. With the default in-process cache each web
worker counts on its own (so the effective limit is 10 x workers); configure a shared cache
(Redis) to make it exact across workers and machines.
"""

from __future__ import annotations

import ipaddress
import time

from django.core.cache import cache

PUBLIC_REPORTS_PER_WINDOW = 10
WINDOW_SECONDS = 600


def client_key(client_address: str) -> str:
    """What one client is: its IPv4 address, or the /64 network of an IPv6 address (one
    household or host gets a whole /64, so single IPv6 addresses are free to change)."""
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def take_public_report_slot(client_address: str) -> int:
    """Count one report from this client; 0 if allowed, else the seconds to wait."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"moderation:public-report:{client_key(client_address)}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count <= PUBLIC_REPORTS_PER_WINDOW:
        return 0
    return max(1, int((window + 1) * WINDOW_SECONDS - now))
