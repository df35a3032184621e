"""The vulnerability disclosure journey in a real Chromium: a researcher registers and submits,
a triager marks a later submission as its duplicate, triages, resolves and awards a bounty, the
two agree to disclose, and the public page shows the report with a CSAF export that validates.
Script, event-handler and javascript: payloads in the Markdown fields stay inert throughout."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import BrowserContext, Dialog, Page, expect
from pytest_django.live_server_helper import LiveServer

from safeharbor.accounts.models import User
from safeharbor.core.testing.cast import PASSWORD, make_researcher, make_staff, signed_in_client
from safeharbor.disclosure import services
from safeharbor.disclosure.models import Asset, Report
from tests.browser.conftest import BrowserProblems

pytestmark = pytest.mark.browser

PAYLOADS = (
    "Search reflects input.\n\n<script>alert('script')</script>\n\n"
    "<img src=x onerror=\"alert('onerror')\">\n\n"
    "[click me](javascript:alert('link'))\n\n"
    "Endpoint: GET /api/v1/search?q=test, the `q` parameter."
)


@pytest.fixture
def program(transactional_db: None) -> Asset:
    program = services.current_program()
    program.contact_email = "security@example.org"
    program.security_txt_expires = datetime.now(UTC) + timedelta(days=200)
    program.save()
    services.publish_bounty_table(
        currency="USD",
        ranges=[services.RangeInput("medium", 1, Decimal("300"), Decimal("1000"))],
        actor=None,
    )
    return Asset.objects.create(asset_type="domain", identifier="app.example.org", tier=1)


def _signed_in_context(page: Page, live_server: LiveServer, user: User) -> BrowserContext:
    """A second browser context whose session passed password and second factor (the staff
    sign-in journey is tested on its own)."""
    client = signed_in_client(user)
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    context.set_default_timeout(10_000)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def test_a_report_goes_from_submission_to_public_disclosure(
    live_server: LiveServer,
    page: Page,
    browser_problems: BrowserProblems,
    artifacts_dir: Path,
    program: Asset,
    settings: Any,
) -> None:
    settings.SITE_URL = "https://safety.example.org"  # security.txt URIs must be https://
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    # A researcher registers, confirms the email address and signs in.
    page.goto(f"{live_server.url}/accounts/register/")
    page.get_by_label("Handle").fill("mallory")
    page.get_by_label("Email").fill("mallory@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    link = re.search(r"https?://\S+/accounts/verify/\S+/", str(mail.outbox[-1].body))
    assert link is not None
    page.goto(live_server.url + "/accounts/verify/" + link.group(0).split("/accounts/verify/")[1])
    page.get_by_role("button", name="Confirm my email address").click()
    page.get_by_label("Username or email").fill("mallory")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # ... and submits a report whose Markdown carries script payloads.
    page.goto(f"{live_server.url}/security/reports/new/")
    page.get_by_label("Asset").select_option(label=str(program))
    page.get_by_label("Title").fill("Reflected XSS in search")
    page.get_by_label("Description").fill(PAYLOADS)
    page.get_by_label("Impact").fill("<svg onload=alert('svg')></svg> Session theft.")
    page.get_by_label("Endpoint").fill("/api/v1/search")
    page.get_by_label("Parameter").fill("q")
    page.get_by_label("Severity rating").select_option("medium")
    page.get_by_role("button", name="Submit the report").click()
    expect(page.get_by_text("is submitted. Thank you.")).to_be_visible()
    original = Report.objects.get(title="Reflected XSS in search")
    assert page.locator("a[href^='javascript:']").count() == 0

    # Another researcher reports the same thing later, in other words.
    other = make_researcher("eve")
    later = services.submit_report(
        other,
        services.ReportInput(
            title="Script injection through the search box",
            description="Requesting https://app.example.org/API/v1/search/?q=<x> runs script; "
            "the q parameter is echoed unescaped.",
            asset=program,
        ),
    )

    # The triager sees the suggestion, confirms the duplicate, triages, resolves, awards.
    triager = make_staff("trudy", ["security-triager"])
    staff_context = _signed_in_context(page, live_server, triager)
    staff = staff_context.new_page()
    staff.on("dialog", on_dialog)
    staff.on("console", browser_problems.on_console)
    staff.on("pageerror", browser_problems.on_page_error)
    staff.goto(f"{live_server.url}/security/reports/{later.pk}/")
    suggestions = staff.get_by_role("region", name="Possible duplicates")
    expect(suggestions.get_by_role("link", name=f"#{original.pk} Reflected XSS")).to_be_visible()
    staff.get_by_label("New state").select_option("duplicate")
    staff.get_by_label("Duplicate of report #").fill(str(original.pk))
    staff.get_by_label("Add this researcher").check()
    staff.get_by_role("button", name="Change state").click()
    expect(staff.get_by_text("The state is changed.")).to_be_visible()

    staff.goto(f"{live_server.url}/security/reports/{original.pk}/")
    expect(staff.get_by_text("Also reported by: eve")).to_be_visible()
    for state in ("triaged", "resolved"):
        staff.get_by_label("New state").select_option(state)
        staff.get_by_role("button", name="Change state").click()
        expect(staff.get_by_text("The state is changed.")).to_be_visible()
    expect(staff.locator("#bounty-range")).to_contain_text("300.00 to 1000.00 USD")
    staff.get_by_label("Amount").fill("500")
    staff.get_by_role("button", name="Award").click()
    expect(staff.get_by_text("Bounty of 500 USD awarded.")).to_be_visible()
    staff.get_by_role("button", name="Request disclosure").click()
    expect(staff.get_by_text("Disclosure is updated.")).to_be_visible()
    staff.screenshot(path=str(artifacts_dir / "disclosure-triage.png"), full_page=True)

    # The researcher sees the award and agrees to disclose.
    page.goto(f"{live_server.url}/security/reports/{original.pk}/")
    expect(page.get_by_role("region", name="Awards")).to_contain_text("500.00 USD")
    page.get_by_role("button", name="Agree to disclose").click()
    expect(page.get_by_text("Disclosure is updated.")).to_be_visible()

    # The public sees it, with the payloads inert, and its CSAF export validates.
    visitor = page.context.browser.new_page()  # type: ignore[union-attr]
    visitor.on("dialog", on_dialog)
    visitor.on("console", browser_problems.on_console)
    visitor.on("pageerror", browser_problems.on_page_error)
    visitor.goto(f"{live_server.url}/security/disclosed/")
    visitor.get_by_role("link", name=f"#{original.pk} Reflected XSS in search").click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Reflected XSS in search")
    expect(visitor.get_by_text("<script>alert('script')</script>")).to_be_visible()
    visitor.get_by_text("click me").click()  # the sanitizer dropped its javascript: address
    inert = "a[href^='javascript:'], [onerror], [onload], main script"
    assert visitor.locator(inert).count() == 0
    visitor.screenshot(path=str(artifacts_dir / "disclosure-public.png"), full_page=True)
    response = visitor.request.get(f"{live_server.url}/security/disclosed/{original.pk}/csaf.json")
    assert response.ok
    document = json.loads(response.text())
    assert document["document"]["tracking"]["id"] == f"SAFEHARBOR-VDP-{original.pk}"
    try:
        from csaf.csaf.v20 import validate
    except ImportError:  # the csaf package is a development extra
        pass
    else:
        assert validate(document, preset="mandatory").overall_valid

    # security.txt validates with sectxt.
    from sectxt import Parser

    text = visitor.request.get(f"{live_server.url}/.well-known/security.txt").body()
    parser = Parser(text, urls=f"{settings.SITE_URL}/.well-known/security.txt")
    assert parser.errors == []

    assert dialogs == []
    assert browser_problems.page_errors == []
    assert browser_problems.csp_violations == []
    assert browser_problems.console_errors == []
    staff_context.close()
