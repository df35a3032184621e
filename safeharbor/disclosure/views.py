"""Pages of the disclosure program. Thin: forms validate, access.py fetches, services change."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch, Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from safeharbor.accounts.models import User
from safeharbor.disclosure import access, services
from safeharbor.disclosure.advisories import (
    csaf_document,
    csaf_path,
    csaf_provider_metadata,
    csaf_timestamp,
    osv_record,
)
from safeharbor.disclosure.attachments import AttachmentRefused
from safeharbor.disclosure.duplicates import suggest_duplicates
from safeharbor.disclosure.finance import payouts_csv
from safeharbor.disclosure.forms import (
    AssetForm,
    AssignForm,
    AwardForm,
    BountyTableForm,
    CommentForm,
    DisclosureForm,
    PayoutForm,
    ProfileForm,
    ProgramForm,
    PublicVersionForm,
    QueueFilterForm,
    ReportForm,
    SeverityChangeForm,
    StateForm,
    uploads_of,
)
from safeharbor.disclosure.metrics import program_metrics
from safeharbor.disclosure.models import (
    OPEN_STATES,
    ActivityEvent,
    Asset,
    BountyTable,
    Comment,
    DisclosureState,
    Report,
    ReportState,
    ResearcherProfile,
)
from safeharbor.disclosure.security_txt import (
    SignatureRefused,
    render_security_txt,
    same_text,
    signed_text,
)
from safeharbor.disclosure.transitions import Actor, allowed_targets


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- Public ---------------------------------------------------------------------------------


def program_view(request: HttpRequest) -> HttpResponse:
    program = services.current_program()
    table = services.current_bounty_table()
    ranges = {(r.severity, r.tier): r for r in table.ranges.all()} if table else {}
    user = _user(request)
    return render(
        request,
        "disclosure/program.html",
        {
            "program": program,
            "table": table,
            "bounty_rows": BountyTableForm.RATED,
            "tiers": [1, 2, 3],
            "ranges": ranges,
            "in_scope": Asset.objects.filter(in_scope=True, archived=False),
            "out_of_scope": Asset.objects.filter(in_scope=False, archived=False),
            "metrics": program_metrics(),
            "may_submit": access.may_submit(user) or not user.is_authenticated,
            "may_edit": user.is_authenticated and user.has_perm("disclosure.change_program"),
            "expiry_warning": user.is_authenticated
            and user.has_perm("disclosure.change_program")
            and services.security_txt_lapses_soon(program),
        },
    )


def thanks_view(request: HttpRequest) -> HttpResponse:
    profiles = ResearcherProfile.objects.filter(hall_of_fame=True, reputation__gt=0)
    return render(request, "disclosure/thanks.html", {"profiles": profiles[:500]})


def disclosed_list_view(request: HttpRequest) -> HttpResponse:
    reports = (
        access.visible_reports_for_user(_user(request))
        .filter(disclosure_state="disclosed")
        .select_related("asset", "weakness")
        .order_by("-disclosed_at")
    )
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "disclosure/disclosed_list.html", {"page": page})


@require_GET
def security_txt_view(request: HttpRequest) -> HttpResponse:
    """RFC 9116 security.txt, generated from the program; it names the CSAF provider metadata
    once there is an advisory to find."""
    program = services.current_program()
    body = _generated_security_txt(program)
    if program.security_txt_signed and _signature_matches(program, body):
        body = program.security_txt_signed
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _generated_security_txt(program: Any) -> str:
    return render_security_txt(program, settings.SITE_URL, csaf=_disclosed_reports().exists())


def _signature_matches(program: Any, generated: str) -> bool:
    try:
        return same_text(signed_text(program.security_txt_signed), generated)
    except SignatureRefused:
        return False


@login_required
def security_txt_signature_view(request: HttpRequest) -> HttpResponse:
    """Show the text to sign and keep the organisation's cleartext-signed copy of it."""
    user = _user(request)
    program = access.get_program_for_user(user)
    generated = _generated_security_txt(program)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.save_signed_security_txt(
                request.POST.get("signed", ""), generated, actor=user, request=request
            )
        except SignatureRefused as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, "The signed copy is saved.")
            return redirect("disclosure:security_txt_signature")
        program.refresh_from_db()
    signed = program.security_txt_signed
    return render(
        request,
        "disclosure/security_txt_signature.html",
        {
            "generated": generated,
            "signed": request.POST.get("signed", signed) if error else signed,
            "state": "unsigned"
            if not signed
            else ("current" if _signature_matches(program, generated) else "stale"),
            "error": error,
        },
        status=status,
    )


