from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safeharbor.passwords.services import check_password

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
