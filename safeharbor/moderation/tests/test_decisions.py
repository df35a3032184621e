"""Decisions: only the claimant decides, statements of reasons are validated as the DSA asks,
decisions never change, and each one reaches the platform as a signed webhook with notices."""

from __future__ import annotations

import pytest
from django.core import mail

from safeharbor.core.models import AuditEvent, DeliveryState, WebhookDelivery
from safeharbor.moderation import dsa
from safeharbor.moderation.forms import PublicReportForm
from safeharbor.moderation.models import Case, CaseState, Decision, ImmutableError, Notice
from safeharbor.moderation.services import submit_report
from safeharbor.moderation.statements import transparency_database_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(send_report) -> Case:
    send_report(
        content_id="post-1",
        category="spam",
        author_id="user-9",
        reporter_id="user-1",
        content_language="de-AT",
        content_type="text",
    )
    return Case.objects.get()


def _claim(member, case: Case) -> None:
    assert member.client.post(f"/moderation/cases/{case.public_id}/claim/").status_code == 302


def _decide(member, case: Case, form: dict, capture=None):
    url = f"/moderation/cases/{case.public_id}/decide/"
    if capture is None:
        return member.client.post(url, form)
    with capture(execute=True):
        return member.client.post(url, form)


def test_the_claimant_decides_and_the_platform_receives_a_signed_statement(
    case, cast, decision_form, platform_endpoint, receiver, django_capture_on_commit_callbacks
) -> None:
    moderator = cast["moderator"]
    _claim(moderator, case)
    response = _decide(moderator, case, decision_form, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED
    assert case.claimed_by is None
    decision = Decision.objects.get()
    assert decision.decided_by == moderator.user
    assert decision.decision_visibility == [dsa.DecisionVisibility.CONTENT_REMOVED]  # implied
    event = AuditEvent.objects.get(action="moderation.decision_made")
    assert event.actor == moderator.user
    assert event.details["decision"] == str(decision.public_id)
    [payload] = receiver.verified(platform_endpoint.secret)
    assert payload["type"] == "moderation.decision"
    data = payload["data"]
    assert data["decision_id"] == str(decision.public_id)
    assert data["action"] == "remove"
    assert data["content_id"] == "post-1"
    statement = data["statement_of_reasons"]
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement["incompatible_content_ground"] == "Terms of service 4.2 (spam)"
    assert statement["territorial_scope"] == ["DE", "FR", "ES"]
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    owner = data["notices"]["content_owner"]
    assert owner["recipient_id"] == "user-9"
    assert "Terms of service 4.2" in owner["text"]
    assert "You may appeal this decision until" in owner["text"]
    assert data["notices"]["reporters"][0]["reporter_id"] == "user-1"
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED


@pytest.mark.parametrize("who", ["nobody", "other"])
def test_a_decision_on_a_case_not_claimed_by_you_is_a_conflict(
    case, cast, decision_form, second_moderator, who
) -> None:
    if who == "other":
        _claim(second_moderator, case)
    response = _decide(cast["moderator"], case, decision_form)
    assert response.status_code == 409
    assert "Only the reviewer who holds this case may decide it." in response.content.decode()
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {
                "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
                "illegal_content_legal_ground": "",
            },
            "illegal_content_legal_ground",
            "illegal content needs a legal ground",
        ),
        (
            {
                "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
                "illegal_content_legal_ground": "StGB § 130",
                "illegal_content_explanation": "",
            },
            "illegal_content_explanation",
            "Explain why the content is illegal",
        ),
        ({"incompatible_content_ground": ""}, "incompatible_content_ground", "Cite the clause"),
        ({"decision_ground": ""}, "decision_ground", "Choose the ground"),
        ({"decision_facts": ""}, "decision_facts", "This field is required."),
        ({"territorial_scope": []}, "territorial_scope", "Choose where the restriction applies"),
        (
            {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
            "decision_visibility_other",
            "Describe the other visibility restriction",
        ),
        (
            {"action": "no_violation", "decision_account": "DECISION_ACCOUNT_SUSPENDED"},
            "action",
            "cannot restrict anything",
        ),
    ],
)
def test_statements_of_reasons_are_validated_as_the_dsa_requires(
    case, cast, decision_form, changes, field, message
) -> None:
    _claim(cast["moderator"], case)
    response = _decide(cast["moderator"], case, {**decision_form, **changes})
    assert response.status_code == 400
    form = response.context["decision_form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert not Decision.objects.exists()


def test_an_illegal_content_decision_with_its_legal_ground_is_accepted(
    case, cast, decision_form
) -> None:
    _claim(cast["moderator"], case)
    form = {
        **decision_form,
        "action": "suspend",
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": "StGB § 263 (fraud)",
        "illegal_content_explanation": "The post solicits payments for goods never delivered.",
        "automated_detection": "on",
    }
    assert _decide(cast["moderator"], case, form).status_code == 302
    decision = Decision.objects.get()
    assert decision.decision_account == dsa.DecisionAccount.SUSPENDED
    assert decision.decision_visibility == []
    statement = transparency_database_statement(decision)
    assert statement["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert statement["automated_detection"] == "Yes"
    assert "incompatible_content_ground" not in statement


def test_no_violation_closes_the_review_without_a_statement(case, cast, decision_form) -> None:
    _claim(cast["moderator"], case)
    form = {"action": "no_violation", "policy": "spam", "decision_facts": "An ordinary post."}
    assert _decide(cast["moderator"], case, form).status_code == 302
    decision = Decision.objects.get()
    assert not decision.restricts
    url = f"/moderation/decisions/{decision.public_id}/statement.json"
    assert cast["moderator"].client.get(url).status_code == 404


def test_escalate_moves_the_case_to_the_escalation_queue(case, cast, decision_form) -> None:
    _claim(cast["moderator"], case)
    response = _decide(cast["moderator"], case, {**decision_form, "action": "escalate"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.ESCALATED
    assert case.queue.is_escalation
    assert not Decision.objects.exists()


def test_decisions_are_immutable_and_corrections_are_new_decisions(
    case, cast, decision_form, platform_endpoint, receiver, django_capture_on_commit_callbacks
) -> None:
    moderator = cast["moderator"]
    _claim(moderator, case)
    _decide(moderator, case, decision_form, django_capture_on_commit_callbacks)
    first = Decision.objects.get()
    first.decision_facts = "rewritten"
    with pytest.raises(ImmutableError):
        first.save()
    with pytest.raises(ImmutableError):
        first.delete()
    correction = {**decision_form, "action": "label", "decision_facts": "A label suffices."}
    response = _decide(moderator, case, correction, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    second = Decision.objects.exclude(pk=first.pk).get()
    assert second.corrects == first
    assert second.decision_visibility == [dsa.DecisionVisibility.CONTENT_LABELLED]
    assert Decision.objects.get(pk=first.pk).decision_facts != "rewritten"
    assert AuditEvent.objects.filter(action="moderation.decision_corrected").count() == 1
    payloads = receiver.verified(platform_endpoint.secret)
    assert payloads[-1]["data"]["corrects"] == str(first.public_id)


def test_the_statement_exports_in_the_transparency_database_shape(
    case, cast, decision_form
) -> None:
    _claim(cast["moderator"], case)
    _decide(cast["moderator"], case, decision_form)
    decision = Decision.objects.get()
    response = cast["moderator"].client.get(
        f"/moderation/decisions/{decision.public_id}/statement.json"
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.json() == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Terms of service 4.2 (spam)",
        "incompatible_content_explanation": "Repeated identical commercial links.",
        "category": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_language": "DE",
        "content_date": case.opened_at.date().isoformat(),
        "application_date": decision.created_at.date().isoformat(),
        "territorial_scope": ["DE", "FR", "ES"],
        "decision_facts": "The post repeats the same link forty times.",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": str(decision.public_id),
    }


def test_a_reporter_who_left_an_email_gets_the_notice_once(
    taxonomy, cast, decision_form, django_capture_on_commit_callbacks
) -> None:
    form = PublicReportForm(
        {
            "content_url": "https://platform.example/p/1",
            "category": "spam",
            "content_type": "text",
            "reporter_email": "rita@example.org",
        }
    )
    assert form.is_valid(), form.errors
    submit_report(form.report_data())
    case = Case.objects.get()
    _claim(cast["moderator"], case)
    _decide(cast["moderator"], case, decision_form, django_capture_on_commit_callbacks)
    assert [message.to for message in mail.outbox] == [["rita@example.org"]]
    assert "Terms of service 4.2" in mail.outbox[0].body
    from safeharbor.moderation.tasks import send_decision_notices

    assert send_decision_notices.enqueue(Decision.objects.get().pk).return_value == 0
    assert len(mail.outbox) == 1
    assert Notice.objects.get().sent_at is not None