# --- Researchers ----------------------------------------------------------------------------


@login_required
def my_reports_view(request: HttpRequest) -> HttpResponse:
    reports = access.own_reports_for_user(_user(request)).select_related("asset", "weakness")
    page = Paginator(reports.order_by("-pk"), 50).get_page(request.GET.get("page"))
    profile = ResearcherProfile.objects.filter(user=_user(request)).first()
    return render(request, "disclosure/my_reports.html", {"page": page, "profile": profile})


def _submission_error(
    form: ReportForm, error: services.DisclosureError | AttachmentRefused
) -> None:
    field = getattr(error, "field", None)
    if isinstance(error, AttachmentRefused):
        field = "attachments"
    form.add_error(field if field in form.fields else None, str(error))


def _save_report(form: ReportForm, save: Callable[[], Any]) -> tuple[Any, int]:
    """Run the service that saves the report form; a refusal becomes the form's error and the
    status to answer with (429 for the hourly limit, else 400)."""
    try:
        return save(), 200
    except (services.DisclosureError, AttachmentRefused) as error:
        _submission_error(form, error)
        return None, 429 if isinstance(error, services.RateLimited) else 400


@login_required
def submit_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require_researcher(user)
    form = ReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            draft = "save_draft" in request.POST
            report, status = _save_report(
                form,
                lambda: services.submit_report(
                    user,
                    form.report_input(),
                    uploads=uploads_of(form.cleaned_data["attachments"]),
                    draft=draft,
                    request=request,
                ),
            )
            if report is not None:
                messages.success(
                    request,
                    "Draft saved; only you can see it."
                    if draft
                    else f"Report #{report.pk} is submitted. Thank you.",
                )
                return redirect("disclosure:report_detail", report_id=report.pk)
        else:
            status = 400
    return render(
        request,
        "disclosure/submit.html",
        {"form": form, "program": services.current_program()},
        status=status,
    )


@login_required
def edit_draft_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.get_report_for_user(_user(request), report_id, need="edit_draft")
    initial = {
        "asset": report.asset_id,
        "weakness": report.weakness_id,
        "title": report.title,
        "description": report.description,
        "steps_to_reproduce": report.steps_to_reproduce,
        "impact": report.impact,
        "endpoint": report.endpoint,
        "parameter": report.parameter,
        "cvss_vector": report.cvss_vector,
        "severity": report.severity,
    }
    form = ReportForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            submit = "submit" in request.POST
            saved, status = _save_report(
                form,
                lambda: services.update_draft(
                    report,
                    form.report_input(),
                    uploads=uploads_of(form.cleaned_data["attachments"]),
                    submit=submit,
                    request=request,
                ),
            )
            if saved is not None:
                messages.success(
                    request, f"Report #{report.pk} is submitted." if submit else "Draft saved."
                )
                return redirect("disclosure:report_detail", report_id=report.pk)
        else:
            status = 400
    return render(
        request,
        "disclosure/submit.html",
        {"form": form, "program": services.current_program(), "report": report},
        status=status,
    )


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require_researcher(user)
    profile = services.ensure_profile(user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(
                user,
                handle=form.cleaned_data["handle"],
                public_profile=form.cleaned_data["public_profile"],
                hall_of_fame=form.cleaned_data["hall_of_fame"],
                request=request,
            )
        except services.DisclosureError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, "Your researcher profile is saved.")
            return redirect("disclosure:profile")
    profile.refresh_from_db()
    return render(request, "disclosure/profile.html", {"form": form, "profile": profile})


