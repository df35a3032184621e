"""A researcher chooses a password at registration: the strength meter updates as they type,
explains why a password is refused, and the show-password button reveals what they typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from safeharbor.accounts.models import User
from tests.browser.conftest import BrowserProblems

pytestmark = pytest.mark.browser


def test_the_meter_guides_a_researcher_to_a_strong_password(
    live_server: LiveServer,
    page: Page,
    browser_problems: BrowserProblems,
    artifacts_dir: Path,
) -> None:
    page.goto(f"{live_server.url}/accounts/register/")
    page.get_by_label("Handle").fill("hopper")
    page.get_by_label("Email").fill("hopper@example.org")
    password = page.locator("#id_password")
    meter = page.locator("#id_password-meter")

    password.fill("hopper123")
    expect(meter).to_contain_text("Not accepted")
    expect(meter).to_contain_text("Use at least 15 characters")
    expect(meter).to_contain_text("hopper")  # the handle is a context word

    toggle = page.get_by_role("button", name="Show")
    toggle.click()
    expect(password).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide")).to_have_attribute("aria-pressed", "true")

    password.fill("tangerine submarine orchestra")
    expect(meter).to_contain_text("Very strong")
    expect(meter.locator("meter")).to_have_attribute("value", "4")
    page.screenshot(path=str(artifacts_dir / "password-meter.png"), full_page=True)

    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/verify/sent/")
    assert User.objects.filter(username="hopper").exists()
    assert browser_problems.csp_violations == []
    assert browser_problems.page_errors == []
    assert browser_problems.console_errors == []
