"""Every change to accounts, roles, second factors and API keys happens here, audited."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from safeharbor.accounts import tasks
from safeharbor.accounts.models import APIKey, LoginFailure, RecoveryCode, TOTPDevice, User
from safeharbor.accounts.roles import ADMIN, ROLES, ROLES_BY_SLUG
from safeharbor.accounts.scopes import known_scopes
from safeharbor.accounts.sudo import grant_sudo
from safeharbor.core.audit import record_audit
from safeharbor.core.requests import client_ip

TOTP_ISSUER = "Safeharbor"
TOTP_VALID_WINDOW = 1  # accept the previous and next 30-second step for clock drift
RECOVERY_CODE_COUNT = 10
API_KEY_PREFIX = "shk_"


class AccountError(ValueError):
    """A request that cannot be carried out; the message is shown to the user as it is."""


# --- Roles -----------------------------------------------------------------------------------


def role_permissions() -> dict[str, set[str]]:
    """Role name -> "app_label.codename" permissions, from roles.py and every app's AppConfig."""
    table = {role.name: set(role.permissions) for role in ROLES}
    for config in apps.get_app_configs():
        for slug, permissions in getattr(config, "role_permissions", {}).items():
            table[ROLES_BY_SLUG[slug].name].update(permissions)
    return table


def ensure_roles() -> None:
    """Create the staff groups and give each exactly its permissions. Safe to run repeatedly."""
    for name, wanted in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for dotted in sorted(wanted):
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                raise LookupError(f"Role {name!r} names unknown permission {dotted!r}.")
            permissions.append(permission)
        group.permissions.set(permissions)


def set_user_roles(
    user: User, role_slugs: list[str], *, actor: User | None, request: HttpRequest | None = None
) -> None:
    unknown = sorted(set(role_slugs) - set(ROLES_BY_SLUG))
    if unknown:
        raise AccountError(f"Unknown role(s): {', '.join(unknown)}.")
    removing_own_admin = ADMIN in user.role_names and "admin" not in role_slugs
    if actor is not None and actor.pk == user.pk and removing_own_admin:
        raise AccountError("You cannot remove your own Administrator role.")
    with transaction.atomic():
        before = sorted(user.role_names)
        wanted = {ROLES_BY_SLUG[slug].name for slug in role_slugs}
        staff_groups = list(Group.objects.filter(name__in=[role.name for role in ROLES]))
        missing = sorted(wanted - {group.name for group in staff_groups})
        if missing:
            # Granting nothing while reporting success would leave a "staff member" without roles.
            raise LookupError(
                f"The role group(s) {', '.join(missing)} do not exist yet; run `safeharbor setup`."
            )
        user.groups.remove(*[g for g in staff_groups if g.name not in wanted])
        user.groups.add(*[g for g in staff_groups if g.name in wanted])
        user.is_staff = ADMIN in wanted or user.is_superuser
        user.save(update_fields=["is_staff"])
        user.__dict__.pop("role_names", None)
        after = sorted(user.role_names)
        if before != after:
            record_audit(
                "accounts.roles_changed",
                actor=actor,
                request=request,
                target=user,
                details={"before": before, "after": after},
            )


