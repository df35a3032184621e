"""Every change to the disclosure program happens here: atomic, audited, with follow-up tasks
enqueued after commit. Views and API operations validate input and call one of these."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from safeharbor.accounts.models import User
from safeharbor.core.audit import record_audit
from safeharbor.core.webhooks import emit_event
from safeharbor.disclosure import tasks
from safeharbor.disclosure.attachments import (
    MAX_ATTACHMENTS_PER_REPORT,
    AttachmentRefused,
    check_upload,
)
from safeharbor.disclosure.duplicates import index_reports
from safeharbor.disclosure.models import (
    ActivityEvent,
    ActivityKind,
    Asset,
    Attachment,
    Bounty,
    BountyKind,
    BountyRange,
    BountyTable,
    Comment,
    DisclosureKind,
    DisclosureMode,
    DisclosureState,
    Payout,
    PayoutStatus,
    Program,
    Report,
    ReportState,
    ResearcherProfile,
    Weakness,
)
from safeharbor.disclosure.reputation import standing
from safeharbor.disclosure.severity import ScoredSeverity, capped
from safeharbor.disclosure.sla import add_business_days
from safeharbor.disclosure.transitions import Actor, transition_refusal

STALE_AFTER = timedelta(days=30)
SECURITY_TXT_MAX_AHEAD = timedelta(days=365)


class DisclosureError(ValueError):
    """A request that cannot be carried out; the message is shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TransitionRefused(DisclosureError):
    """The state change is not in the transition table (HTTP 409)."""


class SubmissionRefused(DisclosureError):
    """The program does not accept this researcher's report now (closed, reputation)."""


class RateLimited(DisclosureError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- Program, bounty table, scope -----------------------------------------------------------


def current_program() -> Program:
    program = Program.objects.filter(pk=1).first()
    if program is None:
        program, _ = Program.objects.get_or_create(
            pk=1, defaults={"security_txt_expires": timezone.now() + timedelta(days=364)}
        )
    return program


PROGRAM_FIELDS = (
    "name",
    "policy",
    "safe_harbor_authorization",
    "safe_harbor_dmca",
    "safe_harbor_terms_waiver",
    "safe_harbor_good_faith",
    "safe_harbor_statement",
    "disclosure_mode",
    "disclosure_delay_days",
    "first_response_days",
    "triage_days",
    "bounty_days",
    "resolution_days",
    "offers_bounties",
    "submissions_open",
    "min_reputation_to_submit",
    "submissions_per_hour",
    "preferred_languages",
    "contact_email",
    "encryption_key_url",
    "security_txt_expires",
)


def update_program(
    data: dict[str, Any], *, actor: User | None, request: HttpRequest | None = None
) -> Program:
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=current_program().pk)
        changed = {}
        for name in PROGRAM_FIELDS:
            if name in data and getattr(program, name) != data[name]:
                changed[name] = data[name]
                setattr(program, name, data[name])
        if changed:
            program.save()
            record_audit(
                "disclosure.program_updated",
                actor=actor,
                request=request,
                target=program,
                details={"fields": sorted(changed)},
            )
    return program


def save_signed_security_txt(
    signed: str,
    generated: str,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> Program:
    """Keep a cleartext-signed copy of security.txt (empty: remove it). It must sign exactly the
    text Safeharbor generates now; SignatureRefused says what is wrong otherwise."""
    from safeharbor.disclosure.security_txt import SignatureRefused, same_text, signed_text

    signed = signed.strip()
    if signed and not same_text(signed_text(signed), generated):
        raise SignatureRefused(
            "The signed text differs from the security.txt Safeharbor serves now: sign the text "
            "shown on this page, unchanged."
        )
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=current_program().pk)
        program.security_txt_signed = signed + "\n" if signed else ""
        program.save(update_fields=["security_txt_signed", "updated_at"])
        record_audit(
            "disclosure.security_txt_signed" if signed else "disclosure.security_txt_unsigned",
            actor=actor,
            request=request,
            target=program,
        )
    return program


def current_bounty_table() -> BountyTable | None:
    return BountyTable.objects.prefetch_related("ranges").order_by("-version").first()


@dataclass(frozen=True)
class RangeInput:
    severity: str
    tier: int
    min_amount: Decimal
    max_amount: Decimal


