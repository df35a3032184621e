"""Security headers Django 5.2 does not set itself: a strict Content-Security-Policy (no inline
script or style anywhere), Permissions-Policy, and no caching of pages for signed-in people."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from safeharbor.core.problems import PROBLEM_CONTENT_TYPE, problem_document

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response


API_PREFIX = "/api/"
_API_STATUS_PROBLEMS = {404: "not-found", 405: "method-not-allowed"}


class APIProblemMiddleware:
    """Under /api/, answers that Django or django-ninja produce themselves (no such path, a method
    the path does not accept) become problem documents like every other API error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        code = _API_STATUS_PROBLEMS.get(response.status_code)
        if (
            code is None
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        detail = ""
        if code == "method-not-allowed":
            detail = f"{request.method} is not allowed here; allowed: {response.get('Allow', '')}."
        problem = JsonResponse(
            problem_document(code, detail, request.path), status=response.status_code
        )
        problem["Content-Type"] = PROBLEM_CONTENT_TYPE
        if response.has_header("Allow"):
            problem["Allow"] = response["Allow"]
        return problem
