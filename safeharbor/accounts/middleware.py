"""No staff page (nor any page for a user who enrolled MFA) before the second factor is checked."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

MFA_SESSION_KEY = "safeharbor_mfa_verified"

# Paths a signed-in user may reach before passing MFA: the MFA pages themselves, sign-out,
# static files and health probes.
_EXEMPT_URL_NAMES = ("accounts:mfa_setup", "accounts:mfa_verify", "accounts:logout")


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not self._exempt(request.path)
            # A session that passed sign-in without a second factor is not enough once MFA is
            # required: a role granted or a device reset meanwhile must take effect at once.
            and (not request.session.get(MFA_SESSION_KEY) or not user.has_confirmed_mfa)
            and user.requires_mfa
        ):
            if request.path.startswith("/api/"):
                # The API authenticates with keys, never with a session.
                return self.get_response(request)
            target = "accounts:mfa_verify" if user.has_confirmed_mfa else "accounts:mfa_setup"
            return HttpResponseRedirect(reverse(target))
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        if path.startswith(settings.STATIC_URL) or path in ("/healthz", "/readyz"):
            return True
        return any(path == reverse(name) for name in _EXEMPT_URL_NAMES)