def publish_bounty_table(
    *,
    currency: str,
    ranges: list[RangeInput],
    note: str = "",
    actor: User | None,
    request: HttpRequest | None = None,
) -> BountyTable:
    """Publish a new version; earlier versions stay as they were for the awards made under them."""
    for item in ranges:
        if item.min_amount < 0 or item.max_amount < item.min_amount:
            raise DisclosureError(
                f"{item.severity} tier {item.tier}: the range must run from 0 or more up to "
                "an amount at least as large."
            )
    with transaction.atomic():
        latest = BountyTable.objects.select_for_update().order_by("-version").first()
        table = BountyTable.objects.create(
            version=(latest.version + 1) if latest else 1,
            currency=currency.upper(),
            note=note,
            created_by=actor,
        )
        BountyRange.objects.bulk_create(
            BountyRange(
                table=table,
                severity=r.severity,
                tier=r.tier,
                min_amount=r.min_amount,
                max_amount=r.max_amount,
            )
            for r in ranges
        )
        record_audit(
            "disclosure.bounty_table_published",
            actor=actor,
            request=request,
            target=table,
            details={
                "version": table.version,
                "currency": table.currency,
                "ranges": [
                    [r.severity, r.tier, str(r.min_amount), str(r.max_amount)] for r in ranges
                ],
            },
        )
    return table


ASSET_FIELDS = (
    "asset_type",
    "identifier",
    "in_scope",
    "bounty_eligible",
    "max_severity",
    "tier",
    "instructions",
    "archived",
)


