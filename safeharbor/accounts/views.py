"""Sign-in, MFA, registration, sudo, and the admin's staff and API-key pages. Thin: forms
validate, access.py fetches, services.py changes state."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST

from safeharbor.accounts import access, services
from safeharbor.accounts.forms import (
    APIKeyForm,
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetForm,
    RegistrationForm,
    StaffCreateForm,
    StaffRolesForm,
    SudoForm,
)
from safeharbor.accounts.middleware import MFA_SESSION_KEY
from safeharbor.accounts.models import User
from safeharbor.accounts.roles import ROLES_BY_NAME
from safeharbor.accounts.sudo import grant_sudo, sudo_required
from safeharbor.accounts.tokens import email_verification_token

_PENDING_CODES = "safeharbor_new_recovery_codes"


def _user(request: HttpRequest) -> User:
    """The signed-in user (views that call this are behind login_required)."""
    return cast(User, request.user)


def _only_for(check: Callable[[User], object]) -> Callable[..., Callable[..., HttpResponse]]:
    """Run an access.py check before anything else, so people who may never use a page get 404
    at once instead of first being asked to confirm their password (sudo) for it."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            check(_user(request))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _safe_next(request: HttpRequest, fallback: str = "core:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.session.get(MFA_SESSION_KEY):
        return HttpResponseRedirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["username"]
        refusal = services.throttle_message(identifier, request)
        if refusal:
            form.add_error(None, refusal)
        else:
            user = services.authenticate_password(
                request, identifier, form.cleaned_data["password"]
            )
            if user is None:
                form.add_error(
                    None, "That username or email and password do not match an account we know."
                )
            elif user.email_verified_at is None and not user.is_staff_member:
                request.session["safeharbor_unverified_user"] = user.pk
                return redirect("accounts:verification_sent")
            else:
                login(request, user)
                request.session[MFA_SESSION_KEY] = False
                if user.requires_mfa:
                    request.session["safeharbor_next"] = _safe_next(request)
                    target = (
                        "accounts:mfa_verify" if user.has_confirmed_mfa else "accounts:mfa_setup"
                    )
                    return redirect(target)
                request.session[MFA_SESSION_KEY] = True
                services.complete_login(request, user, mfa=False)
                return HttpResponseRedirect(_safe_next(request))
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    messages.info(request, "You are signed out.")
    return redirect("core:home")


def _mark_mfa_passed(request: HttpRequest) -> str:
    """Record that this session passed its second factor; returns where the user was going."""
    request.session.cycle_key()
    request.session[MFA_SESSION_KEY] = True
    grant_sudo(request)  # a full sign-in a moment ago counts as recent authentication
    return str(request.session.pop("safeharbor_next", None) or reverse("core:dashboard"))