# --- One report -----------------------------------------------------------------------------


def _report_page(
    request: HttpRequest, report: Report, status: int = 200, **forms: Any
) -> HttpResponse:
    user = _user(request)
    team = access.is_team(user)
    participant = team or report.researcher_id == user.pk
    comments: QuerySet[Comment] = report.comments.select_related("author").prefetch_related(
        "attachments"
    )
    activity: QuerySet[ActivityEvent] = report.activity.select_related("comment")
    if not team:
        comments = comments.filter(internal=False)
        activity = activity.filter(internal=False)
    context: dict[str, Any] = {
        "report": report,
        "team": team,
        "participant": participant,
        "comments": comments if participant else comments.none(),
        "activity": activity if participant else activity.none(),
        "attachments": report.attachments.filter(comment__isnull=True) if participant else [],
        "sla_breaches": report.sla_breaches() if team else [],
        "may_withdraw": report.researcher_id == user.pk
        and ReportState.WITHDRAWN in allowed_targets(report.state, Actor.RESEARCHER)
        and not report.is_draft,
    }
    if participant and not report.is_draft:
        # The researcher is only told of earlier reports they may see: theirs and disclosed ones.
        context["suggestions"] = suggest_duplicates(
            report, within=access.visible_reports_for_user(user)
        )
        context["bounties"] = report.bounties.prefetch_related("payouts")
        context["also_reported_by"] = (
            report.duplicates.filter(credited_on_original=True)
            .select_related("researcher__researcher_profile")
            .order_by("submitted_at")
        )
        context["disclosure_actions"] = _disclosure_actions(report, team)
        if context["disclosure_actions"]:
            context["disclosure_form"] = forms.get("disclosure_form") or DisclosureForm()
        context["comment_form"] = forms.get("comment_form") or CommentForm()
        if not team:
            context["comment_form"].fields.pop("internal", None)
    if team and not report.is_draft:
        targets = allowed_targets(report.state, Actor.TEAM)
        state_form = forms.get("state_form") or StateForm()
        state_form.fields["state"].choices = [  # type: ignore[union-attr]
            (value, label) for value, label in ReportState.choices if value in targets
        ]
        context["state_form"] = state_form
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            team=services.team_members(), initial={"assignee": report.assignee_id}
        )
        context["severity_form"] = forms.get("severity_form") or SeverityChangeForm(
            initial={"cvss_vector": report.cvss_vector, "severity": report.severity}
        )
        if user.has_perm("disclosure.award_bounty") and report.state in services.AWARDABLE_STATES:
            context["award_form"] = forms.get("award_form") or AwardForm()
            context["bounty_table"] = services.current_bounty_table()
            context["bounty_range"] = services.bounty_range_for(report)
        context["public_form"] = forms.get("public_form") or PublicVersionForm(
            initial={
                "public_summary": report.public_summary,
                "public_description": report.public_text("description"),
                "public_steps_to_reproduce": report.public_text("steps_to_reproduce"),
                "public_impact": report.public_text("impact"),
                "cve_id": report.cve_id,
            }
        )
    return render(request, "disclosure/report_detail.html", context, status=status)


@login_required
def report_detail_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id)
    if not access.may_participate(user, report):
        # A disclosed report seen by someone outside it: only its public (possibly limited,
        # redacted) version, never the participants' page with the original text.
        return redirect("disclosure:report_public", report_id=report.pk)
    return _report_page(request, report)


def _disclosed_report(request: HttpRequest, report_id: int) -> Report:
    report = access.get_report_for_user(_user(request), report_id)
    access._require(report.is_disclosed)
    return report


def public_report_view(request: HttpRequest, report_id: int) -> HttpResponse:
    """A disclosed report as the public sees it (the participants' page needs sign-in)."""
    report = access.get_report_for_user(_user(request), report_id)
    if not report.is_disclosed:
        return redirect("disclosure:report_detail", report_id=report.pk)
    comments = report.comments.filter(internal=False) if report.disclosure_kind == "full" else []
    also = (
        report.duplicates.filter(credited_on_original=True)
        .select_related("researcher__researcher_profile")
        .order_by("submitted_at")
    )
    return render(
        request,
        "disclosure/report_public.html",
        {"report": report, "comments": comments, "also_reported_by": also},
    )


