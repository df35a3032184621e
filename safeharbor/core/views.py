from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safeharbor.accounts.roles import ROLES
from safeharbor.accounts.sudo import sudo_required
from safeharbor.core import health
from safeharbor.core.access import (
    get_webhook_delivery_for_user,
    get_webhook_endpoint_for_user,
    visible_audit_events_for_user,
    webhook_deliveries_for_user,
    webhook_endpoints_for_user,
)
from safeharbor.core.forms import AuditFilterForm, WebhookDeliveryFilterForm, WebhookEndpointForm
from safeharbor.core.models import DeliveryState, WebhookEndpoint
from safeharbor.core.webhooks import WebhookError, delivery_counts, replay_delivery, save_endpoint


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


# --- Webhooks: endpoints and the dead-letter page (administrators) -------------------------------


@login_required
def webhook_list_view(request: HttpRequest) -> HttpResponse:
    deliveries = webhook_deliveries_for_user(request.user)
    endpoints = webhook_endpoints_for_user(request.user)
    form = WebhookDeliveryFilterForm(request.GET or {"state": DeliveryState.DEAD})
    if form.is_valid() and form.cleaned_data["state"]:
        deliveries = deliveries.filter(state=form.cleaned_data["state"])
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/webhooks/list.html",
        {
            "endpoints": endpoints,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "counts": delivery_counts(),
        },
    )


@login_required
@require_POST
def webhook_replay_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_webhook_delivery_for_user(request.user, delivery_id)
    try:
        replay_delivery(delivery, actor=request.user, request=request)
    except WebhookError as error:
        messages.error(request, str(error))
        return redirect("core:webhook_list")
    delivery.refresh_from_db()
    if delivery.state == DeliveryState.DELIVERED:
        messages.success(request, f"The {delivery.event_type} event was delivered.")
    else:
        messages.warning(
            request,
            f"The {delivery.event_type} event was sent again and is {delivery.get_state_display()}"
            f" ({delivery.last_error or 'no answer yet'}).",
        )
    return redirect("core:webhook_list")


@login_required
def webhook_endpoint_view(request: HttpRequest, endpoint_id: int | None = None) -> HttpResponse:
    endpoint = (
        get_webhook_endpoint_for_user(request.user, endpoint_id)
        if endpoint_id is not None
        else WebhookEndpoint(enabled=True)
    )
    if endpoint_id is None:
        webhook_endpoints_for_user(request.user)  # the permission check
    if request.method == "POST":
        return _save_webhook_endpoint(request, endpoint)
    initial = {
        "name": endpoint.name,
        "url": endpoint.url,
        "enabled": endpoint.enabled,
        "event_types": ", ".join(endpoint.event_types),
    }
    return render(
        request,
        "core/webhooks/endpoint.html",
        {"form": WebhookEndpointForm(initial=initial), "endpoint": endpoint},
    )


@sudo_required
def _save_webhook_endpoint(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "core/webhooks/endpoint.html",
            {"form": form, "endpoint": endpoint},
            status=400,
        )
    data = form.cleaned_data
    endpoint = save_endpoint(
        endpoint,
        {name: data[name] for name in ("name", "url", "enabled", "event_types")},
        actor=request.user,
        request=request,
        rotate_secret=data["rotate_secret"],
    )
    messages.success(request, f"The endpoint “{endpoint.name}” is saved.")
    return redirect("core:webhook_endpoint", endpoint_id=endpoint.pk)
