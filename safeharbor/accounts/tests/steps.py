"""Steps the accounts tests take through the real pages (signing in, reading emails) and the
facts they check (audit rows, form errors)."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pyotp
from django.core import mail
from django.test import Client
from django.utils import timezone

from safeharbor.accounts.models import User
from safeharbor.accounts.services import create_staff_user, ensure_roles
from safeharbor.accounts.sudo import SESSION_KEY as SUDO_SESSION_KEY
from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.cast import PASSWORD, Member


def code_for(secret: str, when: datetime | None = None) -> str:
    """The TOTP code an authenticator app shows at ``when`` (now by default)."""
    return pyotp.TOTP(secret).at(when or timezone.now())


def sign_in(client: Client, identifier: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": identifier, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def audit_rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def only_audit_row(action: str) -> AuditEvent:
    rows = audit_rows(action)
    assert len(rows) == 1, f"expected one {action!r} audit row, found {len(rows)}"
    return rows[0]


def link_in_last_email() -> str:
    """The one http(s) link in the newest email of the outbox, as a path."""
    assert mail.outbox, "no email was sent"
    links = re.findall(r"https?://[^\s]+", str(mail.outbox[-1].body))
    assert len(links) == 1, links
    return re.sub(r"^https?://[^/]+", "", links[0])


def make_staff_without_mfa(name: str, roles: list[str]) -> User:
    """A staff member who has a password but has not set up an authenticator app yet."""
    ensure_roles()
    return create_staff_user(
        username=name, email=f"{name}@example.org", role_slugs=roles, actor=None, password=PASSWORD
    )


def error_text(response) -> str:
    """Every error of the form in the response context, as one string."""
    form = response.context["form"]
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


def grant_sudo_to(client: Client, minutes: float = 5) -> None:
    """As if the person had re-entered their password ``minutes`` before it expires."""
    session = client.session
    session[SUDO_SESSION_KEY] = time.time() + minutes * 60
    session.save()


def user_of(member: Member) -> User:
    """The cast member's account (everyone but the anonymous visitor has one)."""
    assert member.user is not None, f"{member.name} has no account"
    return member.user


def totp_secret_of(member: Member) -> str:
    """The secret of the cast member's authenticator app (staff have one)."""
    assert member.totp_secret is not None, f"{member.name} has no authenticator app"
    return member.totp_secret
