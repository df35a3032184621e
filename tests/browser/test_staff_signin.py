"""A new staff member signs in for the first time: password, forced MFA enrolment, recovery
codes, then the dashboard — in a real Chromium against the live server."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from safeharbor.accounts.models import User
from safeharbor.accounts.services import create_staff_user, ensure_roles
from safeharbor.core.models import AuditEvent
from tests.browser.conftest import BrowserProblems

pytestmark = pytest.mark.browser

USERNAME = "alice"
PASSWORD = "a long test passphrase 42"


@pytest.fixture
def alice(live_server: LiveServer) -> User:
    """An administrator with a password and no second factor yet."""
    ensure_roles()
    return create_staff_user(
        username=USERNAME,
        email="alice@example.org",
        role_slugs=["admin"],
        actor=None,
        password=PASSWORD,
    )


def test_staff_member_enrols_mfa_and_reaches_the_dashboard(
    live_server: LiveServer,
    alice: User,
    page: Page,
    browser_problems: BrowserProblems,
    artifacts_dir: Path,
) -> None:
    mfa_setup_url = f"{live_server.url}/accounts/mfa/setup/"

    # Password step: staff without a second factor are sent to enrol one.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(mfa_setup_url)

    # No staff page before enrolling: the dashboard sends them straight back.
    page.goto(f"{live_server.url}/dashboard/")
    expect(page).to_have_url(mfa_setup_url)
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "staff-mfa-setup.png", full_page=True)

    # Enrol: type the key by hand into "the app" and enter the code it shows.
    secret = page.locator("code#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    # Recovery codes are shown once, then the person continues to where they were going.
    expect(page).to_have_url(f"{live_server.url}/accounts/mfa/recovery-codes/")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    shown = codes.all_inner_texts()
    assert len(set(shown)) == 10
    assert all(re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", code) for code in shown), shown
    page.get_by_role("link", name="I have saved my codes — continue").click()

    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    admin_card = page.get_by_role("region", name="Administrator")
    expect(admin_card).to_be_visible()
    expect(admin_card.get_by_role("heading", name="Administrator")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Audit log")).to_be_visible()
    page.screenshot(path=artifacts_dir / "staff-signin-dashboard.png", full_page=True)

    assert browser_problems.csp_violations == []
    assert browser_problems.console_errors == []
    assert browser_problems.page_errors == []

    # The audit log holds the enrolment and the completed, two-factor sign-in.
    events = AuditEvent.objects.filter(actor=alice, target_id=str(alice.pk))
    enrolled = events.filter(action="accounts.mfa_enrolled")
    logins = events.filter(action="accounts.login")
    assert enrolled.count() == 1
    assert logins.count() == 1
    assert logins.get().details == {"mfa": True}
    assert enrolled.get().actor_label == USERNAME