def save_asset(
    asset: Asset | None,
    data: dict[str, Any],
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> Asset:
    """Create an asset (``asset`` None) or change one; every change of scope is audited."""
    with transaction.atomic():
        creating = asset is None
        target = asset or Asset()
        # A ModelForm changes its instance while validating: compare with the stored row.
        stored = Asset.objects.filter(pk=target.pk).first() if target.pk else None
        before = {name: getattr(stored or Asset(), name) for name in ASSET_FIELDS}
        for name in ASSET_FIELDS:
            if name in data:
                setattr(target, name, data[name])
        duplicate = Asset.objects.filter(
            asset_type=target.asset_type, identifier=target.identifier
        ).exclude(pk=target.pk)
        if duplicate.exists():
            raise DisclosureError("This asset is in the list already.", field="identifier")
        target.save()
        changed = {n: getattr(target, n) for n in ASSET_FIELDS if before[n] != getattr(target, n)}
        if creating or changed:
            record_audit(
                "disclosure.asset_created" if creating else "disclosure.asset_updated",
                actor=actor,
                request=request,
                target=target,
                details={"changed": {k: str(v) for k, v in changed.items() if k != "instructions"}},
            )
    return target


# --- Researchers ----------------------------------------------------------------------------


def ensure_profile(user: User) -> ResearcherProfile:
    profile = ResearcherProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    base = slugify(user.username)[:32] or "researcher"
    handle = base
    while ResearcherProfile.objects.filter(handle=handle).exists():
        handle = f"{base}-{secrets.token_hex(2)}"
    profile, _ = ResearcherProfile.objects.get_or_create(user=user, defaults={"handle": handle})
    return profile


def update_profile(
    user: User,
    *,
    handle: str,
    public_profile: bool,
    hall_of_fame: bool,
    request: HttpRequest | None = None,
) -> ResearcherProfile:
    with transaction.atomic():
        profile = ensure_profile(user)
        if ResearcherProfile.objects.filter(handle=handle).exclude(pk=profile.pk).exists():
            raise DisclosureError("This handle is taken; choose another.", field="handle")
        profile.handle = handle
        profile.public_profile = public_profile
        profile.hall_of_fame = hall_of_fame
        profile.save()
        record_audit(
            "disclosure.profile_updated",
            actor=user,
            request=request,
            target=profile,
            details={"public_profile": public_profile, "hall_of_fame": hall_of_fame},
        )
    return profile


def recompute_reputation(user_id: int) -> ResearcherProfile:
    """Recompute a researcher's reputation, signal and impact from all their reports."""
    profile = ensure_profile(User.objects.get(pk=user_id))
    awarded = Bounty.objects.filter(report=OuterRef("pk"))
    reports = (
        Report.objects.filter(researcher_id=user_id, is_draft=False)
        .select_related("duplicate_of")
        .annotate(
            has_bounty=Exists(awarded),
            has_bonus=Exists(awarded.filter(bonus__gt=0)),
        )
    )
    reputation, signal, impact = standing(
        (report, report.has_bounty, report.has_bonus) for report in reports
    )
    ResearcherProfile.objects.filter(pk=profile.pk).update(
        reputation=reputation, signal=signal, impact=impact
    )
    profile.refresh_from_db()
    return profile


# --- Submission -----------------------------------------------------------------------------


@dataclass
class ReportInput:
    title: str
    description: str
    asset: Asset | None = None
    weakness: Weakness | None = None
    severity: ScoredSeverity = field(default_factory=lambda: ScoredSeverity(""))
    steps_to_reproduce: str = ""
    impact: str = ""
    endpoint: str = ""
    parameter: str = ""


@dataclass(frozen=True)
class Upload:
    """A file as the edge received it; its type is decided here from its content."""

    name: str
    size: int
    stream: Any  # a binary file object


def _actor_label(actor: User | None, request: HttpRequest | None) -> str:
    key = getattr(request, "auth", None) if request is not None else None
    if key is not None and hasattr(key, "audit_label"):
        return str(key.audit_label)
    if actor is not None:
        return actor.get_username()
    return "system"


def _event_data(report: Report, **extra: Any) -> dict[str, Any]:
    """The compact webhook payload of a report event: what a receiver needs to find the report,
    never report text, internal notes or attachments."""
    name = "disclosure:report_public" if report.is_disclosed else "disclosure:report_detail"
    return {
        "report_id": report.pk,
        "title": report.title,
        "state": report.state,
        "severity": report.severity,
        "asset": report.asset.identifier if report.asset else "",
        "researcher": _handle(report.researcher),
        "url": settings.SITE_URL + reverse(name, args=[report.pk]),
        **extra,
    }


def _log(
    report: Report,
    kind: str,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
    internal: bool = False,
    comment: Comment | None = None,
    details: dict[str, Any] | None = None,
) -> ActivityEvent:
    event = ActivityEvent.objects.create(
        report=report,
        kind=kind,
        actor=actor,
        actor_label=_actor_label(actor, request),
        internal=internal,
        comment=comment,
        details=details or {},
    )
    # The researcher hears of every public change the team makes, never of internal ones.
    by_researcher = actor is not None and actor.pk == report.researcher_id
    if not internal and not by_researcher and kind != ActivityKind.SUBMITTED:
        transaction.on_commit(lambda: tasks.notify_researcher.enqueue(event.pk))
    return event


def _check_asset(asset: Asset | None) -> None:
    if asset is not None and (asset.archived or not asset.in_scope):
        raise DisclosureError(
            f"{asset.identifier} is out of scope; see the program's scope for what we accept.",
            field="asset",
        )


def _apply_input(report: Report, data: ReportInput) -> None:
    _check_asset(data.asset)
    report.title = data.title
    report.description = data.description
    report.steps_to_reproduce = data.steps_to_reproduce
    report.impact = data.impact
    report.endpoint = data.endpoint
    report.parameter = data.parameter
    report.asset = data.asset
    report.weakness = data.weakness
    maximum = data.asset.max_severity if data.asset else ""
    report.severity = capped(data.severity.severity, maximum)
    report.cvss_vector = data.severity.cvss_vector
    report.cvss_score = data.severity.cvss_score


MAX_OPEN_DRAFTS = 20


def _check_may_save_draft(researcher: User) -> None:
    """Drafts skip the hourly limit (they are not sent), so their number is capped instead: each
    may carry attachments, and nothing else bounds the disk a signed-in account can use."""
    drafts = Report.objects.filter(researcher=researcher, is_draft=True).count()
    if drafts >= MAX_OPEN_DRAFTS:
        raise SubmissionRefused(
            f"You have {drafts} unsent drafts, the most the program keeps for one researcher. "
            "Submit or delete some of them first."
        )


def _check_may_submit(researcher: User, program: Program) -> None:
    if not program.submissions_open:
        raise SubmissionRefused("The program does not accept new reports at the moment.")
    if program.min_reputation_to_submit is not None:
        reputation = ensure_profile(researcher).reputation
        if reputation < program.min_reputation_to_submit:
            raise SubmissionRefused(
                f"The program accepts reports from researchers with a reputation of at least "
                f"{program.min_reputation_to_submit}; yours is {reputation}."
            )
    # Counted in the database, not a per-process cache: exact across every web worker.
    hour_ago = timezone.now() - timedelta(hours=1)
    recent = list(
        Report.objects.filter(researcher=researcher, submitted_at__gt=hour_ago)
        .order_by("submitted_at")
        .values_list("submitted_at", flat=True)[: program.submissions_per_hour]
    )
    if len(recent) >= program.submissions_per_hour and recent[0] is not None:
        retry_after = max(1, int((recent[0] + timedelta(hours=1) - timezone.now()).total_seconds()))
        raise RateLimited(
            f"You have submitted {program.submissions_per_hour} reports in the last hour, the "
            f"most the program accepts. Save this one as a draft and submit it in "
            f"{max(1, retry_after // 60)} minutes.",
            retry_after,
        )


def _store_attachments(
    report: Report, uploads: list[Upload], *, actor: User | None, comment: Comment | None = None
) -> list[Attachment]:
    if report.attachments.count() + len(uploads) > MAX_ATTACHMENTS_PER_REPORT:
        raise AttachmentRefused(
            f"A report may have at most {MAX_ATTACHMENTS_PER_REPORT} attachments."
        )
    stored = []
    for upload in uploads:
        checked = check_upload(upload.stream, upload.size, upload.name)
        digest = hashlib.sha256()
        stream = upload.stream
        stream.seek(0)
        while chunk := stream.read(65536):
            digest.update(chunk)
        stream.seek(0)
        attachment = Attachment(
            report=report,
            comment=comment,
            original_name=upload.name[-200:],
            content_type=checked.content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        # A random name: nothing the uploader chose reaches the file system.
        attachment.file.save(
            f"{secrets.token_hex(16)}.{checked.extension}", File(upload.stream), save=False
        )
        attachment.save()
        stored.append(attachment)
    return stored


def _mark_submitted(report: Report, program: Program) -> None:
    now = timezone.now()
    report.is_draft = False
    report.state = ReportState.NEW
    report.submitted_at = now
    report.state_changed_at = now
    report.first_response_due_at = add_business_days(now, program.first_response_days)
    report.triage_due_at = add_business_days(now, program.triage_days)


def submit_report(
    researcher: User,
    data: ReportInput,
    *,
    uploads: list[Upload] | None = None,
    draft: bool = False,
    request: HttpRequest | None = None,
) -> Report:
    """Save a new report, as a draft or submitted to the security team."""
    program = current_program()
    if draft:
        _check_may_save_draft(researcher)
    else:
        _check_may_submit(researcher, program)
    with transaction.atomic():
        ensure_profile(researcher)
        report = Report(researcher=researcher, is_draft=True)
        key = getattr(request, "auth", None) if request is not None else None
        if key is not None and hasattr(key, "audit_label"):
            report.submitted_via_key = key
        _apply_input(report, data)
        if not draft:
            _mark_submitted(report, program)
        report.save()
        _store_attachments(report, uploads or [], actor=researcher)
        if not draft:
            _record_submission(report, researcher, request)
    return report


def update_draft(
    report: Report,
    data: ReportInput,
    *,
    uploads: list[Upload] | None = None,
    submit: bool = False,
    request: HttpRequest | None = None,
) -> Report:
    if not report.is_draft:
        raise DisclosureError("This report was submitted already; add a comment instead.")
    program = current_program()
    researcher = report.researcher
    if submit:
        _check_may_submit(researcher, program)
    with transaction.atomic():
        _apply_input(report, data)
        if submit:
            _mark_submitted(report, program)
        report.save()
        _store_attachments(report, uploads or [], actor=researcher)
        if submit:
            _record_submission(report, researcher, request)
    return report


def _record_submission(report: Report, researcher: User, request: HttpRequest | None) -> None:
    index_reports([report])
    _log(report, ActivityKind.SUBMITTED, actor=researcher, request=request)
    record_audit(
        "disclosure.report_submitted",
        actor=researcher,
        request=request,
        target=report,
        details={
            "asset": report.asset_id,
            "weakness": report.weakness.code if report.weakness else "",
            "severity": report.severity,
            "cvss_vector": report.cvss_vector,
        },
    )
    emit_event("vdp.report_submitted", _event_data(report))
    transaction.on_commit(lambda: tasks.acknowledge_report.enqueue(report.pk))


# --- Triage ---------------------------------------------------------------------------------


def _is_team_action(actor: User | None, report: Report) -> bool:
    return actor is None or actor.pk != report.researcher_id


def _mark_first_response(report: Report, actor: User | None) -> None:
    if report.first_response_at is None and _is_team_action(actor, report):
        report.first_response_at = timezone.now()


def change_state(
    report: Report,
    target: str,
    *,
    actor: User | None,
    by: Actor,
    reason: str = "",
    duplicate_of: Report | None = None,
    credit_original: bool = False,
    request: HttpRequest | None = None,
) -> Report:
    """Move a report through the transition table (transitions.py), or refuse with the reason.
    Marking a duplicate with ``credit_original`` also adds its researcher to the original's
    "also reported by" list."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.is_draft:
            raise TransitionRefused("A draft has no state to change; submit it first.")
        refusal = transition_refusal(report.state, target, by)
        if refusal:
            raise TransitionRefused(refusal, field="state")
        if target == ReportState.DUPLICATE:
            _check_duplicate_target(report, duplicate_of)
        program = current_program()
        now = timezone.now()
        before = report.state
        report.state = target
        report.state_changed_at = now
        report.duplicate_of = duplicate_of if target == ReportState.DUPLICATE else None
        report.credited_on_original = credit_original and target == ReportState.DUPLICATE
        if by is Actor.TEAM:
            _mark_first_response(report, actor)
        if target == ReportState.TRIAGED and report.triaged_at is None:
            report.triaged_at = now
            report.resolution_due_at = add_business_days(now, program.resolution_days)
            if program.offers_bounties and report.asset and report.asset.bounty_eligible:
                report.bounty_due_at = add_business_days(now, program.bounty_days)
        if target == ReportState.RESOLVED:
            report.resolved_at = now
            if program.disclosure_mode == "timer" and report.disclosure_state not in (
                DisclosureState.OBJECTED,
                DisclosureState.DISCLOSED,
            ):
                report.disclosure_due_at = now + timedelta(days=program.disclosure_delay_days)
        report.closed_at = now if not report.is_open else None
        report.save()
        details: dict[str, Any] = {"from": before, "to": target, "reason": reason}
        if duplicate_of is not None and target == ReportState.DUPLICATE:
            details["duplicate_of"] = duplicate_of.pk
            details["credited_on_original"] = report.credited_on_original
            if report.credited_on_original:
                _log(
                    duplicate_of,
                    ActivityKind.CREDITED,
                    actor=actor,
                    request=request,
                    internal=True,
                    details={"report": report.pk, "researcher": _handle(report.researcher)},
                )
        _log(report, ActivityKind.STATE_CHANGED, actor=actor, request=request, details=details)
        record_audit(
            "disclosure.report_state_changed",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
        emit_event(
            "vdp.report_state_changed", _event_data(report, **{"from": before, "to": target})
        )
        recompute_reputation(report.researcher_id)
    return report


def _handle(user: User) -> str:
    return ensure_profile(user).handle


def _check_duplicate_target(report: Report, original: Report | None) -> None:
    if original is None:
        raise TransitionRefused(
            "Name the earlier report this one duplicates.", field="duplicate_of"
        )
    if original.pk == report.pk:
        raise TransitionRefused("A report cannot duplicate itself.", field="duplicate_of")
    if original.is_draft or original.submitted_at is None:
        raise TransitionRefused("The original must be a submitted report.", field="duplicate_of")
    if report.submitted_at and original.submitted_at > report.submitted_at:
        raise TransitionRefused(
            f"Report #{original.pk} was submitted after this one; mark that one as the duplicate.",
            field="duplicate_of",
        )
    if original.state == ReportState.DUPLICATE:
        raise TransitionRefused(
            f"Report #{original.pk} is itself a duplicate; choose the report it duplicates.",
            field="duplicate_of",
        )


def withdraw_report(report: Report, *, actor: User, request: HttpRequest | None = None) -> Report:
    return change_state(
        report,
        ReportState.WITHDRAWN,
        actor=actor,
        by=Actor.RESEARCHER,
        reason="Withdrawn by the researcher.",
        request=request,
    )


def add_comment(
    report: Report,
    body: str,
    *,
    actor: User | None,
    internal: bool = False,
    uploads: list[Upload] | None = None,
    request: HttpRequest | None = None,
) -> Comment:
    """A public comment or (security team only) an internal note. The researcher's answer to a
    report waiting for more information sends it back to the team's queue."""
    team = _is_team_action(actor, report)
    if internal and not team:
        raise DisclosureError("Only the security team writes internal notes.")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        comment = Comment.objects.create(
            report=report,
            author=actor,
            author_label=_actor_label(actor, request),
            body=body,
            internal=internal,
        )
        _store_attachments(report, uploads or [], actor=actor, comment=comment)
        _log(
            report,
            ActivityKind.INTERNAL_NOTE if internal else ActivityKind.COMMENT,
            actor=actor,
            request=request,
            internal=internal,
            comment=comment,
        )
        if not internal and team:
            _mark_first_response(report, actor)
            report.save(update_fields=["first_response_at", "updated_at"])
        if not internal:  # an internal note never leaves the team
            emit_event(
                "vdp.comment_added",
                _event_data(report, comment_id=comment.pk, by="team" if team else "researcher"),
            )
    if not team and report.state == ReportState.NEEDS_MORE_INFO:
        change_state(
            report,
            ReportState.NEW,
            actor=actor,
            by=Actor.RESEARCHER,
            reason="The researcher answered.",
            request=request,
        )
    return comment


def assign_report(
    report: Report,
    assignee: User | None,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> Report:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.assignee_id == (assignee.pk if assignee else None):
            return report
        before = report.assignee.get_username() if report.assignee else ""
        report.assignee = assignee
        report.save(update_fields=["assignee", "updated_at"])
        details = {"from": before, "to": assignee.get_username() if assignee else ""}
        _log(
            report,
            ActivityKind.ASSIGNED,
            actor=actor,
            request=request,
            internal=True,
            details=details,
        )
        record_audit(
            "disclosure.report_assigned",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
    return report


def change_severity(
    report: Report,
    severity: ScoredSeverity,
    *,
    reason: str,
    actor: User | None,
    request: HttpRequest | None = None,
) -> Report:
    if not reason.strip():
        raise DisclosureError("Say why the severity changes.", field="reason")
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",)).select_related("asset").get(pk=report.pk)
        )
        before = {
            "severity": report.severity,
            "cvss_vector": report.cvss_vector,
            "cvss_score": str(report.cvss_score) if report.cvss_score is not None else None,
        }
        maximum = report.asset.max_severity if report.asset else ""
        report.severity = capped(severity.severity, maximum)
        report.cvss_vector = severity.cvss_vector
        report.cvss_score = severity.cvss_score
        after = {
            "severity": report.severity,
            "cvss_vector": report.cvss_vector,
            "cvss_score": str(report.cvss_score) if report.cvss_score is not None else None,
        }
        if before == after:
            raise DisclosureError("The severity is unchanged.", field="severity")
        _mark_first_response(report, actor)
        report.save()
        details = {"before": before, "after": after, "reason": reason}
        _log(report, ActivityKind.SEVERITY_CHANGED, actor=actor, request=request, details=details)
        record_audit(
            "disclosure.severity_changed",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
    return report


def close_stale_reports(*, now: Any = None) -> list[int]:
    """Close as Informative every report left in Needs more info for 30 days. Idempotent: a
    second run finds nothing more to close."""
    moment = now or timezone.now()
    stale = list(
        Report.objects.filter(
            state=ReportState.NEEDS_MORE_INFO, state_changed_at__lte=moment - STALE_AFTER
        ).values_list("pk", flat=True)
    )
    closed = []
    for report_id in stale:
        report = Report.objects.get(pk=report_id)
        try:
            change_state(
                report,
                ReportState.INFORMATIVE,
                actor=None,
                by=Actor.TEAM,
                reason="No answer for 30 days while more information was needed.",
            )
        except TransitionRefused:
            continue  # moved meanwhile
        closed.append(report_id)
    return closed


def security_txt_lapses_soon(program: Program, *, within: timedelta = timedelta(days=30)) -> bool:
    expires = program.security_txt_expires
    return expires is None or expires - timezone.now() <= within


def _team_filter() -> Q:
    return Q(groups__permissions__codename="triage_report") | Q(is_superuser=True)


def team_members() -> Any:
    return User.objects.filter(_team_filter(), is_active=True).distinct().order_by("username")


# --- Rewards --------------------------------------------------------------------------------

AWARDABLE_STATES = frozenset({ReportState.TRIAGED, ReportState.RETESTING, ReportState.RESOLVED})


def bounty_range_for(report: Report, table: BountyTable | None = None) -> BountyRange | None:
    """The range of the current bounty table for the report's severity and asset tier."""
    table = table or current_bounty_table()
    if table is None or report.asset is None or not report.severity:
        return None
    return BountyRange.objects.filter(
        table=table, severity=report.severity, tier=report.asset.tier
    ).first()


def award_bounty(
    report: Report,
    *,
    amount: Decimal,
    bonus: Decimal = Decimal("0"),
    currency: str = "",
    kind: str = BountyKind.BOUNTY,
    note: str = "",
    actor: User | None,
    request: HttpRequest | None = None,
) -> Bounty:
    """Award a bounty (or a retest payment) on a triaged or resolved report, guided by the
    current bounty table: an amount outside the range for the report's severity and asset tier
    needs a note saying why. Opens an unpaid payout record for finance."""
    if amount < 0 or bonus < 0:
        raise DisclosureError("Amounts cannot be negative.", field="amount")
    if amount + bonus == 0:
        raise DisclosureError("Award an amount above zero.", field="amount")
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("asset", "researcher")
            .get(pk=report.pk)
        )
        if report.state not in AWARDABLE_STATES:
            raise TransitionRefused(
                f"Bounties are awarded on triaged or resolved reports; this one is "
                f"{report.get_state_display()}.",
                field="amount",
            )
        ineligible = report.asset is not None and not report.asset.bounty_eligible
        if kind == BountyKind.BOUNTY and ineligible and not note.strip():
            raise DisclosureError(
                "This asset is not eligible for bounties; say why you award one anyway.",
                field="note",
            )
        table = current_bounty_table()
        chosen = (currency or (table.currency if table else "USD")).upper()
        window = bounty_range_for(report, table) if kind == BountyKind.BOUNTY else None
        outside = window is not None and not (window.min_amount <= amount <= window.max_amount)
        if outside and not note.strip():
            assert window is not None
            raise DisclosureError(
                f"The bounty table gives {window.min_amount} to {window.max_amount} "
                f"{table.currency if table else chosen} for this severity and tier; say why "
                "this amount is outside the range.",
                field="note",
            )
        bounty = Bounty.objects.create(
            report=report,
            kind=kind,
            amount=amount,
            bonus=bonus,
            currency=chosen,
            table=table,
            note=note.strip(),
            awarded_by=actor,
        )
        Payout.objects.create(bounty=bounty)
        now = timezone.now()
        if report.bounty_awarded_at is None and kind == BountyKind.BOUNTY:
            report.bounty_awarded_at = now
        _mark_first_response(report, actor)
        report.save()
        details = {
            "bounty": bounty.pk,
            "kind": kind,
            "amount": str(amount),
            "bonus": str(bonus),
            "currency": chosen,
            "table_version": table.version if table else None,
            "range": [str(window.min_amount), str(window.max_amount)] if window else None,
            "outside_range": outside,
            "note": bounty.note,
        }
        _log(report, ActivityKind.BOUNTY_AWARDED, actor=actor, request=request, details=details)
        record_audit(
            "disclosure.bounty_awarded",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
        emit_event(
            "vdp.bounty_awarded",
            _event_data(
                report,
                bounty_id=bounty.pk,
                kind=kind,
                amount=str(amount),
                bonus=str(bonus),
                currency=chosen,
            ),
        )
        recompute_reputation(report.researcher_id)
    return bounty


def record_payout(
    payout: Payout,
    *,
    status: str,
    reference: str = "",
    actor: User | None,
    request: HttpRequest | None = None,
) -> Payout:
    """Record that finance paid (or failed to pay) a bounty, with their reference."""
    if status not in PayoutStatus.values:
        raise DisclosureError(f"{status!r} is not a payout status.", field="status")
    if status == PayoutStatus.PAID and not reference.strip():
        raise DisclosureError("Give the payment's reference.", field="reference")
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("bounty__report")
            .get(pk=payout.pk)
        )
        before = payout.status
        payout.status = status
        payout.reference = reference.strip()
        payout.paid_at = timezone.now() if status == PayoutStatus.PAID else None
        payout.save()
        details = {
            "payout": payout.pk,
            "bounty": payout.bounty_id,
            "from": before,
            "to": status,
            "reference": payout.reference,
        }
        _log(
            payout.bounty.report,
            ActivityKind.PAYOUT_RECORDED,
            actor=actor,
            request=request,
            internal=True,
            details=details,
        )
        record_audit(
            "disclosure.payout_recorded",
            actor=actor,
            request=request,
            target=payout.bounty.report,
            details=details,
        )
    return payout


def record_payouts_export(
    *, actor: User | None, count: int, request: HttpRequest | None = None
) -> None:
    """Finance's CSV export is audited: who took which payout records, when."""
    record_audit(
        "disclosure.payouts_exported",
        actor=actor,
        request=request,
        target_label="payouts",
        details={"rows": count},
    )


# --- Disclosure -----------------------------------------------------------------------------


def _check_disclosable(report: Report, program: Program) -> None:
    if program.disclosure_mode == DisclosureMode.DISABLED:
        raise TransitionRefused("This program does not disclose reports.", field="disclosure")
    if report.state != ReportState.RESOLVED:
        raise TransitionRefused(
            f"Only resolved reports can be disclosed; this one is {report.get_state_display()}.",
            field="disclosure",
        )
    if report.disclosure_state == DisclosureState.DISCLOSED:
        raise TransitionRefused("This report is disclosed already.", field="disclosure")


def _publish(report: Report, *, actor: User | None, request: HttpRequest | None, why: str) -> None:
    report.disclosure_state = DisclosureState.DISCLOSED
    report.disclosed_at = timezone.now()
    report.disclosure_due_at = None
    report.save()
    details = {"kind": report.disclosure_kind, "why": why}
    _log(report, ActivityKind.DISCLOSED, actor=actor, request=request, details=details)
    record_audit(
        "disclosure.report_disclosed", actor=actor, request=request, target=report, details=details
    )
    emit_event(
        "vdp.report_disclosed",
        _event_data(
            report,
            disclosure_kind=report.disclosure_kind,
            disclosed_at=report.disclosed_at,
            csaf_url=settings.SITE_URL + reverse("disclosure:report_csaf", args=[report.pk]),
        ),
    )


def request_disclosure(
    report: Report,
    *,
    kind: str,
    actor: User | None,
    by: Actor,
    request: HttpRequest | None = None,
) -> Report:
    """The researcher or the team asks to disclose a resolved report (full or limited). The
    other party agrees (or objects); in timer mode the report is disclosed when the timer ends
    unless someone objected."""
    if kind not in DisclosureKind.values:
        raise DisclosureError(f"{kind!r} is not a kind of disclosure.", field="kind")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        _check_disclosable(report, current_program())
        if report.disclosure_state == DisclosureState.REQUESTED:
            raise TransitionRefused(
                "Disclosure is requested already; the other party can agree or object.",
                field="disclosure",
            )
        report.disclosure_state = DisclosureState.REQUESTED
        report.disclosure_kind = kind
        report.disclosure_requested_at = timezone.now()
        report.disclosure_requested_by = by.value
        report.save()
        details = {"kind": kind, "by": by.value}
        _log(
            report, ActivityKind.DISCLOSURE_REQUESTED, actor=actor, request=request, details=details
        )
        record_audit(
            "disclosure.disclosure_requested",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
    return report


def agree_disclosure(
    report: Report, *, actor: User | None, by: Actor, request: HttpRequest | None = None
) -> Report:
    """The other party agrees to a requested disclosure: the report is published at once."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        _check_disclosable(report, current_program())
        if report.disclosure_state != DisclosureState.REQUESTED:
            raise TransitionRefused("Nobody has requested disclosure yet.", field="disclosure")
        if report.disclosure_requested_by == by.value:
            raise TransitionRefused(
                "You requested this disclosure; the other party has to agree.", field="disclosure"
            )
        report.disclosure_state = DisclosureState.AGREED
        details = {"kind": report.disclosure_kind, "by": by.value}
        _log(report, ActivityKind.DISCLOSURE_AGREED, actor=actor, request=request, details=details)
        record_audit(
            "disclosure.disclosure_agreed",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
        _publish(report, actor=actor, request=request, why="agreed")
    return report


def object_to_disclosure(
    report: Report,
    *,
    reason: str,
    actor: User | None,
    by: Actor,
    request: HttpRequest | None = None,
) -> Report:
    """Either party objects: the request and the timer stop until someone requests again."""
    if not reason.strip():
        raise DisclosureError("Say why you object.", field="reason")
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        _check_disclosable(report, current_program())
        report.disclosure_state = DisclosureState.OBJECTED
        report.disclosure_due_at = None
        report.save()
        details = {"by": by.value, "reason": reason.strip()}
        _log(
            report, ActivityKind.DISCLOSURE_OBJECTED, actor=actor, request=request, details=details
        )
        record_audit(
            "disclosure.disclosure_objected",
            actor=actor,
            request=request,
            target=report,
            details=details,
        )
    return report


def disclose_due_reports(*, now: Any = None) -> list[int]:
    """Publish resolved reports whose disclosure timer has run out and that nobody objected to.
    Idempotent: a second run finds nothing more to disclose."""
    moment = now or timezone.now()
    if current_program().disclosure_mode != DisclosureMode.TIMER:
        return []
    due = list(
        Report.objects.filter(
            state=ReportState.RESOLVED,
            disclosure_due_at__lte=moment,
            disclosure_state__in=[
                DisclosureState.NONE,
                DisclosureState.REQUESTED,
                DisclosureState.AGREED,
            ],
        ).values_list("pk", flat=True)
    )
    disclosed = []
    for report_id in due:
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            still_due = (
                report.state == ReportState.RESOLVED
                and report.disclosure_due_at is not None
                and report.disclosure_due_at <= moment
                and report.disclosure_state
                not in (DisclosureState.OBJECTED, DisclosureState.DISCLOSED)
            )
            if not still_due:
                continue  # changed meanwhile
            _publish(report, actor=None, request=None, why="timer")
        disclosed.append(report_id)
    return disclosed


@dataclass(frozen=True)
class PublicVersion:
    public_summary: str
    public_description: str
    public_steps_to_reproduce: str
    public_impact: str
    cve_id: str


def update_public_version(
    report: Report,
    data: PublicVersion,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
) -> Report:
    """The team's redacted public version of a report: summary, the Markdown fields and the
    CVE ID. The researcher's original text is kept unchanged beside it."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        before_cve = report.cve_id
        changed = []
        for name in (
            "public_summary",
            "public_description",
            "public_steps_to_reproduce",
            "public_impact",
            "cve_id",
        ):
            value = getattr(data, name)
            if getattr(report, name) != value:
                changed.append(name)
                setattr(report, name, value)
        if not changed:
            return report
        report.full_clean(
            exclude=[
                f.name for f in Report._meta.fields if f.name not in {"cve_id", "public_summary"}
            ]
        )
        report.redacted_at = timezone.now()
        report.save()
        details = {"fields": changed}
        _log(
            report, ActivityKind.REDACTED, actor=actor, request=request, internal=True,
            details=details,
        )  # fmt: skip
        if "cve_id" in changed:
            _log(
                report,
                ActivityKind.CVE_ASSIGNED,
                actor=actor,
                request=request,
                details={"from": before_cve, "to": report.cve_id},
            )
        record_audit(
            "disclosure.public_version_updated",
            actor=actor,
            request=request,
            target=report,
            details={**details, "cve_id": report.cve_id},
        )
    return report
