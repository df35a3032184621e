from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from safeharbor.accounts.roles import ROLES
from safeharbor.core import health
from safeharbor.core.access import visible_audit_events_for_user
from safeharbor.core.forms import AuditFilterForm


def staff_login_redirect(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin site's login: send people to Safeharbor's own sign-in, then back. Someone
    signed in who may not use the admin site gets a 404 (not a loop back to sign-in)."""
    if request.user.is_authenticated:
        raise Http404
    return redirect_to_login(request.GET.get("next", "/admin/"))


def password_change_redirect(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The admin site's password change: Safeharbor's own page (policy, meter, audit)."""
    return HttpResponseRedirect(reverse("accounts:password_change"))


def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


# What each role's dashboard will hold; modules replace these placeholders as they arrive.
ROLE_SECTIONS = {
    "admin": ["Staff accounts and roles", "API keys", "Audit log"],
    "security-triager": ["Vulnerability report queue (arrives with the disclosure module)"],
    "moderator": ["Review queues (arrive with the moderation module)"],
    "child-safety": ["Child-safety cases and CyberTipline reports (arrive with their modules)"],
    "transparency-editor": ["Transparency reports (arrive with the transparency module)"],
}


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    sections = [
        {"role": role, "items": ROLE_SECTIONS.get(role.slug, [])}
        for role in ROLES
        if role.name in user.role_names  # type: ignore[union-attr]
    ]
    return render(request, "core/dashboard.html", {"sections": sections})


@login_required
def audit_list_view(request: HttpRequest) -> HttpResponse:
    events = visible_audit_events_for_user(request.user).select_related("actor")
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        events = form.filter(events)
    page = Paginator(events.order_by("-sequence"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "core/audit_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


def _checks_response(checks: dict[str, health.Check], good: str, bad: str) -> JsonResponse:
    ok = all(check.ok for check in checks.values())
    return JsonResponse(
        {
            "status": good if ok else bad,
            "checks": {name: {"ok": c.ok, **c.detail} for name, c in checks.items()},
        },
        status=200 if ok else 503,
    )


@never_cache
def healthz_view(request: HttpRequest) -> JsonResponse:
    checks = {"database": health.check_database(), "tasks": health.check_task_queue()}
    return _checks_response(checks, "ok", "unhealthy")


@never_cache
def readyz_view(request: HttpRequest) -> JsonResponse:
    checks = {"database": health.check_database(), "migrations": health.check_migrations()}
    return _checks_response(checks, "ready", "not ready")


def error_404_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_403_view(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_500_view(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may lie in them.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