def _csaf_response(report: Report) -> JsonResponse:
    document = csaf_document(report, settings.SITE_URL, settings.SITE_NAME)
    return JsonResponse(document, json_dumps_params={"indent": 2})


@require_GET
def report_csaf_view(request: HttpRequest, report_id: int) -> JsonResponse:
    """The disclosed report as a CSAF 2.0 security advisory."""
    return _csaf_response(_disclosed_report(request, report_id))


# --- CSAF 2.0 provider (/.well-known/csaf/) --------------------------------------------------


def _disclosed_reports() -> QuerySet[Report]:
    """Every report the public may read: the advisories of the CSAF distribution."""
    return access.visible_reports_for_user(AnonymousUser()).filter(disclosed_at__isnull=False)


@require_GET
def csaf_provider_metadata_view(request: HttpRequest) -> JsonResponse:
    """CSAF 2.0 provider metadata (section 7.1.20): one directory-based TLP:WHITE distribution."""
    latest = _disclosed_reports().aggregate(latest=Max("disclosed_at"))["latest"]
    metadata = csaf_provider_metadata(
        settings.SITE_URL, settings.SITE_NAME, latest or services.current_program().updated_at
    )
    return JsonResponse(metadata, json_dumps_params={"indent": 2})


def _csaf_listing() -> list[tuple[str, str]]:
    """(path, current release date) of every advisory, newest first."""
    reports = _disclosed_reports().order_by("-disclosed_at", "-pk")
    return [(csaf_path(r), csaf_timestamp(r.disclosed_at)) for r in reports]


@require_GET
def csaf_index_view(request: HttpRequest) -> HttpResponse:
    """index.txt (CSAF 2.0 section 7.1.13): every advisory's path, one a line."""
    body = "".join(f"{path}\n" for path, _ in _csaf_listing())
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_GET
def csaf_changes_view(request: HttpRequest) -> HttpResponse:
    """changes.csv (CSAF 2.0 section 7.1.14): path and current release date, newest first."""
    body = "".join(f'"{path}","{when}"\n' for path, when in _csaf_listing())
    return HttpResponse(body, content_type="text/csv; charset=utf-8")


@require_GET
def csaf_directory_view(request: HttpRequest) -> HttpResponse:
    """The distribution's directory: a plain list of what it holds."""
    names = ["index.txt", "changes.csv"] + [path for path, _ in _csaf_listing()]
    return HttpResponse("".join(f"{n}\n" for n in names), content_type="text/plain; charset=utf-8")


@require_GET
def csaf_advisory_view(request: HttpRequest, year: str, name: str) -> JsonResponse:
    """One advisory of the distribution: the same document as the report's csaf.json."""
    match = re.fullmatch(r"safeharbor-vdp-([0-9]{1,18})", name)
    access._require(match is not None)
    assert match is not None
    report = (
        _disclosed_reports()
        .select_related("asset", "weakness")
        .filter(pk=int(match.group(1)))
        .first()
    )
    access._require(report is not None and csaf_path(report) == f"{year}/{name}.json")
    assert report is not None
    return _csaf_response(report)


@require_GET
def report_osv_view(request: HttpRequest, report_id: int) -> JsonResponse:
    """The disclosed report as an OSV record."""
    report = _disclosed_report(request, report_id)
    return JsonResponse(osv_record(report, settings.SITE_URL), json_dumps_params={"indent": 2})


def _disclosure_actions(report: Report, team: bool) -> list[str]:
    """What the viewer may do about disclosure now (the service checks again)."""
    program = services.current_program()
    if program.disclosure_mode == "disabled" or report.state != ReportState.RESOLVED:
        return []
    if report.disclosure_state == DisclosureState.DISCLOSED:
        return []
    side = "team" if team else "researcher"
    actions = []
    if report.disclosure_state != DisclosureState.REQUESTED:
        actions.append("request")
    elif report.disclosure_requested_by != side:
        actions.append("agree")
    if report.disclosure_state != DisclosureState.OBJECTED:
        actions.append("object")
    return actions


