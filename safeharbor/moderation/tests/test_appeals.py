"""Appeals: the content owner appeals through the API within the window; a different reviewer
upholds or reverses; the outcome reaches the platform."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from safeharbor.core.models import AuditEvent
from safeharbor.moderation.models import (
    Appeal,
    AppealOutcome,
    Case,
    CaseState,
    Decision,
    DecisionAction,
    ModerationSettings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeals_client(make_api_client):
    return make_api_client("appeals:write", name="platform-appeals")


@pytest.fixture
def decided(send_report, cast, decision_form, django_capture_on_commit_callbacks) -> Decision:
    send_report(content_id="post-1", author_id="user-9")
    case = Case.objects.get()
    client = cast["moderator"].client
    client.post(f"/moderation/cases/{case.public_id}/claim/")
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(f"/moderation/cases/{case.public_id}/decide/", decision_form).status_code
            == 302
        )
    return Decision.objects.get()


def _appeal(api, decision: Decision, appellant: str = "user-9"):
    body = {
        "decision_id": str(decision.public_id),
        "appellant_id": appellant,
        "text": "It was a joke.",
    }
    return api.post("/api/v1/appeals", body)


def test_the_owner_appeals_and_the_case_returns_to_its_queue(appeals_client, decided) -> None:
    response = _appeal(appeals_client, decided)
    assert response.status_code == 201, response.content
    body = response.json()
    appeal = Appeal.objects.get()
    assert body["id"] == str(appeal.public_id)
    assert body["state"] == "open"
    case = Case.objects.get()
    assert case.state == CaseState.APPEALED
    assert case.claimed_by is None
    event = AuditEvent.objects.get(action="moderation.appeal_filed")
    assert event.actor_label == "api-key:platform-appeals"
    assert appeals_client.get(f"/api/v1/appeals/{appeal.public_id}").json()["state"] == "open"


def test_a_second_appeal_of_the_same_decision_is_a_conflict(appeals_client, decided) -> None:
    first = _appeal(appeals_client, decided).json()
    again = _appeal(appeals_client, decided)
    assert again.status_code == 409
    assert again.json()["type"] == "/api/v1/problems/conflict"
    assert again.json()["appeal_id"] == first["id"]


def test_only_the_content_owner_may_appeal(appeals_client, decided) -> None:
    response = _appeal(appeals_client, decided, appellant="user-1")
    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/not-content-owner"
    assert not Appeal.objects.exists()


def test_the_appeal_window_is_configurable_and_enforced(appeals_client, decided) -> None:
    ModerationSettings.objects.create(pk=1, appeal_window_days=7)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = _appeal(appeals_client, decided)
    assert response.status_code == 409
    assert response.json()["type"] == "/api/v1/problems/appeal-window-closed"
    assert "deadline" in response.json()
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert _appeal(appeals_client, decided).status_code == 201


def test_the_appeals_api_needs_its_scope_and_a_known_decision(
    appeals_client, make_api_client, decided, anon
) -> None:
    assert _appeal(make_api_client("reports:write"), decided).status_code == 403
    assert anon.post("/api/v1/appeals", {}, content_type="application/json").status_code == 401
    missing = appeals_client.post(
        "/api/v1/appeals",
        {"decision_id": "00000000-0000-0000-0000-000000000000", "appellant_id": "x", "text": "y"},
    )
    assert missing.status_code == 404
    malformed = appeals_client.post("/api/v1/appeals", {"decision_id": "nope"})
    assert malformed.status_code == 422


def _claim_appeal(member) -> Case:
    case = Case.objects.get()
    assert member.client.post(f"/moderation/cases/{case.public_id}/claim/").status_code == 302
    return case


def test_the_reviewer_who_decided_cannot_decide_the_appeal(appeals_client, decided, cast) -> None:
    _appeal(appeals_client, decided)
    case = _claim_appeal(cast["moderator"])
    page = cast["moderator"].client.get(f"/moderation/cases/{case.public_id}/").content.decode()
    assert "a different reviewer must decide the appeal" in page
    response = cast["moderator"].client.post(
        f"/moderation/cases/{case.public_id}/appeal/",
        {"outcome": "reverse", "explanation": "I changed my mind."},
    )
    assert response.status_code == 409
    assert Appeal.objects.get().state == "open"


def test_a_second_moderator_reverses_and_the_platform_receives_it(
    appeals_client,
    decided,
    second_moderator,
    platform_endpoint,
    receiver,
    django_capture_on_commit_callbacks,
) -> None:
    _appeal(appeals_client, decided)
    case = _claim_appeal(second_moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = second_moderator.client.post(
            f"/moderation/cases/{case.public_id}/appeal/",
            {"outcome": "reverse", "explanation": "Satire, not spam."},
        )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.outcome == AppealOutcome.REVERSE
    assert appeal.decided_by == second_moderator.user
    reversal = appeal.outcome_decision
    assert reversal is not None
    assert reversal.corrects == decided
    assert reversal.action == DecisionAction.NO_VIOLATION
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    event = AuditEvent.objects.get(action="moderation.appeal_decided")
    assert event.actor == second_moderator.user
    assert event.details["outcome"] == "reverse"
    [payload] = receiver.verified(platform_endpoint.secret)
    assert payload["type"] == "moderation.appeal_decided"
    assert payload["data"]["outcome"] == "reverse"
    assert payload["data"]["decision_id"] == str(decided.public_id)
    assert payload["data"]["new_decision"]["action"] == "no_violation"
    assert "reversed" in payload["data"]["notices"]["content_owner"]["text"]
    status = appeals_client.get(f"/api/v1/appeals/{appeal.public_id}").json()
    assert status["outcome"] == "reverse"
    assert status["new_decision_id"] == str(reversal.public_id)


def test_an_upheld_appeal_keeps_the_decision(
    appeals_client, decided, second_moderator, django_capture_on_commit_callbacks
) -> None:
    _appeal(appeals_client, decided)
    case = _claim_appeal(second_moderator)
    second_moderator.client.post(
        f"/moderation/cases/{case.public_id}/appeal/",
        {"outcome": "uphold", "explanation": "Clearly spam."},
    )
    appeal = Appeal.objects.get()
    assert appeal.outcome == AppealOutcome.UPHOLD
    assert appeal.outcome_decision is None
    assert Decision.objects.count() == 1
    # Decided once: it cannot be appealed again.
    assert _appeal(appeals_client, decided).status_code == 409
