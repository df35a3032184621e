"""Staff pages for the intervention term lists: versions, editing, history, restore."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from safeharbor.safety.interventions.access import get_version_for_user, term_lists_for_user
from safeharbor.safety.interventions.forms import (
    StartLocaleForm,
    TermListForm,
    allow_lines,
    term_lines,
)
from safeharbor.safety.interventions.matcher import RELOAD_SECONDS
from safeharbor.safety.interventions.services import (
    canonical_locale,
    current_version,
    current_versions,
    diff_term_lists,
    previous_version,
    restore_term_list,
    save_term_list,
    validate_locale,
)
from safeharbor.safety.models import InterventionCount

COUNTS_DAYS = 30


def _locale_or_404(locale: str) -> str:
    if validate_locale(locale) or canonical_locale(locale) != locale:
        raise Http404
    return locale


@login_required
@require_http_methods(["GET"])
def index_view(request: HttpRequest) -> HttpResponse:
    term_lists_for_user(request.user)
    start = StartLocaleForm(request.GET or None)
    if request.GET and start.is_valid():
        locale = start.cleaned_data["locale"]
        problem = validate_locale(locale)
        if problem:
            start.add_error("locale", problem)
        else:
            return redirect("safety:interventions_edit", locale=canonical_locale(locale))
    since = timezone.now().date() - dt.timedelta(days=COUNTS_DAYS)
    counts = (
        InterventionCount.objects.filter(day__gte=since)
        .values("locale", "level")
        .annotate(total=Sum("count"))
        .order_by("locale", "level")
    )
    return render(
        request,
        "safety/interventions/index.html",
        {
            "versions": current_versions(),
            "start": start,
            "counts": counts,
            "counts_days": COUNTS_DAYS,
            "reload_seconds": int(RELOAD_SECONDS),
        },
    )


@login_required
@require_http_methods(["GET"])
def locale_view(request: HttpRequest, locale: str) -> HttpResponse:
    versions = term_lists_for_user(request.user).filter(locale=_locale_or_404(locale))
    history = list(versions.select_related("created_by").order_by("-number"))
    if not history:
        raise Http404
    return render(
        request,
        "safety/interventions/locale.html",
        {"locale": locale, "current": history[0], "history": history},
    )


@login_required
@require_http_methods(["GET"])
def version_view(request: HttpRequest, locale: str, number: int) -> HttpResponse:
    version = get_version_for_user(request.user, _locale_or_404(locale), number)
    before = previous_version(version)
    newest = current_version(locale)
    return render(
        request,
        "safety/interventions/version.html",
        {
            "version": version,
            "before": before,
            "diff": diff_term_lists(before, version),
            "is_current": newest is not None and newest.pk == version.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, locale: str) -> HttpResponse:
    term_lists_for_user(request.user)
    locale = _locale_or_404(locale)
    current = current_version(locale)
    if request.method == "POST":
        form = TermListForm(request.POST, current=current)
        if form.is_valid():
            version = save_term_list(
                locale,
                form.cleaned_data["parsed_terms"],
                form.cleaned_data["parsed_allow"],
                by=request.user,
                note=form.cleaned_data["note"],
                request=request,
            )
            messages.success(
                request,
                f"Saved {locale} version {version.number}. Every worker uses it within "
                f"{int(RELOAD_SECONDS)} seconds.",
            )
            return redirect("safety:interventions_locale", locale=locale)
        status = 400
    else:
        form = TermListForm(
            initial={"terms": term_lines(current), "allow": allow_lines(current)},
            current=current,
        )
        status = 200
    return render(
        request,
        "safety/interventions/edit.html",
        {"form": form, "locale": locale, "current": current},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def restore_view(request: HttpRequest, locale: str, number: int) -> HttpResponse:
    version = get_version_for_user(request.user, _locale_or_404(locale), number)
    newest = current_version(locale)
    if request.method == "POST":
        if newest is not None and newest.pk == version.pk:
            messages.info(request, f"Version {number} is already in force.")
        else:
            restored = restore_term_list(version, request.user, request=request)
            messages.success(
                request, f"Version {number} is in force again, saved as version {restored.number}."
            )
        return redirect("safety:interventions_locale", locale=locale)
    return render(
        request,
        "core/confirm.html",
        {
            "title": f"Restore {locale} version {number}?",
            "body": (
                f"Version {number} ({len(version.terms)} terms, {len(version.allow)} allowed "
                f"phrases) will be saved as a new version and be in force from now on. "
                f"Version {newest.number if newest else '-'} stays in the history."
            ),
            "confirm_label": f"Restore version {number}",
            "cancel_url": reverse(
                "safety:interventions_version", kwargs={"locale": locale, "number": number}
            ),
        },
    )