@login_required
@require_POST
def disclosure_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="participate")
    team = access.is_team(user)
    if not team and report.researcher_id != user.pk:
        access._require(False)
    by = Actor.TEAM if team else Actor.RESEARCHER
    form = DisclosureForm(request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "request":
                services.request_disclosure(
                    report, kind=form.cleaned_data["kind"] or "full", actor=user, by=by,
                    request=request,
                )  # fmt: skip
            elif action == "agree":
                services.agree_disclosure(report, actor=user, by=by, request=request)
            else:
                services.object_to_disclosure(
                    report, reason=form.cleaned_data["reason"], actor=user, by=by, request=request
                )
        except services.DisclosureError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
            report.refresh_from_db()
            status = 409 if isinstance(error, services.TransitionRefused) else 400
            return _report_page(request, report, status=status, disclosure_form=form)
        messages.success(request, "Disclosure is updated.")
        return redirect("disclosure:report_detail", report_id=report.pk)
    return _report_page(request, report, status=400, disclosure_form=form)


@login_required
@require_POST
def public_version_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="triage")
    form = PublicVersionForm(request.POST)
    if form.is_valid():
        services.update_public_version(
            report, services.PublicVersion(**form.cleaned_data), actor=user, request=request
        )
        messages.success(request, "The public version is saved.")
        return redirect("disclosure:report_detail", report_id=report.pk)
    return _report_page(request, report, status=400, public_form=form)


@login_required
@require_POST
def award_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="award")
    form = AwardForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            bounty = services.award_bounty(
                report,
                amount=data["amount"],
                bonus=data["bonus"] or Decimal("0"),
                currency=data["currency"],
                kind=data["kind"],
                note=data["note"],
                actor=user,
                request=request,
            )
        except services.DisclosureError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
            status = 409 if isinstance(error, services.TransitionRefused) else 400
        else:
            messages.success(
                request, f"{bounty.get_kind_display()} of {bounty.total} {bounty.currency} awarded."
            )
            return redirect("disclosure:report_detail", report_id=report.pk)
    return _report_page(request, report, status=status, award_form=form)


@login_required
@require_POST
def comment_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="participate")
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_comment(
                report,
                form.cleaned_data["body"],
                actor=user,
                internal=form.cleaned_data["internal"] and access.is_team(user),
                uploads=uploads_of(form.cleaned_data["attachments"]),
                request=request,
            )
        except (services.DisclosureError, AttachmentRefused) as error:
            form.add_error(
                "attachments" if isinstance(error, AttachmentRefused) else None, str(error)
            )
        else:
            messages.success(request, "Your comment is posted.")
            return redirect("disclosure:report_detail", report_id=report.pk)
    report.refresh_from_db()
    return _report_page(request, report, status=400, comment_form=form)


@login_required
@require_POST
def state_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="triage")
    form = StateForm(request.POST)
    status = 400
    if form.is_valid():
        original = None
        if form.cleaned_data["duplicate_of"]:
            original = (
                access.visible_reports_for_user(user)
                .filter(pk=form.cleaned_data["duplicate_of"])
                .first()
            )
            if original is None:
                form.add_error("duplicate_of", "There is no such report.")
        if form.is_valid():
            try:
                services.change_state(
                    report,
                    form.cleaned_data["state"],
                    actor=user,
                    by=Actor.TEAM,
                    reason=form.cleaned_data["reason"],
                    duplicate_of=original,
                    credit_original=form.cleaned_data["credit_original"],
                    request=request,
                )
            except services.TransitionRefused as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
                status = 409
            else:
                messages.success(request, "The state is changed.")
                return redirect("disclosure:report_detail", report_id=report.pk)
    return _report_page(request, report, status=status, state_form=form)


