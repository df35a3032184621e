"""The crisis-intervention check for the platform's search and posting flows."""

from __future__ import annotations

from typing import Any

import pycountry
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from safeharbor.accounts.api_auth import APIKeyAuth
from safeharbor.core.problems import Problem
from safeharbor.core.schemas import StrictSchema
from safeharbor.safety.interventions.matcher import available_locales, resolve_locale
from safeharbor.safety.interventions.services import MAX_TEXT_CHARS, CheckResult, check_text
from safeharbor.safety.models import Organization

router = Router(tags=["Interventions"])

# The largest body a text within the limit can need: every character JSON-escaped as a
# surrogate pair ("\\ud83d\\ude00", 12 bytes), plus room for the other fields.
MAX_BODY_BYTES = MAX_TEXT_CHARS * 12 + 4_096


class CheckAuth(APIKeyAuth):
    """The API key with the interventions:check scope, then the size of the body, before the
    body is read or parsed: an oversized request costs no parsing and no normalization."""

    def __call__(self, request: HttpRequest) -> Any:
        key = super().__call__(request)
        if key is None:
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            raise Problem(
                "payload-too-large",
                f"The request has {length:,} bytes; 'text' may have at most "
                f"{MAX_TEXT_CHARS:,} characters.",
                max_length=MAX_TEXT_CHARS,
            )
        return key


class CheckIn(StrictSchema):
    text: str = Field(
        description=f"The search or post, at most {MAX_TEXT_CHARS:,} characters (longer: 413). "
        "Never stored or logged."
    )
    locale: str = Field(
        max_length=35,
        description="The language of the text (BCP 47): a locale with a term list, or a regional "
        "variant of one (es-MX uses es).",
    )
    country: str = Field(
        "",
        max_length=2,
        description="ISO 3166-1 alpha-2 code of the person's country, for its helplines; empty "
        "for international services only.",
    )


class ContactOut(Schema):
    kind: str
    value: str
    display: str
    href: str
    open_now: bool | None = Field(description="null when the opening hours are not known.")


class HelplineOut(Schema):
    name: str
    slug: str
    website: str
    country: str
    open_now: bool | None = Field(
        description="true when a contact is open now; null when no contact's hours are known."
    )
    contacts: list[ContactOut]


class CheckOut(Schema):
    level: str = Field(
        description="none, banner (show helplines beside the results) or interstitial (ask "
        "before showing anything, offering helplines first)."
    )
    topics: list[str]
    locale: str = Field(description="The term list that was used.")
    helplines: list[HelplineOut]


def _helpline(organization: Organization, result: CheckResult) -> dict[str, Any]:
    contacts = [
        {
            "kind": contact.kind,
            "value": contact.value,
            "display": contact.shown_as,
            "href": contact.href,
            "open_now": contact.is_open_at(result.at),
        }
        for contact in organization.contacts.all()
    ]
    states = [contact["open_now"] for contact in contacts]
    open_now = True if True in states else (False if False in states else None)
    return {
        "name": organization.name,
        "slug": organization.slug,
        "website": organization.website,
        "country": organization.country,
        "open_now": open_now,
        "contacts": contacts,
    }


@router.post(
    "/interventions/check",
    response=CheckOut,
    auth=CheckAuth("interventions:check"),
    summary="Should this search or post surface helplines?",
    description=(
        "Matches the text against the locale's term lists after normalization (homoglyphs, "
        "leetspeak, spacing, zero-width characters, repeated letters). The text is never "
        "stored or logged; only daily counters per topic and level are kept. Errors: 413 "
        f"payload-too-large for text over {MAX_TEXT_CHARS:,} characters, 400 invalid-parameter "
        "for an unknown locale or country (the problem lists the valid values), 403 "
        "insufficient-scope without the interventions:check scope."
    ),
)
def check(request: HttpRequest, response: HttpResponse, payload: CheckIn) -> dict[str, Any]:
    response["Cache-Control"] = "no-store"
    if len(payload.text) > MAX_TEXT_CHARS:  # before any normalization: never slow
        raise Problem(
            "payload-too-large",
            f"'text' has {len(payload.text):,} characters; the limit is {MAX_TEXT_CHARS:,}.",
            max_length=MAX_TEXT_CHARS,
        )
    locale = resolve_locale(payload.locale)
    if locale is None:
        valid = available_locales()
        raise Problem(
            "invalid-parameter",
            f"No term list for locale {payload.locale!r}. Valid: {', '.join(valid) or 'none yet'} "
            "(regional variants such as es-MX use their language's list).",
            parameter="locale",
            valid_values=valid,
        )
    country = payload.country.strip().upper()
    if country and (len(country) != 2 or pycountry.countries.get(alpha_2=country) is None):
        raise Problem(
            "invalid-parameter",
            f"Unknown country {payload.country!r}: use an ISO 3166-1 alpha-2 code such as US, "
            "GB, MX, ES or BR (https://www.iso.org/iso-3166-country-codes.html), or leave it "
            "empty for international services only.",
            parameter="country",
            standard="ISO 3166-1 alpha-2",
        )
    result = check_text(payload.text, locale=locale, country=country)
    return {
        "level": result.level,
        "topics": result.topics,
        "locale": result.locale,
        "helplines": [_helpline(organization, result) for organization in result.helplines],
    }
