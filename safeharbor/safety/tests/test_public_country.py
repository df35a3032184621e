"""Which country "Get help now" shows: the selector, then the remembered cookie, then the region
of the browser's language, else international resources. Bad values are refused with a message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from safeharbor.safety.country import COOKIE_NAME, region_from_accept_language
from safeharbor.safety.models import EmergencyNumber, Organization

pytestmark = pytest.mark.django_db

URL = "/safety/help/"


@pytest.fixture(autouse=True)
def directory(db: None) -> None:
    for country, name in [("US", "US Line"), ("MX", "MX Line"), ("GB", "GB Line"), ("", "World")]:
        Organization.objects.create(
            slug=name.lower().replace(" ", "-"), name=name, kind=Organization.Kind.HELPLINE,
            country=country, topics=["suicide-crisis"], sources=["https://example.org"],
            verified_on=dt.date(2025, 1, 1),
        )  # fmt: skip
    EmergencyNumber.objects.create(country="US", general="911", verified_on=dt.date(2025, 1, 1))
    EmergencyNumber.objects.create(country="MX", general="911", verified_on=dt.date(2025, 1, 1))


def shown(html: str) -> set[str]:
    return {name for name in ["US Line", "MX Line", "GB Line"] if f">{name}</h3>" in html}


def test_the_region_of_the_browser_language_chooses_the_country(anon: Client) -> None:
    html = anon.get(URL, headers={"Accept-Language": "es-MX,es;q=0.9"}).content.decode()
    assert shown(html) == {"MX Line"}
    assert '<option value="MX" selected>México</option>' in html
    assert "Elegimos México según la configuración de idioma de tu navegador" in html


def test_en_us_means_the_united_states(anon: Client) -> None:
    html = anon.get(URL, headers={"Accept-Language": "en-US,en;q=0.8"}).content.decode()
    assert shown(html) == {"US Line"}
    assert "Helplines where you are: United States" in html


def test_the_remembered_cookie_beats_the_browser_language(anon: Client) -> None:
    anon.cookies[COOKIE_NAME] = "GB"
    html = anon.get(URL, headers={"Accept-Language": "es-MX"}).content.decode()
    assert shown(html) == {"GB Line"}


def test_the_selector_beats_the_cookie_and_is_remembered_for_a_year(anon: Client) -> None:
    anon.cookies[COOKIE_NAME] = "GB"
    response = anon.get(URL, {"country": "us"}, headers={"Accept-Language": "es-MX"})
    assert shown(response.content.decode()) == {"US Line"}
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == "US"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]
    # The next visit, with no selector, starts from the remembered choice.
    assert shown(anon.get(URL, headers={"Accept-Language": "es-MX"}).content.decode()) == {
        "US Line"
    }


def test_without_any_clue_the_page_shows_the_selector_and_international_help(
    anon: Client,
) -> None:
    html = anon.get(URL).content.decode()
    assert shown(html) == set()
    assert ">World</h3>" in html
    assert "International helplines" in html
    assert '<option value="" selected>Another country</option>' in html
    assert "call your local emergency number" in html
    assert "Set-Cookie" not in str(anon.get(URL).headers)


def test_choosing_another_country_is_remembered_over_the_browser_language(anon: Client) -> None:
    response = anon.get(URL, {"country": ""}, headers={"Accept-Language": "es-MX"})
    assert shown(response.content.decode()) == set()
    assert response.cookies[COOKIE_NAME].value == "intl"
    html = anon.get(URL, headers={"Accept-Language": "es-MX"}).content.decode()
    assert shown(html) == set()
    assert ">World</h3>" in html


def test_the_selector_lists_the_countries_with_entries_in_the_visitors_language(
    anon: Client,
) -> None:
    html = anon.get(URL, headers={"Accept-Language": "es"}).content.decode()
    start = html.index('<select name="country"')
    options = html[start : html.index("</select>", start)]
    assert options.index("Estados Unidos") < options.index("México") < options.index("Reino Unido")
    assert "Otro país" in options
    assert "Francia" not in options  # no entries for France


def test_a_known_country_without_entries_still_gets_international_help(anon: Client) -> None:
    response = anon.get(URL, {"country": "FR"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="FR" selected>France</option>' in html
    assert ">World</h3>" in html
    assert shown(html) == set()


@pytest.mark.parametrize("value", ["ZZ", "usa", "<script>", "1"])
def test_an_unknown_country_is_a_400_with_a_message_next_to_the_selector(
    anon: Client, value: str
) -> None:
    response = anon.get(URL, {"country": value}, headers={"Accept-Language": "en-US"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a country code we know. Choose a country from the list." in html
    assert 'aria-invalid="true"' in html
    assert "<script>" not in html.split("<main", 1)[1]
    # Help is never withheld: the country chosen otherwise still shows.
    assert shown(html) == {"US Line"}
    assert COOKIE_NAME not in response.cookies


def test_an_unknown_topic_is_a_400_with_a_message(anon: Client) -> None:
    response = anon.get(URL, {"country": "US", "topic": "nope"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "“nope” is not a topic we know. Choose a topic from the list." in html
    assert shown(html) == {"US Line"}


def test_errors_are_in_spanish_for_spanish_visitors(anon: Client) -> None:
    response = anon.get(URL, {"country": "ZZ"}, headers={"Accept-Language": "es"})
    assert response.status_code == 400
    assert "«ZZ» no es un código de país que conozcamos" in response.content.decode()


def test_a_tampered_cookie_is_ignored(anon: Client) -> None:
    anon.cookies[COOKIE_NAME] = "ZZ"
    response = anon.get(URL, headers={"Accept-Language": "en-GB"})
    assert response.status_code == 200
    assert shown(response.content.decode()) == {"GB Line"}


def test_the_selector_is_a_plain_get_form_that_works_without_javascript(anon: Client) -> None:
    html = anon.get(URL).content.decode()
    start = html.index('<form class="place-selector"')
    form = html[start : html.index("</form>", start)]
    assert 'method="get"' in form
    assert '<label for="id_country">' in form
    assert '<label for="id_topic">' in form
    assert '<button type="submit">' in form
    # Submitting it is an ordinary GET of the same page.
    assert shown(anon.get(URL, {"country": "MX", "topic": ""}).content.decode()) == {"MX Line"}


def test_partners_and_reporting_pages_use_the_same_country_choice(anon: Client) -> None:
    response = anon.get("/safety/report-csam/", {"country": "MX"})
    assert response.cookies[COOKIE_NAME].value == "MX"
    assert anon.get("/safety/partners/", {"country": "XX"}).status_code == 400


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("es-MX", "MX"),
        ("en-US,en;q=0.9", "US"),
        ("en,es-MX;q=0.5", "MX"),
        ("fr-CA;q=0.4,de-AT;q=0.8", "AT"),
        ("es-419,es;q=0.9", None),
        ("zh-Hant-TW", "TW"),
        ("en", None),
        ("", None),
        ("xx-ZZ", None),
        ("en-US;q=bad, en-GB", "GB"),
    ],
)
def test_the_accept_language_region_is_read_by_preference(header: str, country: str | None) -> None:
    assert region_from_accept_language(header) == country
