"""The "Get help now" page: emergency numbers first, then helpline cards, priority services
first, each contact method as a link with whether it is open now."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.test import Client

from safeharbor.safety.models import ContactMethod, EmergencyNumber, Organization

pytestmark = pytest.mark.django_db

URL = "/safety/help/"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "17:00"}]


def helpline(slug: str, country: str = "US", **fields: Any) -> Organization:
    defaults: dict[str, Any] = {
        "name": slug.replace("-", " ").title(), "kind": Organization.Kind.HELPLINE,
        "country": country, "topics": ["suicide-crisis"], "languages": ["en"],
        "sources": ["https://example.org/source"], "verified_on": dt.date(2025, 1, 1),
    }  # fmt: skip
    defaults.update(fields)
    return Organization.objects.create(slug=slug, **defaults)


def contact(organization: Organization, **fields: Any) -> ContactMethod:
    return ContactMethod.objects.create(organization=organization, **fields)


def card(html: str, slug: str) -> str:
    match = re.search(rf'<article[^>]*aria-labelledby="org-{slug}">(.*?)</article>', html, re.S)
    assert match, f"no card for {slug}"
    return match.group(1)


def us_page(client: Client, **params: str) -> str:
    response = client.get(URL, {"country": "US", **params})
    assert response.status_code == 200
    return response.content.decode()


def test_the_emergency_number_comes_first(anon: Client) -> None:
    EmergencyNumber.objects.create(country="US", general="911", verified_on=dt.date(2025, 1, 1))
    helpline("lifeline")
    html = us_page(anon)
    assert 'If you or someone else is in immediate danger, call <a href="tel:911">911</a>.' in html
    assert html.index('href="tel:911"') < html.index('id="org-lifeline"')


def test_separate_emergency_services_are_listed_one_by_one(anon: Client) -> None:
    EmergencyNumber.objects.create(
        country="JP", police="110", ambulance="119", fire="119", verified_on=dt.date(2025, 1, 1)
    )
    html = anon.get(URL, {"country": "JP"}).content.decode()
    assert 'Police: <a href="tel:110">110</a>' in html
    assert 'Ambulance: <a href="tel:119">119</a>' in html


def test_a_card_shows_the_summary_contacts_languages_and_cost(anon: Client) -> None:
    lifeline = helpline(
        "lifeline", name="988 Suicide & Crisis Lifeline", languages=["en", "es"], cost="free",
        summary={"en": "Free, confidential support.", "es": "Apoyo gratuito y confidencial."},
    )  # fmt: skip
    contact(lifeline, kind="phone", value="988", always_open=True, order=0)
    contact(lifeline, kind="sms", value="741741", sms_keyword="HOME", always_open=True, order=1)
    contact(lifeline, kind="chat", value="https://988lifeline.org/chat/", order=2)
    html = card(us_page(anon), "lifeline")
    assert "988 Suicide &amp; Crisis Lifeline" in html
    assert "Free, confidential support." in html
    assert '<a class="contact" href="tel:988">Call 988</a>' in html
    assert '<a class="contact" href="sms:741741?body=HOME">Text HOME to 741741</a>' in html
    assert '<a class="contact" href="https://988lifeline.org/chat/">Chat online</a>' in html
    assert "<dd>English, Spanish</dd>" in html
    assert "<dd>Free</dd>" in html


def test_a_card_is_in_spanish_for_spanish_visitors(anon: Client) -> None:
    lifeline = helpline(
        "lifeline", languages=["en", "es"], cost="free",
        summary={"en": "Free, confidential support.", "es": "Apoyo gratuito y confidencial."},
    )  # fmt: skip
    contact(lifeline, kind="sms", value="741741", sms_keyword="HOLA", always_open=True)
    response = anon.get(URL, {"country": "US"}, headers={"Accept-Language": "es-US"})
    html = card(response.content.decode(), "lifeline")
    assert "Apoyo gratuito y confidencial." in html
    assert "Envía HOLA al 741741" in html
    assert "Abierto 24/7" in html
    assert "<dd>inglés, español</dd>" in html.lower()
    assert "<dd>Gratis</dd>" in html


@pytest.fixture
def open_now_cases() -> None:
    contact(helpline("office-hours"), kind="phone", value="+12125550100",
            timezone="America/New_York", hours=WEEKDAYS_9_TO_5)  # fmt: skip
    contact(helpline("always"), kind="phone", value="988", always_open=True)
    contact(helpline("unknown-hours"), kind="phone", value="+12125550101")


def status_of(html: str, slug: str) -> str:
    match = re.search(r'<span class="status status-\w+">(.*?)</span>', card(html, slug))
    assert match
    return match.group(1)


def test_open_now_on_a_tuesday_morning_in_new_york(anon: Client, open_now_cases: None) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 11, 10, 0, tzinfo=NEW_YORK), tick=False):
        html = us_page(anon)
    assert status_of(html, "office-hours") == "Open now"
    assert status_of(html, "always") == "Open 24/7"
    assert status_of(html, "unknown-hours") == "Hours not listed"
    assert "Mon\N{EN DASH}Fri 09:00\N{EN DASH}17:00 (America/New_York)" in card(
        html, "office-hours"
    )


def test_closed_now_on_a_saturday(anon: Client, open_now_cases: None) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 15, 10, 0, tzinfo=NEW_YORK), tick=False):
        html = us_page(anon)
    assert status_of(html, "office-hours") == "Closed now"
    assert status_of(html, "always") == "Open 24/7"


def test_closed_after_five_in_new_york_even_when_it_is_another_day_in_utc(
    anon: Client, open_now_cases: None
) -> None:
    # Friday 20:00 in New York is Saturday 01:00 UTC.
    with time_machine.travel(dt.datetime(2025, 3, 14, 20, 0, tzinfo=NEW_YORK), tick=False):
        html = us_page(anon)
    assert status_of(html, "office-hours") == "Closed now"


def test_open_now_labels_in_spanish(anon: Client, open_now_cases: None) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 11, 10, 0, tzinfo=NEW_YORK), tick=False):
        html = anon.get(URL, {"country": "US"}, headers={"Accept-Language": "es"}).content.decode()
    assert status_of(html, "office-hours") == "Abierto ahora"
    assert status_of(html, "unknown-hours") == "Horario no indicado"
    assert "lun\N{EN DASH}vie 09:00\N{EN DASH}17:00" in card(html, "office-hours")


def test_priority_services_come_first_then_by_name_then_international(anon: Client) -> None:
    helpline("aardvark-line", name="Aardvark Line")
    helpline("zebra-line", name="Zebra Line", priority=True)
    helpline("world-line", country="", name="A World Line", priority=True)
    html = us_page(anon)
    positions = [
        html.index(f'id="org-{slug}"') for slug in ["zebra-line", "aardvark-line", "world-line"]
    ]
    assert positions == sorted(positions)
    assert "Recommended service" in card(html, "zebra-line")
    assert "Recommended service" not in card(html, "aardvark-line")


def test_the_topic_filter_keeps_only_matching_helplines(anon: Client) -> None:
    helpline("crisis-line", topics=["suicide-crisis"])
    helpline("trevor", topics=["lgbtq-youth", "suicide-crisis"])
    html = us_page(anon, topic="lgbtq-youth")
    assert 'id="org-trevor"' in html
    assert 'id="org-crisis-line"' not in html
    assert "Helplines where you are: United States: LGBTQ+ youth" in html
    assert '<option value="lgbtq-youth" selected>' in html


def test_an_empty_topic_says_so_and_points_to_international_resources(anon: Client) -> None:
    helpline("crisis-line", topics=["suicide-crisis"])
    html = us_page(anon, topic="eating-disorders")
    assert "No helplines are listed for this topic here yet." in html


def test_international_directories_are_listed_for_everyone(anon: Client) -> None:
    helpline("iasp", country="", kind=Organization.Kind.RESOURCE,
             name="International Association for Suicide Prevention",
             website="https://www.iasp.info/crisis-centres-helplines/")  # fmt: skip
    helpline("us-partner", kind=Organization.Kind.RESOURCE, name="US Resource")
    for params in [{"country": "US"}, {}]:
        html = anon.get(URL, params).content.decode()
        assert "Other countries and international directories" in html
        assert 'href="https://www.iasp.info/crisis-centres-helplines/"' in html
        assert 'id="org-us-partner"' not in html


def test_retired_helplines_are_not_shown(anon: Client) -> None:
    helpline("old-line", status=Organization.Status.RETIRED)
    assert 'id="org-old-line"' not in us_page(anon)


def test_the_number_of_queries_does_not_grow_with_the_entries(
    anon: Client, django_assert_num_queries: Any
) -> None:
    def add(count: int) -> None:
        for index in range(count):
            organization = helpline(f"line-{Organization.objects.count()}-{index}")
            contact(organization, kind="phone", value="988", always_open=True)
            contact(organization, kind="sms", value="741741", sms_keyword="HOME")
        EmergencyNumber.objects.get_or_create(
            country="US", defaults={"general": "911", "verified_on": dt.date(2025, 1, 1)}
        )

    # The directory's stamp, the helplines and their contacts (the rest is fixed); a repeat
    # visit with nothing changed reads only the stamp for the helplines.
    add(1)
    with django_assert_num_queries(7):
        one = us_page(anon)
    add(20)
    with django_assert_num_queries(7):
        many = us_page(anon)
    with django_assert_num_queries(5):
        again = us_page(anon)
    assert again.count('class="card organization') == 21
    assert one.count('class="card organization') == 1
    assert many.count('class="card organization') == 21
