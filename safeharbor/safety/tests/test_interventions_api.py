"""POST /api/v1/interventions/check: answers, helplines, bad input, privacy and counters."""

from __future__ import annotations

import datetime as dt
import json
import logging
from unittest import mock

import pytest
import time_machine

from safeharbor.safety.interventions import matcher as matchers
from safeharbor.safety.interventions import services
from safeharbor.safety.interventions.matcher import Verdict
from safeharbor.safety.interventions.services import (
    MAX_TEXT_CHARS,
    count_check,
    load_shipped_term_lists,
)
from safeharbor.safety.models import ContactMethod, InterventionCount, Organization

pytestmark = pytest.mark.django_db

URL = "/api/v1/interventions/check"
# A Tuesday, 15:00 in New York.
NOON_IN_NEW_YORK = dt.datetime(2026, 5, 5, 19, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _lists():
    matchers.forget_matchers()
    load_shipped_term_lists()
    yield
    matchers.forget_matchers()


@pytest.fixture
def checker(make_api_client):
    return make_api_client("interventions:check")


def helpline(slug: str, topics: list[str], *, country: str = "US", priority: bool = False):
    organization = Organization.objects.create(
        slug=slug, name=slug.replace("-", " ").title(), kind=Organization.Kind.HELPLINE,
        country=country, topics=topics, priority=priority, website=f"https://{slug}.example.org",
        sources=[f"https://{slug}.example.org/about"], verified_on=dt.date(2026, 1, 10),
    )  # fmt: skip
    return organization


@pytest.fixture
def directory():
    crisis = helpline("crisis-line", ["suicide-crisis", "self-harm"], priority=True)
    ContactMethod.objects.create(organization=crisis, kind="phone", value="988", always_open=True)
    ContactMethod.objects.create(
        organization=crisis, kind="sms", value="741741", sms_keyword="HOME",
        timezone="America/New_York", hours=[{"days": [5, 6], "open": "10:00", "close": "12:00"}],
    )  # fmt: skip
    eating = helpline("eating-help", ["eating-disorders"])
    ContactMethod.objects.create(organization=eating, kind="chat", value="https://eat.example.org")
    helpline("international-line", ["suicide-crisis"], country="")
    helpline("mexico-line", ["suicide-crisis"], country="MX", priority=True)
    return crisis


def post(client, **body):
    return client.post(URL, body)


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    document = json.loads(response.content)
    assert document["type"] == f"/api/v1/problems/{code}"
    return document


def test_a_crisis_text_gets_an_interstitial_with_the_countrys_helplines(checker, directory):
    with time_machine.travel(NOON_IN_NEW_YORK, tick=False):
        response = post(checker, text="i w4nt t0 k1ll mys3lf", locale="en", country="us")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["level"] == "interstitial"
    assert body["topics"] == ["suicide-crisis"]
    assert body["locale"] == "en"
    assert [h["slug"] for h in body["helplines"]] == ["crisis-line", "international-line"]
    first = body["helplines"][0]
    assert first["open_now"] is True
    assert first["contacts"] == [
        {"kind": "phone", "value": "988", "display": "988", "href": "tel:988", "open_now": True},
        {"kind": "sms", "value": "741741", "display": "741741", "href": "sms:741741?body=HOME",
         "open_now": False},
    ]  # fmt: skip
    assert body["helplines"][1]["open_now"] is None  # no contact with known hours


def test_several_topics_merge_their_helplines_priority_first(checker, directory):
    response = post(checker, text="thinspo and i want to die", locale="en", country="US")
    body = response.json()
    assert body["topics"] == ["suicide-crisis", "eating-disorders"]
    assert [h["slug"] for h in body["helplines"]] == [
        "crisis-line", "international-line", "eating-help",
    ]  # fmt: skip


def test_a_benign_text_gets_no_intervention_and_no_helplines(checker, directory):
    body = post(checker, text="killing it at the gym 💪", locale="en", country="US").json()
    assert body == {"level": "none", "topics": [], "locale": "en", "helplines": []}


def test_a_regional_locale_uses_its_languages_list(checker, directory):
    body = post(checker, text="ya no quiero vivir", locale="es-MX", country="MX").json()
    assert (body["level"], body["locale"]) == ("interstitial", "es")
    assert [h["slug"] for h in body["helplines"]] == ["mexico-line", "international-line"]


def test_without_a_country_only_international_services_are_offered(checker, directory):
    body = post(checker, text="suicide", locale="en").json()
    assert [h["slug"] for h in body["helplines"]] == ["international-line"]


def test_text_over_the_limit_is_refused_with_413_before_any_work(checker):
    with mock.patch.object(services, "check_text") as never_called:
        response = post(checker, text="a" * (MAX_TEXT_CHARS + 1), locale="en", country="US")
    document = problem(response, 413, "payload-too-large")
    assert document["max_length"] == MAX_TEXT_CHARS
    never_called.assert_not_called()
    assert post(checker, text="a" * MAX_TEXT_CHARS, locale="en").status_code == 200


def test_a_huge_body_is_refused_with_413_before_it_is_parsed(checker):
    raw = b'{"text": "' + b"a" * 3_000_000 + b'", "locale": "en"}'
    problem(checker.post(URL, raw=raw), 413, "payload-too-large")


def test_an_unknown_locale_is_a_400_listing_the_locales_with_lists(checker):
    document = problem(
        post(checker, text="hi", locale="fr", country="FR"), 400, "invalid-parameter"
    )
    assert document["parameter"] == "locale"
    assert document["valid_values"] == ["en", "es"]
    assert "Valid: en, es" in document["detail"]


@pytest.mark.parametrize("country", ["XX", "USA", "1"])
def test_an_unknown_country_is_a_400_naming_the_standard(checker, country):
    document = problem(
        post(checker, text="hi", locale="en", country=country), *_country_error(country)
    )
    if document["status"] == 400:
        assert document["parameter"] == "country"
        assert "ISO 3166-1 alpha-2" in document["detail"]


def _country_error(country: str) -> tuple[int, str]:
    # Longer than two characters fails the schema (422) before the country check.
    return (422, "validation-error") if len(country) > 2 else (400, "invalid-parameter")


@pytest.mark.parametrize(
    "body",
    [
        {"locale": "en"},
        {"text": "hi"},
        {"text": 5, "locale": "en"},
        {"text": "hi", "locale": "en", "user": 1},
    ],
)
def test_malformed_bodies_are_422_problems(checker, body):
    problem(checker.post(URL, body), 422, "validation-error")


def test_a_key_without_the_scope_is_refused(make_api_client):
    response = make_api_client("safety:read").post(URL, {"text": "hi", "locale": "en"})
    assert problem(response, 403, "insufficient-scope")["required_scope"] == "interventions:check"


def test_no_key_is_refused(client):
    response = client.post(
        URL, json.dumps({"text": "hi", "locale": "en"}), content_type="application/json"
    )
    problem(response, 401, "unauthenticated")


def test_each_check_adds_one_to_the_days_counters_and_keeps_no_text(checker, directory):
    with time_machine.travel(NOON_IN_NEW_YORK, tick=False):
        post(checker, text="thinspo and i want to die", locale="en", country="US")
        post(checker, text="suicide", locale="en", country="US")
        post(checker, text="hello there", locale="es-MX", country="MX")
    counts = {(c.day, c.locale, c.topic, c.level): c.count for c in InterventionCount.objects.all()}
    day = dt.date(2026, 5, 5)
    assert counts == {
        (day, "en", "suicide-crisis", "interstitial"): 2,
        (day, "en", "eating-disorders", "interstitial"): 1,
        (day, "es", "", "none"): 1,
    }


def test_the_text_is_never_logged_even_at_debug(checker, directory, caplog):
    secret = "zq-unique-marker i want to kill myself"
    with caplog.at_level(logging.DEBUG):
        post(checker, text=secret, locale="en", country="US")
        post(checker, text=secret * 400, locale="en", country="US")  # 413
        post(checker, text=secret, locale="xx", country="US")  # 400
        post(checker, text=secret, locale="en", country="US", extra=1)  # 422
    assert caplog.records  # the requests were logged at all
    assert not any("zq-unique-marker" in record.getMessage() for record in caplog.records)
    assert not any("zq-unique-marker" in str(record.__dict__) for record in caplog.records)


def test_a_counter_inserted_by_a_concurrent_check_is_incremented_not_duplicated():
    day = dt.date(2026, 5, 5)
    InterventionCount.objects.create(
        day=day, locale="en", topic="bullying", level="banner", count=4
    )
    real_add_one = services._add_one
    calls = []

    def lose_the_race(*args):
        # The first UPDATE runs before the other request's INSERT is visible: it finds no row.
        calls.append(args)
        return 0 if len(calls) == 1 else real_add_one(*args)

    with mock.patch.object(services, "_add_one", side_effect=lose_the_race):
        count_check("en", Verdict("banner", ["bullying"]), day=day)
    assert InterventionCount.objects.get(day=day, topic="bullying").count == 5
    assert len(calls) == 2


def test_a_new_counter_is_created_at_one():
    count_check("en", Verdict("banner", ["bullying"]), day=dt.date(2026, 5, 5))
    count_check("en", Verdict("banner", ["bullying"]), day=dt.date(2026, 5, 5))
    assert InterventionCount.objects.get().count == 2
