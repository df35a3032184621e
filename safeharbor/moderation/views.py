"""Moderation pages: the public report form, and the staff queues, cases and taxonomy."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from safeharbor.core.requests import client_ip
from safeharbor.moderation.access import (
    case_roles_for,
    categories_for_admin,
    get_case_for_user,
    get_category_for_admin,
    get_queue_for_user,
    visible_queues_for_user,
)
from safeharbor.moderation.forms import CaseFilterForm, PolicyCategoryForm, PublicReportForm
from safeharbor.moderation.models import ACTIVE_STATES
from safeharbor.moderation.services import (
    ClaimConflict,
    claim_case,
    claim_next_case,
    queue_figures,
    release_case,
    renew_claim,
    submit_report,
    update_policy_category,
)
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
    case = claim_next_case(
        queue, actor=request.user, roles=case_roles_for(request.user), request=request
    )
    if case is None:
        messages.info(request, "No case is waiting in this queue.")
        return redirect("moderation:queue_detail", slug=queue.slug)
    return redirect("moderation:case_detail", public_id=case.public_id)


@login_required
def case_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, public_id)
    reports = case.reports.select_related("category").order_by("received_at")
    return render(
        request,
        "moderation/case_detail.html",
        {
            "case": case,
            "reports": reports,
            "mine": case.is_claimed_by(request.user),
            "held_by_other": case.lease_is_live() and not case.is_claimed_by(request.user),
        },
    )


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
    except ClaimConflict as error:
        messages.error(request, str(error))
        response = case_detail_view(request, public_id)
        response.status_code = 409
        return response
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