@login_required
@require_POST
def withdraw_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="participate")
    if report.researcher_id != user.pk:
        return _report_page(request, report, status=404)
    try:
        services.withdraw_report(report, actor=user, request=request)
    except services.TransitionRefused as error:
        messages.error(request, str(error))
        return _report_page(request, report, status=409)
    messages.success(request, "Your report is withdrawn.")
    return redirect("disclosure:report_detail", report_id=report.pk)


@login_required
@require_POST
def assign_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="triage")
    form = AssignForm(request.POST, team=services.team_members())
    if not form.is_valid():
        return _report_page(request, report, status=400, assign_form=form)
    services.assign_report(report, form.cleaned_data["assignee"], actor=user, request=request)
    messages.success(request, "The assignment is saved.")
    return redirect("disclosure:report_detail", report_id=report.pk)


@login_required
@require_POST
def severity_view(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access.get_report_for_user(user, report_id, need="triage")
    form = SeverityChangeForm(request.POST)
    if form.is_valid():
        try:
            services.change_severity(
                report,
                form.cleaned_data["scored"],
                reason=form.cleaned_data["reason"],
                actor=user,
                request=request,
            )
        except services.DisclosureError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, "The severity is changed.")
            return redirect("disclosure:report_detail", report_id=report.pk)
    return _report_page(request, report, status=400, severity_form=form)


@login_required
@require_GET
def attachment_view(request: HttpRequest, report_id: int, attachment_id: int) -> FileResponse:
    attachment = access.get_attachment_for_user(_user(request), report_id, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The security team ----------------------------------------------------------------------


def _filter_queue(reports: QuerySet[Report], form: QueueFilterForm, user: User) -> QuerySet[Report]:
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state", "")
    if state == "":
        reports = reports.filter(state__in=OPEN_STATES)
    elif state != "all":
        reports = reports.filter(state=state)
    if data.get("asset"):
        reports = reports.filter(asset=data["asset"])
    if data.get("severity"):
        reports = reports.filter(severity=data["severity"])
    if data.get("assignee") == "me":
        reports = reports.filter(assignee=user)
    elif data.get("assignee") == "none":
        reports = reports.filter(assignee__isnull=True)
    if data.get("sla"):
        now = timezone.now()
        reports = reports.filter(state__in=OPEN_STATES).filter(
            Q(first_response_at__isnull=True, first_response_due_at__lt=now)
            | Q(triaged_at__isnull=True, triage_due_at__lt=now)
            | Q(resolved_at__isnull=True, resolution_due_at__lt=now)
        )
    query = (data.get("q") or "").strip()
    if query:
        condition = Q(title__icontains=query) | Q(endpoint__icontains=query)
        if query.lstrip("#").isdigit():
            condition |= Q(pk=int(query.lstrip("#")))
        reports = reports.filter(condition)
    return reports


@login_required
def queue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    reports = access.triage_queue_for_user(user)
    form = QueueFilterForm(request.GET or None)
    reports = _filter_queue(reports, form, user).select_related(
        "asset", "weakness", "assignee", "researcher"
    )
    page = Paginator(reports.order_by("submitted_at", "pk"), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(report, report.sla_breaches(now)) for report in page]
    query = request.GET.copy()
    query.pop("page", None)
    program = services.current_program()
    return render(
        request,
        "disclosure/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "expiry_warning": user.has_perm("disclosure.change_program")
            and services.security_txt_lapses_soon(program),
        },
    )