def create_staff_user(
    *,
    username: str,
    email: str,
    role_slugs: list[str],
    actor: User | None,
    request: HttpRequest | None = None,
    password: str | None = None,
) -> User:
    """Create a staff account. Without a password, the person gets an email to choose one."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"The username {username!r} is taken.")
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(f"An account with the address {email} exists already.")
    with transaction.atomic():
        user = User(username=username, email=email, email_verified_at=timezone.now())
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        record_audit(
            "accounts.staff_created",
            actor=actor,
            request=request,
            target=user,
            details={"roles": sorted(role_slugs)},
        )
        set_user_roles(user, role_slugs, actor=actor, request=request)
        if not password:
            transaction.on_commit(lambda: tasks.send_password_reset_email.enqueue(user.pk))
    return user


def create_admin(username: str, email: str, password: str) -> User:
    """The first administrator, from the command line: superuser plus the Administrator role."""
    ensure_roles()
    with transaction.atomic():
        user = create_staff_user(
            username=username, email=email, role_slugs=["admin"], actor=None, password=password
        )
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
        record_audit("accounts.admin_created", target=user)
    return user


def set_user_active(
    user: User, active: bool, *, actor: User, request: HttpRequest | None = None
) -> None:
    if user.pk == actor.pk and not active:
        raise AccountError("You cannot deactivate your own account.")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        record_audit(
            "accounts.activated" if active else "accounts.deactivated",
            actor=actor,
            request=request,
            target=user,
        )


# --- Researchers: registration and email verification -------------------------------------------


def register_researcher(
    *, username: str, email: str, password: str, request: HttpRequest | None = None
) -> User:
    email = User.objects.normalize_email(email).lower()
    with transaction.atomic():
        user = User(username=username, email=email)
        user.set_password(password)
        user.save()
        record_audit("accounts.registered", actor=user, request=request, target=user)
        transaction.on_commit(lambda: tasks.send_verification_email.enqueue(user.pk))
    return user


def verify_email(user: User, *, request: HttpRequest | None = None) -> None:
    if user.email_verified_at is not None:
        return
    with transaction.atomic():
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        record_audit("accounts.email_verified", actor=user, request=request, target=user)


def resend_verification(user: User) -> None:
    if user.email_verified_at is None:
        transaction.on_commit(lambda: tasks.send_verification_email.enqueue(user.pk))


# --- Sign-in throttling -------------------------------------------------------------------------


def _window_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.SAFEHARBOR_LOGIN_LOCKOUT_MINUTES)


def _throttle_key(identifier: str) -> str:
    """Failures count per account whether the username or the email was typed. What matches no
    account is kept only as a digest: people type passwords into the username field."""
    identifier = identifier.strip().lower()
    field = "email__iexact" if "@" in identifier else "username__iexact"
    username = User.objects.filter(**{field: identifier}).values_list("username", flat=True).first()
    if username:
        return username.lower()
    return "unknown:" + salted_hmac("safeharbor.login-identifier", identifier).hexdigest()[:32]


def throttle_message(identifier: str, request: HttpRequest) -> str | None:
    """A message saying why sign-in is refused right now, or None when it may be tried."""
    since = _window_start()
    limit = settings.SAFEHARBOR_LOGIN_MAX_FAILURES
    # A failure counts for exactly the lockout period: at 15 minutes it no longer does.
    recent = LoginFailure.objects.filter(created_at__gt=since)
    by_identifier = recent.filter(identifier=_throttle_key(identifier))
    ip = client_ip(request)
    too_many = by_identifier.count() >= limit or (
        bool(ip) and recent.filter(ip=ip).count() >= limit * 4
    )
    if not too_many:
        return None
    # Sign-in reopens when enough failures have aged out of the window to fall below the limit.
    window = timedelta(minutes=settings.SAFEHARBOR_LOGIN_LOCKOUT_MINUTES)
    reopen_at = timezone.now()
    checks = [(by_identifier, limit)] + ([(recent.filter(ip=ip), limit * 4)] if ip else [])
    for failures, allowed in checks:
        times = list(failures.order_by("-created_at").values_list("created_at", flat=True))
        if len(times) >= allowed:
            reopen_at = max(reopen_at, times[allowed - 1] + window)
    wait = max(1, math.ceil((reopen_at - timezone.now()).total_seconds() / 60))
    return (
        f"Too many failed sign-in attempts. For your account's safety, sign-in is paused: "
        f"try again in {wait} minute{'s' if wait != 1 else ''}, or reset your password."
    )


def record_login_failure(identifier: str, request: HttpRequest, *, stage: str) -> None:
    with transaction.atomic():
        LoginFailure.objects.create(identifier=_throttle_key(identifier), ip=client_ip(request))
        LoginFailure.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
        record_audit(
            "accounts.login_failed",
            actor=None,
            request=request,
            details={"account": _throttle_key(identifier), "stage": stage},
        )


def clear_login_failures(identifier: str) -> None:
    LoginFailure.objects.filter(identifier=_throttle_key(identifier)).delete()


def authenticate_password(request: HttpRequest, identifier: str, password: str) -> User | None:
    """Check the password; a failure is counted towards throttling and audited."""
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        record_login_failure(identifier, request, stage="password")
        return None
    return user


def complete_login(request: HttpRequest, user: User, *, mfa: bool) -> None:
    """The person passed every factor: forget their failures and audit the sign-in."""
    clear_login_failures(user.username)
    record_audit("accounts.login", actor=user, request=request, target=user, details={"mfa": mfa})


def sign_out(request: HttpRequest) -> None:
    """End the session, audited."""
    if request.user.is_authenticated:
        record_audit("accounts.logout", request=request, target=request.user)
    logout(request)


def confirm_identity(request: HttpRequest, user: User) -> None:
    """The person re-entered their password (and code): sudo mode for a few minutes, audited."""
    grant_sudo(request)
    record_audit("accounts.sudo", request=request, target=user)


def password_was_reset(request: HttpRequest, user: User) -> None:
    """After Django's reset form saved the new password: lift the account's pause, audit it."""
    clear_login_failures(user.username)
    record_audit("accounts.password_reset", actor=user, request=request, target=user)


def password_was_changed(request: HttpRequest, user: User) -> None:
    """After Django's change form saved the new password: audit it."""
    record_audit("accounts.password_changed", actor=user, request=request, target=user)


# --- TOTP and recovery codes ---------------------------------------------------------------------


