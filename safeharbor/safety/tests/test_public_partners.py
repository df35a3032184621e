"""The partners page groups partners, hotlines and resource networks; the reporting page names the
country's hotline for child sexual abuse material."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from safeharbor.safety.models import ContactMethod, Organization

pytestmark = pytest.mark.django_db


def organization(slug: str, kind: str, country: str, **fields: Any) -> Organization:
    return Organization.objects.create(
        slug=slug, name=fields.pop("name", slug), kind=kind, country=country,
        sources=["https://example.org"], verified_on=dt.date(2025, 1, 1), **fields,
    )  # fmt: skip


@pytest.fixture
def directory() -> None:
    organization("connectsafely", "safety-partner", "US", name="ConnectSafely",
                 website="https://www.connectsafely.org/",
                 summary={"en": "Safety tips and guides.", "es": "Consejos y guías."})  # fmt: skip
    ncmec = organization("ncmec", "reporting-hotline", "US", name="NCMEC CyberTipline",
                         topics=["csam-reporting", "sextortion"], priority=True,
                         website="https://report.cybertip.org/")  # fmt: skip
    ContactMethod.objects.create(organization=ncmec, kind="phone", value="+18008435678",
                                 display="1-800-843-5678", always_open=True)  # fmt: skip
    organization("iwf", "reporting-hotline", "GB", name="Internet Watch Foundation",
                 topics=["csam-reporting"], website="https://report.iwf.org.uk/")  # fmt: skip
    organization("safe-alternatives", "resource", "US", name="S.A.F.E. Alternatives")
    organization("lifeline", "helpline", "US", name="A Helpline")


def test_partners_are_grouped_by_kind_with_websites_and_summaries(
    anon: Client, directory: None
) -> None:
    html = anon.get("/safety/partners/", {"country": "US"}).content.decode()
    partners = html.index('<h2 id="kind-safety-partner">Safety partners</h2>')
    hotlines = html.index('<h2 id="kind-reporting-hotline">Reporting hotlines</h2>')
    resources = html.index('<h2 id="kind-resource">Resource networks and directories</h2>')
    assert partners < html.index(">ConnectSafely</h3>") < hotlines
    assert hotlines < html.index(">NCMEC CyberTipline</h3>") < resources
    assert resources < html.index(">S.A.F.E. Alternatives</h3>")
    assert 'href="https://www.connectsafely.org/"' in html
    assert "Safety tips and guides." in html
    assert "Internet Watch Foundation" not in html  # another country's
    assert "A Helpline" not in html  # helplines are on the help page


def test_without_a_country_all_partners_are_listed_with_their_country(
    anon: Client, directory: None
) -> None:
    html = anon.get("/safety/partners/").content.decode()
    assert ">Internet Watch Foundation</h3>" in html
    assert "<dd>United Kingdom</dd>" in html


def test_partners_in_spanish(anon: Client, directory: None) -> None:
    response = anon.get("/safety/partners/", {"country": "US"}, headers={"Accept-Language": "es"})
    html = response.content.decode()
    assert "Consejos y guías." in html
    assert "Líneas de denuncia" in html
    assert "Sitio web de ConnectSafely" in html


@pytest.mark.parametrize(
    ("country", "hotline", "other"),
    [("US", "NCMEC CyberTipline", "Internet Watch Foundation"),
     ("GB", "Internet Watch Foundation", "NCMEC CyberTipline")],
)  # fmt: skip
def test_the_reporting_page_names_the_countrys_hotline(
    anon: Client, directory: None, country: str, hotline: str, other: str
) -> None:
    html = anon.get("/safety/report-csam/", {"country": country}).content.decode()
    assert f">{hotline}</h3>" in html
    assert other not in html


def test_the_reporting_page_links_the_hotline_and_its_phone(anon: Client, directory: None) -> None:
    html = anon.get("/safety/report-csam/", {"country": "US"}).content.decode()
    assert 'href="https://report.cybertip.org/"' in html
    assert '<a class="contact" href="tel:+18008435678">Call 1-800-843-5678</a>' in html
    assert "reports it to the authorities as the law requires" in html


def test_without_a_hotline_the_reporting_page_points_to_the_police(anon: Client) -> None:
    html = anon.get("/safety/report-csam/", {"country": "FR"}).content.decode()
    assert "No hotline is listed for this country here yet. Report it to the police" in html
