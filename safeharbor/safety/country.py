"""Which country the Safety Center shows help for, and country names in the visitor's language.

The country comes from, in order: an explicit choice in the selector (``?country=XX``, then
remembered in a cookie), the remembered cookie, the region of the browser's Accept-Language
header (``es-MX`` -> MX), else none, and the pages show international resources. Nothing here
looks at the visitor's IP address: a guess from the network is often wrong (VPNs, travel) and the
visitor can always choose.
"""

from __future__ import annotations

import functools
import gettext
import unicodedata
from dataclasses import dataclass

import pycountry
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from safeharbor.safety.models import EmergencyNumber, Organization

COOKIE_NAME = "safeharbor_country"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60  # one year
# Remembered when the visitor chose "another country": international resources, no region.
INTERNATIONAL = "intl"


class Source:
    SELECTOR = "selector"
    COOKIE = "cookie"
    ACCEPT_LANGUAGE = "accept-language"
    NONE = "none"


@dataclass(frozen=True)
class CountryChoice:
    code: str  # ISO 3166-1 alpha-2, or "" for international resources only
    source: str  # one of Source's values


def normalize_country(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code for a value such as "mx" or "MX"; None if it is not one."""
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return None
    return code if pycountry.countries.get(alpha_2=code) is not None else None


def region_from_accept_language(header: str) -> str | None:
    """The first known country among the regions of an Accept-Language header, by preference.

    "es-MX,es;q=0.9" -> "MX"; "en-US" -> "US"; "es-419" (a UN region, not a country) and tags
    without a region give nothing.
    """
    preferences: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        if quality > 0:
            preferences.append((-quality, position, tag.strip()))
    for _quality, _position, tag in sorted(preferences):
        for subtag in tag.replace("_", "-").split("-")[1:]:
            if len(subtag) == 2:
                code = normalize_country(subtag)
                if code:
                    return code
    return None


def choose_country(request: HttpRequest, selected: str | None) -> CountryChoice:
    """The country to show: ``selected`` (a validated selector value: a code, or "" for
    international resources) when the visitor used the selector, else the cookie, else the
    Accept-Language region, else none."""
    if selected is not None:
        return CountryChoice(selected, Source.SELECTOR)
    remembered = request.COOKIES.get(COOKIE_NAME, "")
    if remembered == INTERNATIONAL:
        return CountryChoice("", Source.COOKIE)
    code = normalize_country(remembered) if remembered else None
    if code:
        return CountryChoice(code, Source.COOKIE)
    code = region_from_accept_language(request.headers.get("Accept-Language", ""))
    if code:
        return CountryChoice(code, Source.ACCEPT_LANGUAGE)
    return CountryChoice("", Source.NONE)


def remember_country(request: HttpRequest, response: HttpResponse, choice: CountryChoice) -> None:
    """Keep an explicit choice for a year, so the next visit starts from it."""
    if choice.source != Source.SELECTOR:
        return
    response.set_cookie(
        COOKIE_NAME,
        choice.code or INTERNATIONAL,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )


@functools.lru_cache(maxsize=16)
def _country_names(language: str) -> gettext.NullTranslations:
    # pycountry ships the iso-codes project's translations as the gettext domain "iso3166-1".
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def country_name(code: str, language: str | None = None) -> str:
    """A country's name in the active language (or ``language``), e.g. "MX" -> "México"."""
    country = pycountry.countries.get(alpha_2=code.upper()) if code else None
    if country is None:
        return code
    locale = translation.to_locale(language or translation.get_language() or "en")
    return _country_names(locale).gettext(country.name)


def _sort_key(name: str) -> str:
    """Alphabetical order that ignores accents, so "Ísland" sorts with the Is."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def countries_with_entries() -> list[tuple[str, str]]:
    """(code, localized name) of every country the directory has something for, by name."""
    codes = set(
        Organization.objects.filter(status=Organization.Status.ACTIVE)
        .exclude(country="")
        .values_list("country", flat=True)
        .distinct()
    )
    codes.update(EmergencyNumber.objects.values_list("country", flat=True))
    named = [(code, country_name(code)) for code in codes if normalize_country(code)]
    return sorted(named, key=lambda pair: _sort_key(pair[1]))
