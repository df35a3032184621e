"""A visitor whose browser speaks Mexican Spanish opens the Safety Center, goes to "Get help now",
reads it in Spanish with Mexico already chosen, switches to the United States and finds 988."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from safeharbor.safety.models import ContactMethod, EmergencyNumber, Organization
from tests.browser.conftest import BrowserProblems

pytestmark = pytest.mark.browser


@pytest.fixture
def directory(transactional_db: None) -> None:
    verified = dt.date(2025, 1, 1)
    lifeline = Organization.objects.create(
        slug="988-lifeline", name="988 Suicide & Crisis Lifeline", kind="helpline", country="US",
        topics=["suicide-crisis"], languages=["en", "es"], priority=True, cost="free",
        summary={"en": "Free, confidential support, 24/7.", "es": "Apoyo gratuito y confidencial."},
        sources=["https://988lifeline.org/"], verified_on=verified,
    )  # fmt: skip
    ContactMethod.objects.create(organization=lifeline, kind="phone", value="988", always_open=True)
    Organization.objects.create(
        slug="mx-line", name="Línea de la Vida", kind="helpline", country="MX",
        topics=["suicide-crisis"], languages=["es"], sources=["https://example.org"],
        verified_on=verified,
    )  # fmt: skip
    EmergencyNumber.objects.create(country="US", general="911", verified_on=verified)
    EmergencyNumber.objects.create(country="MX", general="911", verified_on=verified)


def spanish_mexican_page(page: Page, problems: BrowserProblems) -> Page:
    """A page in a context whose browser language is es-MX (it sends Accept-Language: es-MX);
    the shared fixture's context is English, and Chromium sends its locale over any extra
    header. Closed with the browser by the fixture."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
    context.set_default_timeout(10_000)
    visitor = context.new_page()
    visitor.on("console", problems.on_console)
    visitor.on("pageerror", problems.on_page_error)
    return visitor


def test_a_spanish_speaker_in_mexico_finds_help_and_switches_to_the_us(
    live_server: LiveServer,
    page: Page,
    browser_problems: BrowserProblems,
    artifacts_dir: Path,
    directory: None,
) -> None:
    page = spanish_mexican_page(page, browser_problems)
    page.goto(f"{live_server.url}/safety/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Centro de Seguridad")

    page.get_by_role("link", name="Consigue ayuda ahora").first.click()
    expect(page).to_have_url(f"{live_server.url}/safety/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consigue ayuda ahora")
    country = page.get_by_label("País")
    expect(country).to_have_value("MX")
    expect(country.locator("option:checked")).to_have_text("México")
    expect(page.get_by_role("heading", name="Línea de la Vida")).to_be_visible()

    country.select_option("US")
    page.get_by_role("button", name="Mostrar").click()
    expect(page).to_have_url(f"{live_server.url}/safety/help/?country=US&topic=")
    expect(page.get_by_role("link", name="Llama al 988")).to_have_attribute("href", "tel:988")
    expect(page.get_by_text("Abierto 24/7")).to_be_visible()
    expect(page.get_by_text("Apoyo gratuito y confidencial.")).to_be_visible()
    expect(page.get_by_label("País")).to_have_value("US")
    page.screenshot(path=str(artifacts_dir / "safety-center-help.png"), full_page=True)

    # The choice is remembered: the next visit starts from the United States.
    page.goto(f"{live_server.url}/safety/help/")
    expect(page.get_by_label("País")).to_have_value("US")

    # Narrow screens get the same page in one column.
    page.set_viewport_size({"width": 375, "height": 740})
    page.screenshot(path=str(artifacts_dir / "safety-center-help-mobile.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert browser_problems.csp_violations == []
    assert browser_problems.page_errors == []
    assert browser_problems.console_errors == []
