"""The JSON API root at /api/v1/: routers of each app, API-key auth, RFC 9457 errors."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from safeharbor.accounts.api import router as accounts_router
from safeharbor.core.api import router as core_router
from safeharbor.core.problems import PROBLEM_CONTENT_TYPE, Problem, problem_document
from safeharbor.disclosure.api import router as disclosure_router
from safeharbor.hashmatch.api import router as hashmatch_router
from safeharbor.moderation.api import router as moderation_router
from safeharbor.passwords.api import router as passwords_router
from safeharbor.safety.api import router as safety_router
from safeharbor.safety.interventions.api import router as interventions_router

logger = logging.getLogger("safeharbor.api")

api = NinjaAPI(
    title="Safeharbor API",
    version="1",
    description=(
        "The JSON API of Safeharbor for the platform's own services. Authenticate with an API key "
        "(`Authorization: Bearer shk_...`). Errors are RFC 9457 problem documents "
        "(`application/problem+json`) with a stable `type`. Lists use cursor pagination: "
        "`?limit=&cursor=` returns `{items, next_cursor}`."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=JSONRenderer(),
)


def _problem(request: HttpRequest, code: str, detail: str = "", **extensions: Any) -> HttpResponse:
    document = problem_document(code, detail, request.path, **extensions)
    response = api.create_response(request, document, status=document["status"])
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


@api.exception_handler(Problem)
def _on_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return _problem(request, exc.problem_type.code, exc.detail, **exc.extensions)


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _problem(request, "unauthenticated", "The API key is missing, unknown or revoked.")
    response["WWW-Authenticate"] = 'Bearer realm="safeharbor"'
    return response


@api.exception_handler(ValidationError)
def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": list(error.get("loc", [])),
            "msg": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors
    ]
    fields = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors)
    return _problem(request, "validation-error", f"Invalid fields: {fields}.", errors=errors)


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _problem(request, "not-found")


_STATUS_CODES = {
    400: "malformed-request",
    401: "unauthenticated",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    429: "rate-limited",
}


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = _STATUS_CODES.get(exc.status_code, "server-error")
    return _problem(request, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _problem(
        request,
        "payload-too-large",
        f"The request body is larger than the API accepts ({limit:,} bytes).",
        max_length=limit,
    )


@api.exception_handler(Exception)
def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return _problem(request, "server-error")


api.add_router("", accounts_router)
api.add_router("", core_router)
api.add_router("", passwords_router)
api.add_router("", safety_router)
api.add_router("", interventions_router)
api.add_router("", moderation_router)
api.add_router("", disclosure_router)
api.add_router("", hashmatch_router)
