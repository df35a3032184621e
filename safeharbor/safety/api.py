"""The directory API: helplines, safety partners and emergency numbers by country.

Parameters are checked here and every bad value is a 400 ``invalid-parameter`` problem that names
the parameter and the values it accepts; the answer is built from services.py queries.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel

from safeharbor.accounts.api_auth import APIKeyAuth
from safeharbor.core.pagination import reject_unknown_query
from safeharbor.core.problems import Problem
from safeharbor.core.schemas import ProblemOut
from safeharbor.safety import directory_io
from safeharbor.safety.models import Topic
from safeharbor.safety.schemas import (
    EmergencyNumbersOut,
    HelplineOut,
    emergency_numbers_out,
    helpline_out,
)
from safeharbor.safety.services import (
    emergency_numbers_for,
    find_helplines,
    list_partners,
)

router = Router(tags=["Safety Center"])
urlpatterns: list = []

CACHE_SECONDS = 300
OPEN_NOW_CACHE_SECONDS = 60
ERRORS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut}


class HelplineQuery(Schema):
    country: str | None = Field(
        None, description="Required. ISO 3166-1 alpha-2 code, e.g. US.", max_length=20
    )
    topic: str | None = Field(None, description="One of the topic values.", max_length=40)
    language: str | None = Field(
        None, description="BCP-47 tag (es, es-MX); matched on the language.", max_length=35
    )
    open_now: str | None = Field(
        None, description="true: only services with a contact open now.", max_length=5
    )


class PartnerQuery(Schema):
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code.", max_length=20)


class HelplineListOut(BaseModel):
    country: str
    topic: str | None
    language: str | None
    open_now: bool
    items: list[HelplineOut]
    emergency_numbers: EmergencyNumbersOut | None = Field(
        description="The country's emergency numbers, when known."
    )


class PartnerListOut(BaseModel):
    country: str | None
    items: list[HelplineOut]


def _country(value: str | None, *, required: bool) -> str:
    try:
        return directory_io.clean_country(value or "", allow_blank=not required)
    except ValueError:
        raise Problem(
            "invalid-parameter",
            "country must be an ISO 3166-1 alpha-2 code such as US, GB or MX"
            + (f", not {value!r}." if value else "; it is required."),
            parameter="country",
            valid_values="ISO 3166-1 alpha-2",
        ) from None


def _topic(value: str | None) -> str | None:
    if not value:
        return None
    if value not in Topic.values:
        raise Problem(
            "invalid-parameter",
            f"topic {value!r} is not known; use one of: {', '.join(Topic.values)}.",
            parameter="topic",
            valid_values=list(Topic.values),
        )
    return value


def _language(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return directory_io.clean_language(value)
    except ValueError as error:
        raise Problem(
            "invalid-parameter",
            f"language: {error}. Use a BCP-47 tag whose language is ISO 639 (en, es, es-MX).",
            parameter="language",
            valid_values="BCP-47 tag with an ISO 639 language and optional ISO 3166-1 region",
        ) from None


def _flag(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in ("", "false", "0", "no"):
        return False
    if text in ("true", "1", "yes"):
        return True
    raise Problem(
        "invalid-parameter",
        f"open_now must be true or false, not {value!r}.",
        parameter="open_now",
        valid_values=["true", "false"],
    )


@router.get(
    "/helplines",
    response={200: HelplineListOut, **ERRORS},
    auth=APIKeyAuth("safety:read"),
    summary="Helplines for a country, by topic, language and opening hours",
    description=(
        "Active helplines of the country and international ones, priority services first. "
        "Organisations in a pairing group are shown together or not at all. Each contact says "
        "whether it is open now (null when its hours are not known). Cached for 5 minutes, "
        "1 minute with open_now."
    ),
)
def helplines(request: HttpRequest, response: HttpResponse, query: Query[HelplineQuery]) -> object:
    reject_unknown_query(request, HelplineQuery)
    country = _country(query.country, required=True)
    topic = _topic(query.topic)
    language = _language(query.language)
    open_now = _flag(query.open_now)
    moment = timezone.now()
    organizations = find_helplines(
        country, topic=topic, language=language, open_now=open_now, at=moment
    )
    numbers = emergency_numbers_for(country)
    seconds = OPEN_NOW_CACHE_SECONDS if open_now else CACHE_SECONDS
    response["Cache-Control"] = f"public, max-age={seconds}"
    return {
        "country": country,
        "topic": topic,
        "language": language,
        "open_now": open_now,
        "items": [helpline_out(o, moment, language or "en") for o in organizations],
        "emergency_numbers": emergency_numbers_out(numbers) if numbers else None,
    }


@router.get(
    "/partners",
    response={200: PartnerListOut, **ERRORS},
    auth=APIKeyAuth("safety:read"),
    summary="Safety partners, reporting hotlines and resource networks",
    description="For a country (and international ones) or, without ?country=, all of them.",
)
def partners(request: HttpRequest, response: HttpResponse, query: Query[PartnerQuery]) -> object:
    reject_unknown_query(request, PartnerQuery)
    country = _country(query.country, required=False) or None
    moment = timezone.now()
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return {"country": country, "items": [helpline_out(o, moment) for o in list_partners(country)]}


@router.get(
    "/emergency-numbers/{country}",
    response={200: EmergencyNumbersOut, 404: ProblemOut, **ERRORS},
    auth=APIKeyAuth("safety:read"),
    summary="A country's emergency numbers",
    description="404 when the directory holds no verified numbers for the country.",
)
def emergency_numbers(request: HttpRequest, response: HttpResponse, country: str) -> object:
    code = _country(country, required=True)
    numbers = emergency_numbers_for(code)
    if numbers is None:
        raise Problem("not-found", f"No verified emergency numbers for {code}.")
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return emergency_numbers_out(numbers)
