"""Users, their second factor, recovery codes, API keys and failed sign-ins."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from safeharbor.accounts.roles import STAFF_ROLE_NAMES


class User(AbstractUser):
    """A person: a staff member (has at least one staff role) or a security researcher."""

    email = models.EmailField(_("email address"))
    email_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")
        ]
        permissions = [
            ("manage_staff", "Can invite staff, change their roles and reset their MFA"),
            ("manage_api_keys", "Can create and revoke API keys"),
        ]

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(
            self.groups.filter(name__in=STAFF_ROLE_NAMES).values_list("name", flat=True)
        )

    @property
    def is_staff_member(self) -> bool:
        return self.is_superuser or bool(self.role_names)

    @property
    def has_confirmed_mfa(self) -> bool:
        device = getattr(self, "totp_device", None)
        return device is not None and device.confirmed_at is not None

    @property
    def requires_mfa(self) -> bool:
        """Staff must use MFA; anyone who enrolled it must use it too."""
        return self.is_staff_member or self.has_confirmed_mfa


class TOTPDevice(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is never accepted twice (RFC 6238 section 5.2).
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP for {self.user}"


class RecoveryCode(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


class APIKey(models.Model):
    """A credential for one of the platform's services. Only a SHA-256 of the key is stored: keys
    are 256-bit random values, so a slow hash adds nothing but latency on every request."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.CharField(max_length=45, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def audit_label(self) -> str:
        return f"api-key:{self.name}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class LoginFailure(models.Model):
    """One failed sign-in, kept for the throttling window and then pruned."""

    identifier = models.CharField(max_length=254, db_index=True)
    ip = models.CharField(max_length=45, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"failed sign-in for {self.identifier}"


def staff_users() -> models.QuerySet[User]:
    return User.objects.filter(
        models.Q(is_superuser=True) | models.Q(groups__name__in=STAFF_ROLE_NAMES)
    ).distinct()
