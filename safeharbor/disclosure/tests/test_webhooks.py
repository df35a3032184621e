"""Webhook notifications of the VDP: signed Standard Webhooks deliveries to the configured
endpoints, sent after commit, with compact payloads that never carry internal notes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from standardwebhooks import Webhook, WebhookVerificationError

from safeharbor.core.models import WebhookDelivery, WebhookEndpoint
from safeharbor.core.testing.webhook_receiver import WebhookReceiver
from safeharbor.core.webhooks import new_secret
from safeharbor.disclosure import services
from safeharbor.disclosure.transitions import Actor

pytestmark = pytest.mark.django_db
SITE = "https://security.example.org"


@pytest.fixture
def receiver(settings: Any) -> Iterator[WebhookReceiver]:
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.SITE_URL = SITE
    local = WebhookReceiver().start()
    yield local
    local.stop()


@pytest.fixture
def endpoint(receiver: WebhookReceiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(name="tracker", url=receiver.url(), secret=new_secret())


def _events(receiver: WebhookReceiver, endpoint: WebhookEndpoint) -> list[dict[str, Any]]:
    """Every webhook received, each verified with the Standard Webhooks library."""
    return [Webhook(endpoint.secret).verify(item.body, item.headers) for item in receiver.received]


def test_the_life_of_a_report_arrives_as_signed_webhooks(
    endpoint, receiver, researcher, triager, make_report, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(researcher, title="Open redirect on login")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_state(report, "triaged", actor=triager.user, by=Actor.TEAM)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(report, "Confirmed, fixing.", actor=triager.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.award_bounty(report, amount=Decimal("300"), currency="EUR", actor=triager.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_state(report, "resolved", actor=triager.user, by=Actor.TEAM)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_disclosure(report, kind="full", actor=triager.user, by=Actor.TEAM)
        services.agree_disclosure(report, actor=researcher.user, by=Actor.RESEARCHER)

    events = _events(receiver, endpoint)
    assert [e["type"] for e in events] == [
        "vdp.report_submitted",
        "vdp.report_state_changed",
        "vdp.comment_added",
        "vdp.bounty_awarded",
        "vdp.report_state_changed",
        "vdp.report_disclosed",
    ]
    submitted = events[0]["data"]
    assert submitted == {
        "report_id": report.pk,
        "title": "Open redirect on login",
        "state": "new",
        "severity": "medium",
        "asset": "app.example.org",
        "researcher": services.ensure_profile(researcher.user).handle,
        "url": SITE + reverse("disclosure:report_detail", args=[report.pk]),
    }
    triaged = events[1]["data"]
    assert (triaged["from"], triaged["to"], triaged["state"]) == ("new", "triaged", "triaged")
    assert events[2]["data"]["by"] == "team"
    assert "Confirmed, fixing." not in str(events[2])
    bounty = events[3]["data"]
    assert (bounty["amount"], bounty["currency"], bounty["kind"]) == ("300", "EUR", "bounty")
    disclosed = events[5]["data"]
    assert disclosed["url"] == SITE + reverse("disclosure:report_public", args=[report.pk])
    assert disclosed["csaf_url"] == SITE + reverse("disclosure:report_csaf", args=[report.pk])
    assert disclosed["disclosure_kind"] == "full"
    # Every delivery has its own id, signed with the endpoint's secret only.
    assert len({item.headers["webhook-id"] for item in receiver.received}) == len(events)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(receiver.received[0].body, receiver.received[0].headers)


def test_an_internal_note_produces_no_event(
    endpoint, receiver, researcher, triager, make_report, django_capture_on_commit_callbacks
) -> None:
    report = make_report(researcher)
    before = WebhookDelivery.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(
            report, "Secret: the fix lands on db-7.corp", actor=triager.user, internal=True
        )
    assert WebhookDelivery.objects.count() == before
    assert all(b"db-7.corp" not in item.body for item in receiver.received)
    assert all(e["type"] != "vdp.comment_added" for e in _events(receiver, endpoint))


def test_a_researchers_public_comment_is_announced_without_its_text(
    endpoint, receiver, researcher, make_report, django_capture_on_commit_callbacks
) -> None:
    report = make_report(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.add_comment(report, "Here is a second PoC.", actor=researcher.user)
    [event] = [e for e in _events(receiver, endpoint) if e["type"] == "vdp.comment_added"]
    assert event["data"]["comment_id"] == comment.pk
    assert event["data"]["by"] == "researcher"
    assert b"second PoC" not in receiver.received[-1].body


def test_an_endpoint_gets_only_the_vdp_events_it_asked_for(
    receiver, researcher, triager, make_report, django_capture_on_commit_callbacks
) -> None:
    chosen = WebhookEndpoint.objects.create(
        name="chosen",
        url=receiver.url(),
        secret=new_secret(),
        event_types=["vdp.report_state_changed"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(researcher)
        services.change_state(report, "triaged", actor=triager.user, by=Actor.TEAM)
    assert [e["type"] for e in _events(receiver, chosen)] == ["vdp.report_state_changed"]


def test_a_failed_change_emits_nothing(endpoint, researcher, make_report) -> None:
    report = make_report(researcher)
    before = WebhookDelivery.objects.count()
    with pytest.raises(services.TransitionRefused):
        services.change_state(report, "resolved", actor=None, by=Actor.RESEARCHER)
    assert WebhookDelivery.objects.count() == before
