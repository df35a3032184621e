"""RFC 9457 problem details for the JSON API.

Every error the API returns has a stable ``type`` (a relative URI under /api/v1/problems/) that
clients may switch on; ``title`` is the same for every occurrence; ``detail`` explains this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/problems/"


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.code


PROBLEM_TYPES = {
    problem.code: problem
    for problem in [
        ProblemType(
            "malformed-request",
            400,
            "The request body is not valid JSON.",
            "Send a JSON document with Content-Type: application/json.",
        ),
        ProblemType(
            "invalid-parameter",
            400,
            "A parameter has an invalid value.",
            "A query or path parameter could not be used; 'detail' names it.",
        ),
        ProblemType(
            "unauthenticated",
            401,
            "An API key is required.",
            "Send 'Authorization: Bearer <key>' with an active API key. Keys that are "
            "revoked, unknown or malformed are refused the same way.",
        ),
        ProblemType(
            "insufficient-scope",
            403,
            "The API key lacks the scope this operation needs.",
            "An administrator can create a key with the scope named in 'required_scope'.",
        ),
        ProblemType(
            "not-found",
            404,
            "No such resource.",
            "The resource does not exist, or this key may not see it.",
        ),
        ProblemType(
            "method-not-allowed",
            405,
            "This method is not allowed here.",
            "See the OpenAPI document for the methods each path accepts.",
        ),
        ProblemType(
            "conflict",
            409,
            "The request conflicts with the current state.",
            "'detail' says what conflicts.",
        ),
        ProblemType(
            "appeal-window-closed",
            409,
            "The time to appeal this decision has passed.",
            "Appeals are accepted for a number of days after the decision; 'deadline' gives the "
            "end of the window.",
        ),
        ProblemType(
            "not-content-owner",
            403,
            "Only the owner of the content may appeal.",
            "Send the appeal for the user named as the case's author_id.",
        ),
        ProblemType(
            "submission-refused",
            403,
            "The disclosure program does not accept this report now.",
            "The program is closed to new reports or asks for a higher researcher reputation; "
            "'detail' says which.",
        ),
        ProblemType(
            "payload-too-large",
            413,
            "The request is larger than this operation accepts.",
            "'detail' names the field and the limit; 'max_length' gives it when there is one.",
        ),
        ProblemType(
            "validation-error",
            422,
            "The request has invalid or unknown fields.",
            "'errors' lists each field ('loc'), what is wrong ('msg') and its type.",
        ),
        ProblemType(
            "idempotency-key-reused",
            422,
            "This Idempotency-Key was used for a different request.",
            "Send a new key for each distinct request; repeat a key only to retry the same one.",
        ),
        ProblemType(
            "rate-limited",
            429,
            "Too many requests.",
            "Wait for the number of seconds in the Retry-After header.",
        ),
        ProblemType(
            "server-error",
            500,
            "Something went wrong on our side.",
            "The error is logged. Retry later; if it persists, tell the operators.",
        ),
    ]
}


class Problem(Exception):
    """Raise from an API operation to answer with a problem document."""

    def __init__(self, code: str, detail: str = "", **extensions: Any) -> None:
        if code not in PROBLEM_TYPES:
            raise KeyError(f"unknown problem type {code!r}")
        super().__init__(detail or PROBLEM_TYPES[code].title)
        self.problem_type = PROBLEM_TYPES[code]
        self.detail = detail
        self.extensions = extensions

    def as_dict(self, instance: str = "") -> dict[str, Any]:
        return problem_document(self.problem_type.code, self.detail, instance, **self.extensions)


def problem_document(
    code: str, detail: str = "", instance: str = "", **extensions: Any
) -> dict[str, Any]:
    problem = PROBLEM_TYPES[code]
    document: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
    }
    if detail:
        document["detail"] = detail
    if instance:
        document["instance"] = instance
    document.update(extensions)
    return document
