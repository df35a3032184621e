"""GET /api/v1/helplines, /partners and /emergency-numbers/{country}."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from safeharbor.safety.models import ContactMethod, Organization
from safeharbor.safety.services import load_shipped_directory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_api_client):
    load_shipped_directory()
    return make_api_client("safety:read")


def test_helplines_for_a_country_list_priority_services_first_with_contacts(reader):
    response = reader.get("/api/v1/helplines", country="us")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    body = response.json()
    slugs = [item["slug"] for item in body["items"]]
    assert slugs[:2] == ["988-lifeline", "trevor-project"]
    assert "crisis-text-line" in slugs
    assert "samaritans" not in slugs
    lifeline = body["items"][0]
    assert lifeline["contacts"][0] == {
        "kind": "phone", "value": "988", "display": "988", "href": "tel:988", "sms_keyword": "",
        "label": "Call", "always_open": True, "timezone": "", "hours": [], "open_now": True,
        "languages": [],
    }  # fmt: skip
    assert lifeline["sources"]
    assert lifeline["verified_on"] == "2026-11-22"
    assert body["emergency_numbers"]["general"] == "911"


def test_helplines_filter_by_topic_and_language_and_answer_in_that_language(reader):
    body = reader.get("/api/v1/helplines", country="US", topic="lgbtq-youth").json()
    assert [item["slug"] for item in body["items"]] == ["trevor-project"]
    spanish = reader.get("/api/v1/helplines", country="US", language="es-MX").json()
    assert [item["slug"] for item in spanish["items"]] == ["988-lifeline"]
    assert spanish["items"][0]["summary"].startswith("Apoyo gratuito")


def test_open_now_uses_opening_hours_and_a_shorter_cache(reader):
    organization = Organization.objects.get(slug="samaritans")
    ContactMethod.objects.filter(organization=organization).update(
        always_open=False,
        timezone="Europe/London",
        hours=[{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "17:00"}],
    )
    monday_noon = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(monday_noon, tick=False):
        response = reader.get("/api/v1/helplines", country="GB", open_now="true")
        assert response["Cache-Control"] == "public, max-age=60"
        assert "samaritans" in [item["slug"] for item in response.json()["items"]]
    with time_machine.travel(monday_noon + dt.timedelta(hours=8), tick=False):
        night = reader.get("/api/v1/helplines", country="GB", open_now="true").json()
        assert "samaritans" not in [item["slug"] for item in night["items"]]
        everything = reader.get("/api/v1/helplines", country="GB").json()
        samaritans = next(i for i in everything["items"] if i["slug"] == "samaritans")
        assert samaritans["open_now"] is False


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "country"),
        ({"country": "XX"}, "country"),
        ({"country": "USA"}, "country"),
        ({"country": "US", "topic": "cats"}, "topic"),
        ({"country": "US", "language": "zz"}, "language"),
        ({"country": "US", "open_now": "maybe"}, "open_now"),
    ],
)
def test_bad_parameters_are_400_problems_naming_the_parameter(reader, params, parameter):
    response = reader.get("/api/v1/helplines", **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/api/v1/problems/invalid-parameter"
    assert body["parameter"] == parameter
    assert body["valid_values"]


def test_an_unknown_topic_lists_every_valid_topic(reader):
    body = reader.get("/api/v1/helplines", country="US", topic="cats").json()
    assert "suicide-crisis" in body["valid_values"]
    assert "ISO 3166-1 alpha-2" in reader.get("/api/v1/helplines", country="XX").json()["detail"]


def test_the_directory_api_needs_the_safety_read_scope(make_api_client, anon):
    assert anon.get("/api/v1/helplines?country=US").status_code == 401
    wrong = make_api_client("audit:read")
    assert wrong.get("/api/v1/helplines", country="US").status_code == 403
    assert wrong.get("/api/v1/partners").status_code == 403
    assert wrong.get("/api/v1/emergency-numbers/US").status_code == 403


def test_partners_for_a_country_include_reporting_hotlines_and_international_resources(reader):
    body = reader.get("/api/v1/partners", country="US").json()
    slugs = {item["slug"] for item in body["items"]}
    assert {"connectsafely", "ncmec-cybertipline", "national-pta", "iasp"} <= slugs
    assert "internet-watch-foundation" not in slugs
    assert "988-lifeline" not in slugs
    everything = reader.get("/api/v1/partners").json()
    assert "internet-watch-foundation" in {item["slug"] for item in everything["items"]}


def test_retired_entries_are_not_listed(reader):
    Organization.objects.filter(slug="crisis-text-line").update(status="retired")
    body = reader.get("/api/v1/helplines", country="US").json()
    assert "crisis-text-line" not in [item["slug"] for item in body["items"]]


def test_emergency_numbers_by_country(reader):
    response = reader.get("/api/v1/emergency-numbers/de")
    assert response.status_code == 200
    assert response.json()["police"] == "110"
    assert reader.get("/api/v1/emergency-numbers/FR").status_code == 404
    assert reader.get("/api/v1/emergency-numbers/ZZ").status_code == 400


def test_the_endpoints_are_documented_in_openapi(reader):
    paths = reader.client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/helplines", "/api/v1/partners", "/api/v1/emergency-numbers/{country}"} <= set(
        paths
    )
