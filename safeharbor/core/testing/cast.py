"""The cast of users every test suite shares: one per staff role, two researchers, anonymous."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from django.test import Client
from django.utils import timezone

from safeharbor.accounts.middleware import MFA_SESSION_KEY
from safeharbor.accounts.models import TOTPDevice, User
from safeharbor.accounts.services import create_staff_user, ensure_roles

PASSWORD = "a long test passphrase 42"

STAFF_CAST = {
    "admin": ["admin"],
    "triager": ["security-triager"],
    "moderator": ["moderator"],
    "child_safety": ["child-safety"],
    "transparency_editor": ["transparency-editor"],
}
RESEARCHER_CAST = ("researcher", "other_researcher")
ALL_ROLES = (*STAFF_CAST, *RESEARCHER_CAST, "anon")


@dataclass
class Member:
    name: str
    user: User | None
    client: Client
    totp_secret: str | None = None


def make_staff(name: str, role_slugs: list[str]) -> User:
    ensure_roles()
    user = create_staff_user(
        username=name,
        email=f"{name}@example.org",
        role_slugs=role_slugs,
        actor=None,
        password=PASSWORD,
    )
    TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now())
    return User.objects.get(pk=user.pk)


def make_researcher(name: str) -> User:
    user = User(username=name, email=f"{name}@example.org", email_verified_at=timezone.now())
    user.set_password(PASSWORD)
    user.save()
    return user


def signed_in_client(user: User) -> Client:
    """A client whose session passed the password and the second factor."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[MFA_SESSION_KEY] = True
    session.save()
    return client


def build_member(name: str) -> Member:
    if name == "anon":
        return Member(name, None, Client())
    if name in STAFF_CAST:
        user = make_staff(name, STAFF_CAST[name])
        device = TOTPDevice.objects.get(user=user)
        return Member(name, user, signed_in_client(user), device.secret)
    user = make_researcher(name)
    return Member(name, user, signed_in_client(user))
