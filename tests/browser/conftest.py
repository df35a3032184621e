"""Fixtures for browser tests: a headless Debian Chromium driven by Playwright, with every console
error, page error and Content-Security-Policy violation recorded for the test to check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from playwright.sync_api import ConsoleMessage, Error, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class BrowserProblems:
    """What went wrong in the page while the test drove it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        text = f"{message.type}: {message.text} ({message.location['url']})"
        if _is_missing_favicon(message):
            self.ignored.append(text)
        # Chromium reports a CSP violation as a console error ("... violates the following
        # Content Security Policy directive ..."); warnings about CSP are kept too.
        elif message.type == "error" or "Content Security Policy" in message.text:
            self.console_errors.append(text)

    def on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    @property
    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]


def _is_missing_favicon(message: ConsoleMessage) -> bool:
    """Chromium asks every site for /favicon.ico, which the app does not serve yet. Any other
    failed load (a stylesheet, a script) still counts as an error."""
    return (
        message.text.startswith("Failed to load resource")
        and urlsplit(message.location["url"]).path == "/favicon.ico"
    )


@pytest.fixture
def artifacts_dir(pytestconfig: pytest.Config) -> Path:
    """artifacts/browser/ at the project root (git-ignored), for screenshots."""
    path = pytestconfig.rootpath / "artifacts" / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch, browser_problems: BrowserProblems) -> Iterator[Page]:
    """A fresh page in headless Chromium; skips when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    # Playwright's sync API keeps an event loop running in this thread, so Django would refuse
    # ORM calls from the test itself; the live server runs in its own thread and is unaffected.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en")
        context.set_default_timeout(10_000)
        new_page = context.new_page()
        new_page.on("console", browser_problems.on_console)
        new_page.on("pageerror", browser_problems.on_page_error)
        try:
            yield new_page
        finally:
            context.close()
            browser.close()
            # ORM calls made while Playwright's loop runs get connections of their own context;
            # close them here, in that context, or PostgreSQL cannot drop the test database.
            connections.close_all()
