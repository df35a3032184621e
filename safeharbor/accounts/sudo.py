"""Sudo mode: sensitive actions ask for the password (and a second factor) again."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

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
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:sudo')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper
