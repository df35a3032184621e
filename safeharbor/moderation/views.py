"""Moderation pages: the public report form, and the staff queues, cases and taxonomy."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from safeharbor.core.requests import client_ip
from safeharbor.moderation.access import (
    case_roles_for,
    categories_for_admin,
    check_figures_access,
    check_settings_access,
    get_case_for_user,
    get_category_for_admin,
    get_decision_for_user,
    get_queue_for_user,
    get_report_of_case,
    visible_queues_for_user,
)
from safeharbor.moderation.figures import moderation_figures
from safeharbor.moderation.forms import (
    AppealDecisionForm,
    CaseFilterForm,
    DecisionForm,
    FiguresPeriodForm,
    ModerationSettingsForm,
    PolicyCategoryForm,
    PublicReportForm,
)
from safeharbor.moderation.media import MediaUnavailable, fetch_media
from safeharbor.moderation.models import ACTIVE_STATES, Case, CaseState, DecisionAction
from safeharbor.moderation.services import (
    ClaimConflict,
    DecisionConflict,
    ExposureCapReached,
    ModerationError,
    claim_case,
    claim_next_case,
    correct_decision,
    current_settings,
    decide_appeal,
    decide_case,
    decisions_on_author,
    escalate_case,
    exposure_status,
    open_appeal_of,
    queue_figures,
    record_break,
    release_case,
    renew_claim,
    reveal_media,
    submit_report,
    update_moderation_settings,
    update_policy_category,
)
from safeharbor.moderation.statements import transparency_database_statement
from safeharbor.moderation.throttle import PUBLIC_REPORTS_PER_WINDOW, take_public_report_slot

CASES_PER_PAGE = 50


# --- Public ------------------------------------------------------------------------------------


def report_view(request: HttpRequest) -> HttpResponse:
    """Anyone may report content, without an account; rate-limited per client address."""
    form = PublicReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = take_public_report_slot(client_ip(request))
        if wait:
            response = render(
                request,
                "moderation/report_limited.html",
                {"minutes": max(1, wait // 60), "limit": PUBLIC_REPORTS_PER_WINDOW},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        submit_report(form.report_data())
        return redirect("moderation:report_thanks")
    status = 400 if request.method == "POST" else 200
    return render(request, "moderation/report_form.html", {"form": form}, status=status)


def report_thanks_view(request: HttpRequest) -> HttpResponse:
    return render(request, "moderation/report_thanks.html")


# --- Staff: queues and cases -------------------------------------------------------------------


@login_required
def queue_list_view(request: HttpRequest) -> HttpResponse:
    queues = list(visible_queues_for_user(request.user).filter(active=True))
    figures = queue_figures(queues, case_roles_for(request.user))
    return render(request, "moderation/queue_list.html", {"figures": figures})


@login_required
def queue_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    queue = get_queue_for_user(request.user, slug)
    now = timezone.now()
    cases = (
        queue.cases.filter(required_role__in=case_roles_for(request.user))
        .select_related("category", "claimed_by")
        .order_by("-priority_key", "opened_at")
    )
    form = CaseFilterForm(request.GET or None)
    if form.is_valid():
        cases = form.filter(cases, now)
    if not (form.is_bound and form.is_valid() and form.cleaned_data.get("state")):
        cases = cases.filter(state__in=ACTIVE_STATES)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/queue_detail.html",
        {"queue": queue, "form": form, "page": page, "query": query.urlencode(), "now": now},
    )


@login_required
@require_POST
def claim_next_view(request: HttpRequest, slug: str) -> HttpResponse:
    queue = get_queue_for_user(request.user, slug)
    try:
        case = claim_next_case(
            queue, actor=request.user, roles=case_roles_for(request.user), request=request
        )
    except ExposureCapReached as error:
        messages.error(request, str(error))
        return redirect("moderation:queue_detail", slug=queue.slug)
    if case is None:
        messages.info(request, "No case is waiting in this queue.")
        return redirect("moderation:queue_detail", slug=queue.slug)
    return redirect("moderation:case_detail", public_id=case.public_id)


REVEALED_SESSION_KEY = "moderation_revealed_reports"


def _revealed(request: HttpRequest) -> set[str]:
    return set(request.session.get(REVEALED_SESSION_KEY, []))


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    decision_form: DecisionForm | None = None,
    appeal_form: AppealDecisionForm | None = None,
) -> HttpResponse:
    """The review page: the case, its content and reports (media blurred unless revealed), the
    author's earlier decisions, the exposure counter, and the forms the viewer may use."""
    mine = case.is_claimed_by(request.user)
    appeal = open_appeal_of(case) if case.state == CaseState.APPEALED else None
    decisions = list(
        case.decisions.select_related("policy", "decided_by", "corrects").order_by("created_at")
    )
    can_decide = mine and case.state in (CaseState.IN_REVIEW, CaseState.ESCALATED)
    can_correct = case.state == CaseState.DECIDED and bool(decisions)
    if decision_form is None and (can_decide or can_correct):
        decision_form = DecisionForm(case=case)
    if appeal_form is None and appeal is not None and mine:
        appeal_form = AppealDecisionForm()
    context = {
        "case": case,
        "reports": case.reports.select_related("category").order_by("received_at"),
        "mine": mine,
        "held_by_other": case.lease_is_live() and not mine,
        "can_decide": can_decide,
        "can_correct": can_correct,
        "decision_form": decision_form,
        "appeal": appeal,
        "appeal_form": appeal_form,
        "own_decision_under_appeal": appeal is not None
        and appeal.decision.decided_by_id == request.user.pk,
        "decisions": decisions,
        "author_decisions": decisions_on_author(case),
        "exposure": exposure_status(request.user),
        "revealed": _revealed(request),
    }
    return render(request, "moderation/case_detail.html", context, status=status)


@login_required
def case_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _render_case(request, get_case_for_user(request.user, public_id))


@login_required
@require_POST
def case_decide_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Decide (the claimant of a case in review), or correct the decision of a decided case."""
    case = get_case_for_user(request.user, public_id)
    correcting = case.state == CaseState.DECIDED
    if not correcting and not case.is_claimed_by(request.user):
        messages.error(request, "Only the reviewer who holds this case may decide it.")
        return _render_case(request, case, status=409)
    form = DecisionForm(request.POST, case=case)
    if not form.is_valid():
        return _render_case(request, case, status=400, decision_form=form)
    try:
        if form.cleaned_data["action"] == DecisionAction.ESCALATE:
            if correcting:
                raise DecisionConflict("A decided case cannot be escalated; correct it instead.")
            escalate_case(case, actor=request.user, request=request)
            messages.success(request, "The case went to the escalation queue.")
            return redirect("moderation:queue_detail", slug=case.queue.slug)
        if correcting:
            latest = case.decisions.order_by("-created_at", "-pk").first()
            assert latest is not None
            correct_decision(latest, form.decision(), actor=request.user, request=request)
            messages.success(request, "The correction is recorded and sent to the platform.")
            return redirect("moderation:case_detail", public_id=case.public_id)
        decide_case(case, form.decision(), actor=request.user, request=request)
    except (DecisionConflict, ModerationError) as error:
        messages.error(request, str(error))
        return _render_case(request, case, status=409)
    except ValidationError as error:
        for name, field_errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, field_errors)
        return _render_case(request, case, status=400, decision_form=form)
    messages.success(request, "The decision is recorded and sent to the platform.")
    return redirect("moderation:queue_detail", slug=case.queue.slug)


@login_required
@require_POST
def appeal_decide_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, public_id)
    appeal = open_appeal_of(case)
    if appeal is None:
        raise Http404
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, status=400, appeal_form=form)
    try:
        decide_appeal(
            appeal,
            outcome=form.cleaned_data["outcome"],
            explanation=form.cleaned_data["explanation"],
            actor=request.user,
            request=request,
        )
    except DecisionConflict as error:
        messages.error(request, str(error))
        return _render_case(request, case, status=409)
    messages.success(request, "The appeal is decided and the outcome sent to the platform.")
    return redirect("moderation:queue_detail", slug=case.queue.slug)


@login_required
@require_POST
def media_reveal_view(request: HttpRequest, public_id: UUID, report_id: UUID) -> HttpResponse:
    """Reveal one report's media: a logged click, counted against the daily cap."""
    case = get_case_for_user(request.user, public_id)
    report = get_report_of_case(case, report_id)
    try:
        reveal_media(case, report, actor=request.user, request=request)
    except ExposureCapReached as error:
        messages.error(request, str(error))
        return _render_case(request, case, status=429)
    except ClaimConflict as error:
        messages.error(request, str(error))
        return _render_case(request, case, status=409)
    revealed = _revealed(request) | {str(report.public_id)}
    request.session[REVEALED_SESSION_KEY] = sorted(revealed)[-200:]
    url = reverse("moderation:case_detail", kwargs={"public_id": case.public_id})
    return redirect(f"{url}#report-{report.public_id}")