@login_required
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.session.get(MFA_SESSION_KEY):
        return redirect("core:dashboard")
    if not user.has_confirmed_mfa:
        return redirect("accounts:mfa_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = services.throttle_message(user.username, request)
        if refusal:
            form.add_error(None, refusal)
        else:
            result = services.check_second_factor(user, form.cleaned_data["code"], request=request)
            if result.ok:
                services.complete_login(request, user, mfa=True)
                if result.used_recovery_code:
                    messages.warning(
                        request,
                        f"You signed in with a recovery code; {result.recovery_codes_left} remain. "
                        "Make new ones on your security page if you are running low.",
                    )
                return HttpResponseRedirect(_mark_mfa_passed(request))
            services.record_login_failure(user.username, request, stage="mfa")
            form.add_error(
                "code",
                "That code is not valid. Codes change every 30 seconds and each works once; "
                "enter the code your app shows now, or a recovery code.",
            )
    return render(request, "accounts/mfa_verify.html", {"form": form})


@login_required
def mfa_setup_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.has_confirmed_mfa:
        passed = request.session.get(MFA_SESSION_KEY)
        return redirect("accounts:security" if passed else "accounts:mfa_verify")
    device = services.begin_totp_enrolment(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_enrolment(
                user, form.cleaned_data["code"], request=request
            )
        except services.AccountError as error:
            form.add_error("code", str(error))
        else:
            services.complete_login(request, user, mfa=True)
            request.session["safeharbor_continue"] = _mark_mfa_passed(request)
            request.session[_PENDING_CODES] = codes
            return redirect("accounts:recovery_codes")
    uri = services.provisioning_uri(device)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    secret_groups = " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4))
    return render(
        request,
        "accounts/mfa_setup.html",
        {"form": form, "qr": qr, "secret": secret_groups, "uri": uri},
    )


@login_required
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Shows newly made recovery codes once; a reload shows nothing."""
    codes = request.session.pop(_PENDING_CODES, None)
    next_url = request.session.pop("safeharbor_continue", None) or reverse("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url})


@login_required
@sudo_required
@require_POST
def recovery_codes_new_view(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.regenerate_recovery_codes(_user(request), request=request)
    except services.AccountError as error:
        messages.error(request, str(error))
        return redirect("accounts:security")
    request.session[_PENDING_CODES] = codes
    return redirect("accounts:recovery_codes")


@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    left = user.recovery_codes.filter(used_at__isnull=True).count()
    return render(request, "accounts/security.html", {"codes_left": left})


@login_required
def sudo_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = SudoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = services.throttle_message(user.username, request)
        if refusal:
            form.add_error(None, refusal)
        elif not user.check_password(form.cleaned_data["password"]):
            services.record_login_failure(user.username, request, stage="sudo")
            form.add_error("password", "That password is not right.")
        elif (
            user.has_confirmed_mfa
            and not services.check_second_factor(
                user, form.cleaned_data["code"], request=request
            ).ok
        ):
            services.record_login_failure(user.username, request, stage="sudo-mfa")
            form.add_error("code", "Enter the current code from your authenticator app.")
        else:
            services.confirm_identity(request, user)
            return HttpResponseRedirect(_safe_next(request))
    return render(
        request,
        "accounts/sudo.html",
        {"form": form, "needs_code": user.has_confirmed_mfa, "next": request.GET.get("next", "")},
    )


# --- Registration and verification -----------------------------------------------------------


def register_view(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.register_researcher(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            request=request,
        )
        request.session["safeharbor_unverified_user"] = user.pk
        return redirect("accounts:verification_sent")
    return render(request, "accounts/register.html", {"form": form})


def verification_sent_view(request: HttpRequest) -> HttpResponse:
    user = User.objects.filter(pk=request.session.get("safeharbor_unverified_user", 0)).first()
    if request.method == "POST" and user is not None:
        services.resend_verification(user)
        messages.info(request, "We sent a new link. It works for one hour.")
        return redirect("accounts:verification_sent")
    return render(request, "accounts/verification_sent.html", {"pending_user": user})


def verify_email_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user_id = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        user_id = 0
    user = User.objects.filter(pk=user_id).first()
    if user is None or not email_verification_token.check_token(user, token):
        return render(request, "accounts/verify_email_failed.html", status=400)
    if request.method != "POST":
        # Mail scanners open links; only a person pressing the button confirms the address.
        return render(request, "accounts/verify_email_confirm.html", {"pending_user": user})
    services.verify_email(user, request=request)
    messages.success(request, "Your email address is confirmed. You can sign in now.")
    return redirect("accounts:login")


# --- Password reset (Django's views, our form and templates) ---------------------------------

password_reset_view = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    template_name="accounts/password_reset.html",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done_view = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_was_reset(self.request, form.user)
        return response


password_reset_confirm_view = PasswordResetConfirmView.as_view()
password_reset_complete_view = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_was_changed(self.request, _user(self.request))
        messages.success(self.request, "Your password is changed.")
        return response


password_change_view = PasswordChangeView.as_view()


# --- Administration: staff accounts ----------------------------------------------------------


@login_required
def staff_list_view(request: HttpRequest) -> HttpResponse:
    accounts = access.visible_staff_for_user(_user(request))
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    kind = request.GET.get("kind", "staff")
    if kind == "staff":
        accounts = accounts.filter(Q(is_superuser=True) | Q(groups__name__in=list(ROLES_BY_NAME)))
    elif kind == "researchers":
        accounts = accounts.filter(is_superuser=False).exclude(groups__name__in=list(ROLES_BY_NAME))
    if role in ROLES_BY_NAME:
        accounts = accounts.filter(groups__name=role)
    if query:
        accounts = accounts.filter(Q(username__icontains=query) | Q(email__icontains=query))
    accounts = (
        accounts.distinct()
        .order_by("username")
        .prefetch_related("groups")
        .select_related("totp_device")
    )
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/staff_list.html",
        {"page": page, "query": query, "role": role, "kind": kind, "roles": list(ROLES_BY_NAME)},
    )


@login_required
@_only_for(access.visible_staff_for_user)
@sudo_required
def staff_create_view(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.create_staff_user(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                role_slugs=form.cleaned_data["roles"],
                actor=_user(request),
                request=request,
            )
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{account.username} was invited by email to set a password.")
            return redirect("accounts:staff_detail", account_id=account.pk)
    return render(request, "accounts/staff_create.html", {"form": form})


@login_required
def staff_detail_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(_user(request), account_id)
    current = [r.slug for name, r in ROLES_BY_NAME.items() if name in account.role_names]
    form = StaffRolesForm(initial={"roles": current})
    return render(request, "accounts/staff_detail.html", {"account": account, "form": form})


@login_required
@_only_for(access.visible_staff_for_user)
@sudo_required
@require_POST
def staff_roles_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(_user(request), account_id)
    form = StaffRolesForm(request.POST)
    if form.is_valid():
        try:
            services.set_user_roles(
                account,
                form.cleaned_data["roles"],
                actor=_user(request),
                request=request,
            )
        except services.AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Roles of {account.username} saved.")
    else:
        messages.error(request, "Choose roles from the list.")
    return redirect("accounts:staff_detail", account_id=account.pk)


@login_required
@_only_for(access.visible_staff_for_user)
@sudo_required
def staff_reset_mfa_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(_user(request), account_id)
    if request.method == "POST":
        services.reset_mfa(account, actor=_user(request), request=request)
        messages.success(request, f"Two-factor authentication of {account.username} was reset.")
        return redirect("accounts:staff_detail", account_id=account.pk)
    return render(
        request,
        "core/confirm.html",
        {
            "title": f"Reset two-factor authentication of {account.username}?",
            "body": "They will have to set up an authenticator app again at their next sign-in. "
            "Do this only after confirming who is asking, for example by a call.",
            "confirm_label": "Reset two-factor authentication",
            "cancel_url": reverse("accounts:staff_detail", args=[account.pk]),
        },
    )


@login_required
@_only_for(access.visible_staff_for_user)
@sudo_required
def staff_active_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(_user(request), account_id)
    activate = not account.is_active
    if request.method == "POST":
        try:
            services.set_user_active(account, activate, actor=_user(request), request=request)
        except services.AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"{account.username} is {'active' if activate else 'deactivated'}."
            )
        return redirect("accounts:staff_detail", account_id=account.pk)
    verb = "Reactivate" if activate else "Deactivate"
    return render(
        request,
        "core/confirm.html",
        {
            "title": f"{verb} {account.username}?",
            "body": "A deactivated account cannot sign in; its history is kept."
            if not activate
            else "The account will be able to sign in again.",
            "confirm_label": verb,
            "cancel_url": reverse("accounts:staff_detail", args=[account.pk]),
        },
    )


# --- Administration: API keys ---------------------------------------------------------------


@login_required
def api_key_list_view(request: HttpRequest) -> HttpResponse:
    keys = access.visible_api_keys_for_user(_user(request)).select_related("created_by")
    status = request.GET.get("status", "active")
    if status == "active":
        keys = keys.filter(revoked_at__isnull=True)
    elif status == "revoked":
        keys = keys.filter(revoked_at__isnull=False)
    page = Paginator(keys, 50).get_page(request.GET.get("page"))
    new_key = request.session.pop("safeharbor_new_api_key", None)
    return render(
        request, "accounts/api_keys.html", {"page": page, "status": status, "new_key": new_key}
    )


@login_required
@_only_for(access.visible_api_keys_for_user)
@sudo_required
def api_key_create_view(request: HttpRequest) -> HttpResponse:
    form = APIKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = services.create_api_key(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=_user(request),
                request=request,
            )
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            request.session["safeharbor_new_api_key"] = {"name": key.name, "key": raw}
            return redirect("accounts:api_keys")
    return render(request, "accounts/api_key_create.html", {"form": form})


@login_required
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    key = access.get_api_key_for_user(_user(request), key_id)
    if request.method == "POST":
        services.revoke_api_key(key, actor=_user(request), request=request)
        messages.success(request, f"The key {key.name} is revoked; requests with it now fail.")
        return redirect("accounts:api_keys")
    return render(
        request,
        "core/confirm.html",
        {
            "title": f"Revoke the API key {key.name}?",
            "body": "Every request made with this key will be refused from now on. "
            "This cannot be undone; create a new key for the service if it still needs access.",
            "confirm_label": "Revoke key",
            "cancel_url": reverse("accounts:api_keys"),
        },
    )
