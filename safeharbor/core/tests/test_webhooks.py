"""Outbound webhooks: signed with Standard Webhooks, retried with backoff, dead letters replayed
by administrators — against a local receiver, never the network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from safeharbor.accounts.sudo import SESSION_KEY as SUDO_SESSION_KEY
from safeharbor.core.models import AuditEvent, DeliveryState, WebhookDelivery, WebhookEndpoint
from safeharbor.core.testing.matrix import assert_access
from safeharbor.core.testing.webhook_receiver import WebhookReceiver
from safeharbor.core.webhooks import (
    BACKOFF,
    MAX_ATTEMPTS,
    attempt_delivery,
    deliver_due_webhooks,
    emit_event,
    new_secret,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings) -> Iterator[WebhookReceiver]:
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    local = WebhookReceiver().start()
    yield local
    local.stop()


@pytest.fixture
def endpoint(receiver: WebhookReceiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(name="platform", url=receiver.url(), secret=new_secret())


def emit(capture, event_type: str = "moderation.decision", **data) -> list[WebhookDelivery]:
    with capture(execute=True):
        deliveries = emit_event(event_type, data or {"decision_id": "d-1"})
    return deliveries


def test_an_event_is_delivered_signed_with_standard_webhooks(
    endpoint, receiver, django_capture_on_commit_callbacks
) -> None:
    [delivery] = emit(django_capture_on_commit_callbacks, decision_id="d-1", at=timezone.now())
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status == 204
    [received] = receiver.received
    assert received.headers["webhook-id"] == delivery.message_id
    assert received.headers["content-type"] == "application/json"
    payload = Webhook(endpoint.secret).verify(received.body, received.headers)
    assert payload["type"] == "moderation.decision"
    assert payload["data"]["decision_id"] == "d-1"
    assert isinstance(payload["data"]["at"], str)  # dates travel as ISO 8601
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(received.body, received.headers)


def test_nothing_is_stored_or_sent_without_an_interested_endpoint(
    receiver, django_capture_on_commit_callbacks
) -> None:
    WebhookEndpoint.objects.create(
        name="other", url=receiver.url(), secret=new_secret(), event_types=["other.event"]
    )
    WebhookEndpoint.objects.create(
        name="off", url=receiver.url(), secret=new_secret(), enabled=False
    )
    assert emit(django_capture_on_commit_callbacks) == []
    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_it_is_sent_only_after_the_transaction_commits(endpoint, receiver) -> None:
    emit_event("moderation.decision", {"x": 1})  # the test's transaction never commits
    assert receiver.received == []
    assert WebhookDelivery.objects.get().state == DeliveryState.PENDING


def test_failures_back_off_then_become_a_dead_letter(
    endpoint, receiver, django_capture_on_commit_callbacks
) -> None:
    receiver.statuses = [500] * MAX_ATTEMPTS
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        [delivery] = emit(django_capture_on_commit_callbacks)
    waits = []
    moment = start
    for wait in BACKOFF:
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.PENDING
        assert delivery.next_attempt_at is not None
        waits.append(delivery.next_attempt_at - moment)
        # Not due yet: nothing is sent.
        with time_machine.travel(moment + wait - timedelta(seconds=1), tick=False):
            assert attempt_delivery(delivery.pk) == DeliveryState.PENDING
        moment = moment + wait
        with time_machine.travel(moment, tick=False):
            attempt_delivery(delivery.pk)
    assert (
        waits
        == list(BACKOFF)
        == [
            timedelta(minutes=1),
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=2),
            timedelta(hours=12),
        ]
    )
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == MAX_ATTEMPTS == 6
    assert delivery.next_attempt_at is None
    assert "500" in delivery.last_error
    assert len(receiver.received) == 6
    # Every attempt carries the same id and its own valid signature.
    assert {item.headers["webhook-id"] for item in receiver.received} == {delivery.message_id}
    timestamps = [int(item.headers["webhook-timestamp"]) for item in receiver.received]
    assert timestamps == sorted(timestamps)
    assert len(set(timestamps)) == 6
    dead = AuditEvent.objects.get(action="core.webhook_dead")
    assert dead.target_id == str(delivery.pk)
    assert dead.details["attempts"] == 6


def test_a_delivered_or_dead_delivery_is_never_sent_again(
    endpoint, receiver, django_capture_on_commit_callbacks
) -> None:
    [delivery] = emit(django_capture_on_commit_callbacks)
    assert attempt_delivery(delivery.pk) == DeliveryState.DELIVERED
    assert deliver_due_webhooks() == 0
    assert len(receiver.received) == 1
    assert attempt_delivery(999_999) == "missing"


def test_the_sweeper_sends_what_is_due(endpoint, receiver) -> None:
    emit_event("moderation.decision", {"x": 1})  # its task never ran (no commit)
    assert deliver_due_webhooks() == 1
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


def test_an_address_inside_the_network_is_refused_unless_allowed(
    endpoint, receiver, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = False
    [delivery] = emit(django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert "Refused to connect" in delivery.last_error
    assert receiver.received == []


def _dead_delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        message_id="msg_dead1",
        endpoint=endpoint,
        event_type="moderation.decision",
        payload={"type": "moderation.decision", "timestamp": "2026-01-01T00:00:00Z", "data": {}},
        state=DeliveryState.DEAD,
        attempts=MAX_ATTEMPTS,
        last_error="The endpoint answered 500.",
    )


def test_an_admin_replays_a_dead_letter_and_it_is_audited(
    endpoint, receiver, cast, django_capture_on_commit_callbacks
) -> None:
    delivery = _dead_delivery(endpoint)
    page = cast["admin"].client.get("/webhooks/")
    assert page.status_code == 200
    assert "msg_dead1" in page.content.decode()  # dead letters are listed by default
    with django_capture_on_commit_callbacks(execute=True):
        response = cast["admin"].client.post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert receiver.received[0].headers["webhook-id"] == "msg_dead1"
    Webhook(endpoint.secret).verify(receiver.received[0].body, receiver.received[0].headers)
    event = AuditEvent.objects.get(action="core.webhook_replayed")
    assert event.actor == cast["admin"].user
    assert event.target_id == str(delivery.pk)


def test_a_failed_replay_is_a_dead_letter_again(
    endpoint, receiver, cast, django_capture_on_commit_callbacks
) -> None:
    delivery = _dead_delivery(endpoint)
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        cast["admin"].client.post(f"/webhooks/deliveries/{delivery.pk}/replay/")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == MAX_ATTEMPTS + 1


def test_only_dead_letters_can_be_replayed(endpoint, cast) -> None:
    delivery = _dead_delivery(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.DELIVERED)
    response = cast["admin"].client.post(f"/webhooks/deliveries/{delivery.pk}/replay/", follow=True)
    assert "Only dead letters can be replayed." in response.content.decode()
    assert not AuditEvent.objects.filter(action="core.webhook_replayed").exists()


def test_webhook_pages_are_for_administrators_only(endpoint, cast) -> None:
    delivery = _dead_delivery(endpoint)
    admin_only = {"admin"}
    assert_access(cast, "get", "/webhooks/", allowed=admin_only)
    assert_access(cast, "get", "/webhooks/endpoints/new/", allowed=admin_only)
    assert_access(cast, "get", f"/webhooks/endpoints/{endpoint.pk}/", allowed=admin_only)
    assert_access(
        cast,
        "post",
        f"/webhooks/deliveries/{delivery.pk}/replay/",
        allowed=admin_only,
        allowed_status=302,
    )


def test_an_admin_adds_an_endpoint_after_confirming_identity(cast) -> None:
    client = cast["admin"].client
    form = {"name": "Platform", "url": "https://platform.example/hooks", "enabled": "on"}
    form["event_types"] = "moderation.decision, moderation.appeal_decided"
    first = client.post("/webhooks/endpoints/new/", form)
    assert first.status_code == 302
    assert "/accounts/sudo/" in first["Location"]
    assert not WebhookEndpoint.objects.exists()
    session = client.session
    session[SUDO_SESSION_KEY] = timezone.now().timestamp() + 600
    session.save()
    assert client.post("/webhooks/endpoints/new/", form).status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    Webhook(endpoint.secret)  # a valid Standard Webhooks secret
    assert endpoint.event_types == ["moderation.appeal_decided", "moderation.decision"]
    event = AuditEvent.objects.get(action="core.webhook_endpoint_created")
    assert endpoint.secret not in json.dumps(event.details)
    bad = client.post("/webhooks/endpoints/new/", {**form, "url": "ftp://x.example/"})
    assert bad.status_code == 400
