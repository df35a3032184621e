"""The CSAF 2.0 provider under /.well-known/csaf/: provider metadata, a directory-based TLP:WHITE
distribution of every disclosed report, and the CSAF field of security.txt."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from sectxt import Parser

from safeharbor.core.testing.matrix import assert_access
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Report
from safeharbor.disclosure.transitions import Actor

pytestmark = pytest.mark.django_db
SITE = "https://security.example.org"
WHITE = "/.well-known/csaf/white/"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(autouse=True)
def _https_site(settings):
    settings.SITE_URL = SITE
    settings.SITE_NAME = "Example VDP"


@pytest.fixture
def resolved_report(researcher, make_report, move):
    def make(title: str) -> Report:
        return move(make_report(researcher, title=title), "triaged", "resolved")

    return make


def _disclose(report: Report, researcher, when: datetime) -> Report:
    with time_machine.travel(when, tick=False):
        services.request_disclosure(report, kind="full", actor=None, by=Actor.TEAM)
        return services.agree_disclosure(report, actor=researcher.user, by=Actor.RESEARCHER)


def _index(anon) -> list[str]:
    response = anon.get(WHITE + "index.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode().splitlines()


def test_the_provider_metadata_has_every_required_field(anon, researcher, resolved_report):
    report = _disclose(resolved_report("SSRF"), researcher, datetime(2025, 3, 4, 5, 6, tzinfo=UTC))
    response = anon.get("/.well-known/csaf/provider-metadata.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    metadata = response.json()
    assert metadata == {
        "canonical_url": f"{SITE}/.well-known/csaf/provider-metadata.json",
        "distributions": [{"directory_url": f"{SITE}{WHITE}"}],
        "last_updated": "2025-03-04T05:06:00Z",
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {"category": "vendor", "name": "Example VDP", "namespace": SITE},
        "role": "csaf_publisher",
    }
    assert _index(anon) == [f"2025/safeharbor-vdp-{report.pk}.json"]
    # The advisories' publisher is the provider's.
    path = _index(anon)[0]
    assert anon.get(WHITE + path).json()["document"]["publisher"] == metadata["publisher"]


def test_the_provider_metadata_is_valid_before_anything_is_disclosed(anon):
    metadata = anon.get("/.well-known/csaf/provider-metadata.json").json()
    assert RFC3339.match(metadata["last_updated"])
    assert isinstance(metadata["list_on_CSAF_aggregators"], bool)
    assert isinstance(metadata["mirror_on_CSAF_aggregators"], bool)
    assert metadata["distributions"][0]["directory_url"].endswith("/")
    assert _index(anon) == []


def test_index_and_changes_list_exactly_the_disclosed_reports_newest_first(
    anon, researcher, resolved_report, make_report
):
    older = _disclose(
        resolved_report("Old IDOR"), researcher, datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    )
    newer = _disclose(
        resolved_report("New XSS"), researcher, datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    )
    resolved_report("Resolved, not disclosed")
    make_report(researcher, title="Still new")
    make_report(researcher, title="A draft", draft=True)

    assert _index(anon) == [
        f"2025/safeharbor-vdp-{newer.pk}.json",
        f"2024/safeharbor-vdp-{older.pk}.json",
    ]
    response = anon.get(WHITE + "changes.csv")
    assert response.status_code == 200
    assert response.content.decode() == (
        f'"2025/safeharbor-vdp-{newer.pk}.json","2025-02-01T08:00:00Z"\n'
        f'"2024/safeharbor-vdp-{older.pk}.json","2024-12-31T23:00:00Z"\n'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[0] for row in rows] == _index(anon)
    assert all(RFC3339.match(row[1]) for row in rows)


def test_every_listed_advisory_is_served_and_validates_as_csaf_2_0(
    anon, researcher, resolved_report
):
    validator = pytest.importorskip(
        "csaf.csaf.v20", reason="the csaf package (dev extra) validates CSAF 2.0 documents"
    )
    for day, title in enumerate(("Reflected XSS in search", "CSRF on settings"), start=1):
        _disclose(resolved_report(title), researcher, datetime(2025, 5, day, tzinfo=UTC))
    paths = _index(anon)
    assert len(paths) == 2
    for path in paths:
        response = anon.get(WHITE + path)
        assert response.status_code == 200
        document = json.loads(response.content)
        result = validator.validate(document, preset="mandatory")
        failures = [r for r in result.results if not getattr(r, "passed", True)]
        assert result.overall_valid, failures
        tracking = document["document"]["tracking"]
        # CSAF 2.0 section 5.1: the file name is derived from the tracking ID.
        expected = re.sub(r"[^+\-a-z0-9]", "_", tracking["id"].lower()) + ".json"
        assert path == f"{tracking['initial_release_date'][:4]}/{expected}"
        report_id = int(tracking["id"].rsplit("-", 1)[1])
        same = anon.get(reverse("disclosure:report_csaf", args=[report_id]))
        assert json.loads(same.content) == document


def test_reports_that_are_not_disclosed_are_never_served(cast, researcher, resolved_report):
    report = resolved_report("Resolved, not disclosed")
    year = timezone.now().year
    url = f"{WHITE}{year}/safeharbor-vdp-{report.pk}.json"
    assert_access(cast, "get", url, allowed=set())
    disclosed = _disclose(
        resolved_report("Disclosed"), researcher, datetime(2025, 1, 2, tzinfo=UTC)
    )
    good = f"{WHITE}2025/safeharbor-vdp-{disclosed.pk}.json"
    assert_access(cast, "get", good, allowed=set(cast))
    for wrong in (
        f"{WHITE}2024/safeharbor-vdp-{disclosed.pk}.json",  # the wrong year
        f"{WHITE}2025/SAFEHARBOR-VDP-{disclosed.pk}.json",  # not the derived name
        f"{WHITE}2025/other-{disclosed.pk}.json",
    ):
        assert_access(cast, "get", wrong, allowed=set())


def test_security_txt_names_the_csaf_provider_once_a_report_is_disclosed(
    anon, researcher, resolved_report
):
    line = f"CSAF: {SITE}/.well-known/csaf/provider-metadata.json\n"
    resolved_report("Resolved, not disclosed")
    assert line not in anon.get("/.well-known/security.txt").content.decode()
    _disclose(resolved_report("Disclosed"), researcher, datetime(2025, 1, 2, tzinfo=UTC))
    response = anon.get("/.well-known/security.txt")
    parser = Parser(response.content, urls=f"{SITE}/.well-known/security.txt")
    assert parser.errors == []
    assert parser.is_valid()
    assert line in response.content.decode()
