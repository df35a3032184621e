from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from safeharbor.accounts.sudo import has_sudo, sudo_required
from safeharbor.passwords import range_api
from safeharbor.passwords.access import get_policy_for_user
from safeharbor.passwords.breach.checker import local_index
from safeharbor.passwords.forms import PasswordPolicyForm
from safeharbor.passwords.policy import PRESETS
from safeharbor.passwords.services import check_password, rules_of, update_policy

LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"]
METER_FIELDS = {"password", "new_password1", "password1"}


@never_cache
@require_POST
def meter_view(request: HttpRequest) -> HttpResponse:
    """The strength meter's live update (htmx). The password is checked and forgotten."""
    field = request.POST.get("meter_field", "password")
    password = request.POST.get(field, "") if field in METER_FIELDS else ""
    user = request.user if request.user.is_authenticated else None
    result = (
        check_password(
            password,
            username=request.POST.get("username", "") or (user.get_username() if user else ""),
            email=request.POST.get("email", "") or (getattr(user, "email", "") if user else ""),
            with_mfa=bool(user is not None and getattr(user, "requires_mfa", False)),
        )
        if password
        else None
    )
    label = ""
    if result is not None:
        label = "Not accepted" if not result.accepted else LABELS[result.score]
    return render(request, "passwords/partials/meter.html", {"result": result, "label": label})


@login_required
def policy_view(request: HttpRequest) -> HttpResponse:
    """The installation's password policy: shown to administrators, changed after sudo."""
    policy = get_policy_for_user(request.user)
    if request.method == "POST":
        return _change_policy(request)
    form = PasswordPolicyForm(instance=policy)
    return render(
        request,
        "passwords/policy.html",
        {"form": form, "rules": rules_of(policy), "presets": PRESETS, "sudo": has_sudo(request)},
    )


@sudo_required
def _change_policy(request: HttpRequest) -> HttpResponse:
    policy = get_policy_for_user(request.user)
    form = PasswordPolicyForm(request.POST, instance=policy)
    if form.is_valid():
        update_policy(form.cleaned_data, actor=request.user, request=request)
        messages.success(request, "The password policy is saved; it applies to new passwords.")
        return redirect("passwords:policy")
    return render(
        request,
        "passwords/policy.html",
        {"form": form, "rules": rules_of(policy), "presets": PRESETS, "sudo": True},
        status=400,
    )


@csrf_exempt
def range_view(request: HttpRequest, prefix: str) -> HttpResponse:
    """HIBP-compatible k-anonymity range API over the local exact index."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    answer = range_api.range_response(
        prefix,
        mode=request.GET.get("mode"),
        add_padding=request.headers.get("Add-Padding"),
        if_none_match=request.headers.get("If-None-Match"),
        index_for=local_index,
    )
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers:
        response[name] = value
    return response
