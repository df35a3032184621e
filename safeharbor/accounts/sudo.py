"""Sudo mode: sensitive actions ask for the password (and a second factor) again."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "safeharbor_sudo_until"


def has_sudo(request: HttpRequest) -> bool:
    return float(request.session.get(SESSION_KEY, 0)) > time.time()


def grant_sudo(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = time.time() + settings.SAFEHARBOR_SUDO_MINUTES * 60


def sudo_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send the user to confirm their identity first, then back to this page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_sudo(request):
            query = urlencode({"next": _return_path(request)})
            return HttpResponseRedirect(f"{reverse('accounts:sudo')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


def _return_path(request: HttpRequest) -> str:
    """Where to go once confirmed: this page, or for a posted form the page that showed it,
    since a redirect cannot repeat a POST (it would end on "method not allowed")."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("core:dashboard")
