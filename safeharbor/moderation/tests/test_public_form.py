from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from safeharbor.moderation.models import Case, Report
from safeharbor.moderation.throttle import PUBLIC_REPORTS_PER_WINDOW

pytestmark = pytest.mark.django_db

URL = "/moderation/report/"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def _form(**fields: str) -> dict[str, str]:
    data = {
        "content_url": "https://example.org/p/1",
        "category": "child-sexual-abuse-material",
        "content_type": "image",
        "details": "seen in a group",
    }
    data.update(fields)
    return data


def test_anyone_can_report_child_sexual_abuse_material_without_an_account(taxonomy, anon) -> None:
    page = anon.get(URL).content.decode()
    assert "Child sexual abuse material" in page
    assert 'for="id_content_url"' in page
    response = anon.post(URL, _form())
    assert response.status_code == 302
    assert response["Location"] == "/moderation/report/thanks/"
    report = Report.objects.get()
    assert (report.channel, report.source, report.api_key) == ("web_form", "user", None)
    assert report.content_url == "https://example.org/p/1"
    assert report.free_text == "seen in a group"
    case = Case.objects.get()
    assert (case.queue.slug, case.required_role) == ("child-safety", "child-safety")


def test_two_people_reporting_one_address_join_one_case(taxonomy, anon) -> None:
    anon.post(URL, _form(category="hate"))
    Client(REMOTE_ADDR="10.0.0.9").post(URL, _form(category="hate"))
    assert Case.objects.get().report_count == 2


def test_the_form_shows_errors_tied_to_fields(taxonomy, anon) -> None:
    response = anon.post(URL, _form(content_url="not a link", category="kittens"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "Enter a valid URL." in html
    assert "Select a valid choice." in html
    assert not Report.objects.exists()


def test_the_form_needs_a_csrf_token(taxonomy) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, _form()).status_code == 403
    assert not Report.objects.exists()


def test_the_form_is_rate_limited_per_client_address(taxonomy) -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    for number in range(PUBLIC_REPORTS_PER_WINDOW):
        assert client.post(URL, _form(content_url=f"https://e.org/{number}")).status_code == 302
    response = client.post(URL, _form(content_url="https://e.org/over"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Report.objects.count() == PUBLIC_REPORTS_PER_WINDOW
    other = Client(REMOTE_ADDR="192.0.2.2")
    assert other.post(URL, _form(content_url="https://e.org/else")).status_code == 302


def test_the_rate_limit_counts_an_ipv6_64_network_as_one_client(taxonomy) -> None:
    for number in range(PUBLIC_REPORTS_PER_WINDOW):
        # A new address of the same /64 for every report.
        client = Client(REMOTE_ADDR=f"2001:db8:1:2::{number + 1:x}")
        assert client.post(URL, _form(content_url=f"https://e.org/{number}")).status_code == 302
    rotating = Client(REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert rotating.post(URL, _form(content_url="https://e.org/over")).status_code == 429
    elsewhere = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert elsewhere.post(URL, _form(content_url="https://e.org/else")).status_code == 302
