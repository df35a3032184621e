"""Background work of the accounts app. Tasks take ids and build secrets (tokens) when they run,
so no token is ever stored in the task queue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from safeharbor.accounts.tokens import email_verification_token


def _user(user_id: int):
    from safeharbor.accounts.models import User

    return User.objects.filter(pk=user_id, is_active=True).first()


@task()
def send_verification_email(user_id: int) -> bool:
    """Send the address-verification link. Does nothing once the address is verified."""
    user = _user(user_id)
    if user is None or user.email_verified_at is not None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.SITE_URL + reverse(
        "accounts:verify_email",
        kwargs={"uidb64": uid, "token": email_verification_token.make_token(user)},
    )
    context = {"user": user, "link": link, "site_name": settings.SITE_NAME}
    send_mail(
        subject=f"Confirm your email address for {settings.SITE_NAME}",
        message=render_to_string("accounts/email/verify_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


@task()
def send_password_reset_email(user_id: int) -> bool:
    """Send a link to choose a new password (also how invited staff set their first one)."""
    user = _user(user_id)
    if user is None or not user.email:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.SITE_URL + reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )
    context = {
        "user": user,
        "link": link,
        "site_name": settings.SITE_NAME,
        "invited": not user.has_usable_password(),
    }
    send_mail(
        subject=(
            f"Set your password for {settings.SITE_NAME}"
            if context["invited"]
            else f"Reset your password for {settings.SITE_NAME}"
        ),
        message=render_to_string("accounts/email/password_reset.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