@login_required
def media_view(request: HttpRequest, public_id: UUID, report_id: UUID) -> HttpResponse:
    """The media of a report, for the reviewer holding the case: a re-encoded image or an MP4 or
    WebM video. The page shows it blurred until revealed."""
    case = get_case_for_user(request.user, public_id)
    report = get_report_of_case(case, report_id)
    if not case.is_claimed_by(request.user):
        raise Http404
    try:
        media = fetch_media(report)
    except MediaUnavailable:
        return HttpResponse(status=502)
    response = HttpResponse(media.body, content_type=media.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def break_view(request: HttpRequest) -> HttpResponse:
    visible_queues_for_user(request.user)  # reviewers only
    record_break(request.user, request=request)
    messages.success(request, "Welcome back. The break prompt counts from now.")
    return redirect(_safe_next(request) or reverse("moderation:queue_list"))


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@login_required
def decision_statement_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The decision's statement of reasons in the DSA Transparency Database JSON shape."""
    decision = get_decision_for_user(request.user, public_id)
    if not decision.restricts:
        raise Http404
    response = JsonResponse(
        transparency_database_statement(decision), json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="statement-{decision.public_id}.json"'
    return response


def _claim_action(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    case = get_case_for_user(request.user, public_id)
    try:
        if action == "claim":
            claim_case(case, actor=request.user, request=request)
            messages.success(request, "You hold this case for 10 minutes.")
        elif action == "renew":
            renew_claim(case, actor=request.user)
            messages.success(request, "You hold this case for another 10 minutes.")
        else:
            release_case(case, actor=request.user, request=request)
            messages.success(request, "The case is back in its queue.")
            return redirect("moderation:queue_detail", slug=case.queue.slug)
    except ExposureCapReached as error:
        messages.error(request, str(error))
        return _render_case(request, case, status=429)
    except ClaimConflict as error:
        messages.error(request, str(error))
        return _render_case(request, case, status=409)
    return redirect("moderation:case_detail", public_id=case.public_id)


@login_required
@require_POST
def case_claim_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _claim_action(request, public_id, "claim")


@login_required
@require_POST
def case_renew_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _claim_action(request, public_id, "renew")


@login_required
@require_POST
def case_release_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _claim_action(request, public_id, "release")


# --- Staff: the policy taxonomy ------------------------------------------------------------------


@login_required
def category_list_view(request: HttpRequest) -> HttpResponse:
    categories = categories_for_admin(request.user)
    return render(request, "moderation/category_list.html", {"categories": categories})


@login_required
def category_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_category_for_admin(request.user, slug)
    if request.method != "POST":
        form = PolicyCategoryForm(instance=category)
        return render(
            request, "moderation/category_edit.html", {"form": form, "category": category}
        )
    # The form writes into its instance while validating: give it a copy, so the service sees
    # the category as it was and records what changed.
    form = PolicyCategoryForm(request.POST, instance=get_category_for_admin(request.user, slug))
    if not form.is_valid():
        return render(
            request,
            "moderation/category_edit.html",
            {"form": form, "category": category},
            status=400,
        )
    update_policy_category(
        category,
        {name: form.cleaned_data[name] for name in PolicyCategoryForm.Meta.fields},
        actor=request.user,
        request=request,
    )
    messages.success(request, f"“{category.name}” is saved.")
    return redirect("moderation:category_list")


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    check_settings_access(request.user)
    form = ModerationSettingsForm(request.POST or None, instance=current_settings())
    if request.method == "POST":
        if form.is_valid():
            update_moderation_settings(
                {name: form.cleaned_data[name] for name in ModerationSettingsForm.Meta.fields},
                actor=request.user,
                request=request,
            )
            messages.success(request, "The moderation settings are saved.")
            return redirect("moderation:settings")
        return render(request, "moderation/settings.html", {"form": form}, status=400)
    return render(request, "moderation/settings.html", {"form": form})


# --- Staff: figures for transparency -------------------------------------------------------------


def period_of(form: FiguresPeriodForm) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(form.cleaned_data["start"], time.min, tzinfo=tz)
    end = datetime.combine(form.cleaned_data["end"] + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


@login_required
def figures_view(request: HttpRequest) -> HttpResponse:
    check_figures_access(request.user)
    today = timezone.localdate()
    form = FiguresPeriodForm(
        request.GET or {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}
    )
    figures = moderation_figures(*period_of(form)) if form.is_valid() else None
    return render(
        request,
        "moderation/figures.html",
        {"form": form, "figures": figures},
        status=200 if figures is not None else 400,
    )
