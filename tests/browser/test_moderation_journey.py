"""The trust & safety journey end to end, in a real Chromium against the live server: a public
report lands in the right queue, a moderator claims it (media blurred), decides with a statement
of reasons, the platform's receiver gets a signed webhook, the owner appeals through the API, a
second moderator reverses, and the receiver gets the reversal."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from standardwebhooks import Webhook

from safeharbor.accounts.services import create_api_key
from safeharbor.core.models import AuditEvent, WebhookEndpoint
from safeharbor.core.testing.cast import make_staff, signed_in_client
from safeharbor.core.testing.webhook_receiver import WebhookReceiver
from safeharbor.core.webhooks import new_secret
from safeharbor.moderation.models import Appeal, Case, CaseState, Decision
from safeharbor.moderation.reference import load_reference_data
from tests.browser.conftest import BrowserProblems

pytestmark = pytest.mark.browser

POST_URL = "https://platform.example/p/4711"


@pytest.fixture
def receiver(settings: Any) -> Any:
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True  # the receiver runs on 127.0.0.1
    local = WebhookReceiver().start()
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "crimson").save(out, format="PNG")
    local.media["/media/4711.png"] = ("image/png", out.getvalue())
    yield local
    local.stop()


def _sign_in(page: Page, live_server: LiveServer, user: Any) -> None:
    """The moderator's browser gets a session that passed password and second factor."""
    client: Client = signed_in_client(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _api(raw_key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw_key}"})


def test_report_review_decide_webhook_appeal_reverse(
    live_server: LiveServer,
    page: Page,
    receiver: WebhookReceiver,
    browser_problems: BrowserProblems,
    artifacts_dir: Path,
) -> None:
    load_reference_data()
    first = make_staff("mira", ["moderator"])
    second = make_staff("noor", ["moderator"])
    endpoint = WebhookEndpoint.objects.create(
        name="platform", url=receiver.url("/hooks/safeharbor"), secret=new_secret()
    )
    _key, platform_key = create_api_key(
        name="platform", scopes=["reports:write", "appeals:write"], actor=None
    )

    # 1. Someone reports a post through the public form, without an account.
    page.goto(f"{live_server.url}/moderation/report/")
    page.get_by_label("Address of the content").fill(POST_URL)
    page.get_by_label("Violent extremism").check()
    page.get_by_label("What kind of content is it?").select_option("image")
    page.get_by_label("Anything we should know (optional)").fill("Recruitment poster.")
    page.get_by_label("Your email address (optional)").fill("reporter@example.org")
    page.get_by_role("button", name="Send the report").click()
    expect(page).to_have_url(f"{live_server.url}/moderation/report/thanks/")
    case = Case.objects.get()
    assert case.queue.slug == "imminent-harm"  # routed by category

    # The platform's own classifier flags the same post, with its image and author.
    response = _api(platform_key).post(
        "/api/v1/reports",
        json.dumps(
            {
                "content_id": case.content_id,
                "category": "violent-extremism",
                "content_type": "image",
                "media_url": receiver.url("/media/4711.png"),
                "author_id": "user-311",
                "source": "automated",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content

    # 2. A moderator claims the next case of the queue: the media are blurred and grayscale.
    _sign_in(page, live_server, first)
    page.goto(f"{live_server.url}/moderation/queues/")
    page.get_by_role("link", name="Imminent harm").click()
    page.get_by_role("button", name="Claim the next case").click()
    expect(page).to_have_url(f"{live_server.url}/moderation/cases/{case.public_id}/")
    image = page.locator("figure.media img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "document.querySelector('figure.media img').complete"
        " && document.querySelector('figure.media img').naturalWidth > 0"
    )
    blurred = image.evaluate("element => getComputedStyle(element).filter")
    assert "blur(24px)" in blurred, blurred
    assert "grayscale(1)" in blurred, blurred
    page.screenshot(path=str(artifacts_dir / "moderation-review-blurred.png"), full_page=True)

    # Revealing is a logged click.
    page.get_by_role("button", name="Reveal media").click()
    expect(page.locator("figure.media")).to_have_class("media media-revealed")
    assert image.evaluate("element => getComputedStyle(element).filter") == "none"
    assert AuditEvent.objects.filter(action="moderation.media_revealed", actor=first).count() == 1

    # 3. Decide with the keyboard and a statement of reasons.
    page.locator("body").click()
    page.keyboard.press("2")
    expect(page.get_by_label("Remove", exact=True)).to_be_checked()
    page.get_by_label("Ground:", exact=True).select_option("DECISION_GROUND_ILLEGAL_CONTENT")
    page.get_by_label("Legal ground (the law)").fill("Regulation (EU) 2021/784, Art. 2(7)")
    page.get_by_label("Why the content is illegal under it").fill(
        "The poster solicits people to join a listed terrorist group."
    )
    page.get_by_label("Facts and circumstances").fill(
        "Image with the group's insignia and a recruitment call; flagged by a user and our "
        "classifier."
    )
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision is recorded and sent to the platform.")).to_be_visible()
    decision = Decision.objects.get()
    assert decision.decided_by == first

    # 4. The platform's receiver gets the signed decision.
    [delivery] = receiver.wait_for(1)
    assert delivery.path == "/hooks/safeharbor"
    payload = Webhook(endpoint.secret).verify(delivery.body, delivery.headers)
    assert payload["type"] == "moderation.decision"
    data = payload["data"]
    assert data["decision_id"] == str(decision.public_id)
    assert data["action"] == "remove"
    statement = data["statement_of_reasons"]
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["illegal_content_legal_ground"] == "Regulation (EU) 2021/784, Art. 2(7)"
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert data["notices"]["content_owner"]["recipient_id"] == "user-311"

    # 5. The owner appeals through the platform.
    appeal_response = _api(platform_key).post(
        "/api/v1/appeals",
        json.dumps(
            {
                "decision_id": data["decision_id"],
                "appellant_id": "user-311",
                "text": "It is a history lesson about that group, not recruitment.",
            }
        ),
        content_type="application/json",
    )
    assert appeal_response.status_code == 201, appeal_response.content
    assert Case.objects.get().state == CaseState.APPEALED

    # The first moderator may not decide their own appeal.
    page.goto(f"{live_server.url}/moderation/cases/{case.public_id}/")
    page.get_by_role("button", name="Claim this case").click()
    expect(page.get_by_text("a different reviewer must decide the appeal.")).to_be_visible()
    page.get_by_role("button", name="Release to the queue").click()

    # 6. A second moderator claims the appeal and reverses.
    _sign_in(page, live_server, second)
    page.goto(f"{live_server.url}/moderation/queues/imminent-harm/")
    page.get_by_role("button", name="Claim the next case").click()
    expect(page.get_by_role("heading", name="Appeal")).to_be_visible()
    page.get_by_label("Reversed").check()
    page.get_by_label("Reasons").fill("Educational context: the poster is shown to be criticised.")
    page.screenshot(path=str(artifacts_dir / "moderation-appeal.png"), full_page=True)
    page.get_by_role("button", name="Decide the appeal").click()
    expect(page.get_by_text("The appeal is decided")).to_be_visible()
    appeal = Appeal.objects.get()
    assert appeal.outcome == "reverse"
    assert appeal.decided_by == second

    # 7. The receiver gets the reversal, signed.
    received = receiver.wait_for(2)
    assert len(received) == 2
    reversal = Webhook(endpoint.secret).verify(received[1].body, received[1].headers)
    assert reversal["type"] == "moderation.appeal_decided"
    assert reversal["data"]["outcome"] == "reverse"
    assert reversal["data"]["new_decision"]["corrects"] == str(decision.public_id)
    page.screenshot(path=str(artifacts_dir / "moderation-reversed.png"), full_page=True)

    assert browser_problems.csp_violations == []
    assert browser_problems.console_errors == []
    assert browser_problems.page_errors == []
