from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from safeharbor.accounts.api_auth import APIKeyAuth
from safeharbor.core.schemas import StrictSchema
from safeharbor.passwords.services import MAX_CHECKED_INPUT, check_password

router = Router(tags=["passwords"])


class PasswordCheckIn(StrictSchema):
    password: str = Field(max_length=MAX_CHECKED_INPUT, description="Never stored or logged.")
    username: str = Field("", max_length=254)
    email: str = Field("", max_length=254)
    context_words: list[str] = Field(default_factory=list, max_length=50)
    with_mfa: bool = Field(False, description="The account also has a second factor.")


class FeedbackOut(Schema):
    warning: str
    suggestions: list[str]


class ViolationOut(Schema):
    code: str
    message: str


class PasswordCheckOut(Schema):
    accepted: bool
    score: int
    guesses_log10: float
    crack_time_display: str
    feedback: FeedbackOut
    breached_count: int | None = Field(
        description="null when no breach corpus is configured, or the remote range service "
        "could not be reached (the check was skipped)."
    )
    violations: list[ViolationOut]
    policy: str


@router.post(
    "/passwords/check",
    response=PasswordCheckOut,
    auth=APIKeyAuth("passwords:check"),
    summary="Check a password against the policy, its strength and known breaches",
)
def check(request: HttpRequest, response: HttpResponse, payload: PasswordCheckIn) -> object:
    response["Cache-Control"] = "no-store"
    return check_password(
        payload.password,
        username=payload.username,
        email=payload.email,
        context_words=[word[:100] for word in payload.context_words],
        with_mfa=payload.with_mfa,
    )