def _recovery_hash(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").lower()
    return salted_hmac("safeharbor.recovery-code", normalized).hexdigest()


def _new_recovery_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, one-time use, throttled
    return f"{raw[:5]}-{raw[5:]}"


def begin_totp_enrolment(user: User) -> TOTPDevice:
    """A fresh, unconfirmed secret for the enrolment page (replacing an unconfirmed one)."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise AccountError("Two-factor authentication is already set up for this account.")
    if device is None:
        device = TOTPDevice.objects.create(user=user, secret=pyotp.random_base32())
    return device


def provisioning_uri(device: TOTPDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.email or device.user.username,
        issuer_name=settings.SITE_NAME or TOTP_ISSUER,
    )


def _accept_totp(device: TOTPDevice, code: str) -> bool:
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return False
    totp = pyotp.TOTP(device.secret)
    now = timezone.now()
    current_step = totp.timecode(now)
    for offset in range(-TOTP_VALID_WINDOW, TOTP_VALID_WINDOW + 1):
        step = current_step + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            if step <= device.last_used_step:
                return False  # replayed: this code, or a later one, was used already
            device.last_used_step = step
            device.save(update_fields=["last_used_step"])
            return True
    return False


def confirm_totp_enrolment(
    user: User, code: str, *, request: HttpRequest | None = None
) -> list[str]:
    """Confirm the device with a first code; returns the recovery codes, shown once."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(user=user)
        if device.confirmed_at is not None:
            raise AccountError("Two-factor authentication is already set up for this account.")
        if not _accept_totp(device, code):
            raise AccountError(
                "That code is not right. Check that your phone's clock is set automatically "
                "and enter the 6-digit code your app shows now."
            )
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        codes = _replace_recovery_codes(user)
        record_audit("accounts.mfa_enrolled", actor=user, request=request, target=user)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes]
    )
    return codes


def regenerate_recovery_codes(user: User, *, request: HttpRequest | None = None) -> list[str]:
    if not user.has_confirmed_mfa:
        raise AccountError("Set up two-factor authentication first; recovery codes belong to it.")
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        record_audit(
            "accounts.recovery_codes_regenerated", actor=user, request=request, target=user
        )
    return codes


@dataclass(frozen=True)
class SecondFactorResult:
    ok: bool
    used_recovery_code: bool = False
    recovery_codes_left: int = 0


def check_second_factor(
    user: User, code: str, *, request: HttpRequest | None = None
) -> SecondFactorResult:
    """Accept a current TOTP code (never the same one twice) or an unused recovery code."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            return SecondFactorResult(False)
        if _accept_totp(device, code):
            return SecondFactorResult(True)
        candidate = code.strip()
        if len(candidate.replace("-", "").replace(" ", "")) == 10:
            recovery = (
                RecoveryCode.objects.select_for_update()
                .filter(user=user, used_at__isnull=True, code_hash=_recovery_hash(candidate))
                .first()
            )
            if recovery is not None:
                recovery.used_at = timezone.now()
                recovery.save(update_fields=["used_at"])
                left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
                record_audit(
                    "accounts.recovery_code_used",
                    actor=user,
                    request=request,
                    target=user,
                    details={"codes_left": left},
                )
                return SecondFactorResult(True, used_recovery_code=True, recovery_codes_left=left)
    return SecondFactorResult(False)


def reset_mfa(user: User, *, actor: User, request: HttpRequest | None = None) -> None:
    """Remove a person's second factor (lost phone); staff must enrol again at next sign-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        record_audit("accounts.mfa_reset", actor=actor, request=request, target=user)


# --- API keys ---------------------------------------------------------------------------------


def _key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def create_api_key(
    *, name: str, scopes: list[str], actor: User | None, request: HttpRequest | None = None
) -> tuple[APIKey, str]:
    """Create a key; the returned plain key is shown once and never stored."""
    name = name.strip()
    if not name:
        raise AccountError("Give the key a name that says which service uses it.")
    if APIKey.objects.filter(name=name).exists():
        raise AccountError(f"An API key named {name!r} exists already; choose another name.")
    allowed = known_scopes()
    unknown = sorted(set(scopes) - set(allowed))
    if unknown:
        raise AccountError(
            f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(allowed)}."
        )
    if not scopes:
        raise AccountError("Choose at least one scope.")
    prefix = secrets.token_hex(4)
    raw_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = APIKey.objects.create(
            name=name,
            prefix=prefix,
            key_hash=_key_hash(raw_key),
            scopes=sorted(set(scopes)),
            created_by=actor,
        )
        record_audit(
            "accounts.api_key_created",
            actor=actor,
            request=request,
            target=key,
            details={"scopes": key.scopes},
        )
    return key, raw_key


def revoke_api_key(key: APIKey, *, actor: User | None, request: HttpRequest | None = None) -> None:
    if key.revoked_at is not None:
        return
    with transaction.atomic():
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record_audit("accounts.api_key_revoked", actor=actor, request=request, target=key)


LAST_USED_RESOLUTION = timedelta(minutes=1)


def authenticate_api_key(raw_key: str, request: HttpRequest) -> APIKey | None:
    """The active key for this secret, or None. Records the last use (at most once a minute)."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    prefix, _, secret = raw_key[len(API_KEY_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    key = APIKey.objects.filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, _key_hash(raw_key)):
        return None
    if key.revoked_at is not None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=client_ip(request))
    return key