@login_required
def program_edit_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    program = access.get_program_for_user(user)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        services.update_program(form.cleaned_data, actor=user, request=request)
        messages.success(request, "The program is saved.")
        return redirect("disclosure:program_edit")
    program.refresh_from_db()
    return render(
        request,
        "disclosure/program_edit.html",
        {
            "form": form,
            "expiry_warning": services.security_txt_lapses_soon(program),
            "program": program,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def bounty_table_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require_bounty_table_editor(user)
    current = services.current_bounty_table()
    initial = (
        {(r.severity, r.tier): (r.min_amount, r.max_amount) for r in current.ranges.all()}
        if current
        else {}
    )
    form = BountyTableForm(
        request.POST or None,
        initial_ranges=initial,
        initial={"currency": current.currency if current else "USD"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            table = services.publish_bounty_table(
                currency=form.cleaned_data["currency"],
                ranges=form.ranges(),
                note=form.cleaned_data["note"],
                actor=user,
                request=request,
            )
        except services.DisclosureError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Bounty table version {table.version} is published.")
            return redirect("disclosure:bounty_table")
    versions = BountyTable.objects.select_related("created_by").prefetch_related(
        Prefetch("ranges")
    )[:20]
    return render(
        request,
        "disclosure/bounty_table.html",
        {
            "form": form,
            "versions": versions,
            "rated": BountyTableForm.RATED,
            "tiers": [1, 2, 3],
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def asset_list_view(request: HttpRequest) -> HttpResponse:
    assets = access.visible_assets_for_user(_user(request))
    page = Paginator(assets, 100).get_page(request.GET.get("page"))
    return render(request, "disclosure/asset_list.html", {"page": page, "query": ""})


@login_required
def asset_edit_view(request: HttpRequest, asset_id: int | None = None) -> HttpResponse:
    user = _user(request)
    asset = access.get_asset_for_user(user, asset_id) if asset_id else None
    if asset is None:
        access.visible_assets_for_user(user)
        if not user.has_perm("disclosure.add_asset"):
            access._require(False)
    form = AssetForm(request.POST or None, instance=asset)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_asset(asset, form.cleaned_data, actor=user, request=request)
        except services.DisclosureError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, f"{saved.identifier} is saved.")
            return redirect("disclosure:asset_list")
    return render(
        request,
        "disclosure/asset_edit.html",
        {"form": form, "asset": asset},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def payouts_view(request: HttpRequest) -> HttpResponse:
    """Payout records for finance: unpaid first; CSV with ?format=csv."""
    user = _user(request)
    payouts = access.payouts_for_user(user).select_related(
        "bounty__table", "bounty__report__researcher__researcher_profile"
    )
    status = request.GET.get("status", "")
    if status in {"pending", "paid", "failed"}:
        payouts = payouts.filter(status=status)
    if request.GET.get("format") == "csv":
        services.record_payouts_export(actor=user, request=request, count=payouts.count())
        response = HttpResponse(payouts_csv(payouts), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="payouts.csv"'
        response["Cache-Control"] = "private, no-store"
        return response
    page = Paginator(payouts.order_by("status", "pk"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "disclosure/payouts.html",
        {"page": page, "status": status, "form": PayoutForm()},
    )


@login_required
@require_POST
def payout_view(request: HttpRequest, payout_id: int) -> HttpResponse:
    user = _user(request)
    payout = access.get_payout_for_user(user, payout_id)
    form = PayoutForm(request.POST)
    if form.is_valid():
        try:
            services.record_payout(
                payout,
                status=form.cleaned_data["status"],
                reference=form.cleaned_data["reference"],
                actor=user,
                request=request,
            )
        except services.DisclosureError as error:
            messages.error(request, str(error))
            return redirect("disclosure:payouts")
        messages.success(request, f"Payout {payout.pk} is recorded.")
    else:
        messages.error(request, "Choose a status.")
    return redirect("disclosure:payouts")


def manage_links(user: Any) -> list[tuple[str, str]]:
    links = []
    if access.is_team(user):
        links.append(("Triage queue", reverse("disclosure:queue")))
    if user.has_perm("disclosure.change_asset"):
        links.append(("Scope", reverse("disclosure:asset_list")))
    if user.has_perm("disclosure.change_program"):
        links.append(("Program", reverse("disclosure:program_edit")))
    if user.has_perm("disclosure.publish_bountytable"):
        links.append(("Bounty table", reverse("disclosure:bounty_table")))
    if user.has_perm("disclosure.award_bounty"):
        links.append(("Payouts", reverse("disclosure:payouts")))
    return links
