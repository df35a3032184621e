"""Navigation by role: each entry shows only for people who may use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from safeharbor.accounts.middleware import MFA_SESSION_KEY


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    permission: str | None = None
    staff_only: bool = False


def _items() -> list[NavItem]:
    return [
        NavItem(_("Dashboard"), reverse("core:dashboard")),
        NavItem(_("Audit log"), reverse("core:audit_list"), permission="core.view_auditevent"),
        NavItem(_("Staff"), reverse("accounts:staff_list"), permission="accounts.manage_staff"),
        NavItem(_("API keys"), reverse("accounts:api_keys"), permission="accounts.manage_api_keys"),
        NavItem(
            _("Password policy"),
            reverse("passwords:policy"),
            permission="passwords.change_passwordpolicy",
        ),
        NavItem(
            _("Vulnerability reports"),
            reverse("disclosure:queue"),
            permission="disclosure.triage_report",
        ),
        NavItem(_("Payouts"), reverse("disclosure:payouts"), permission="disclosure.award_bounty"),
        NavItem(
            _("Helpline directory"),
            reverse("safety:directory_list"),
            permission="safety.change_organization",
        ),
        NavItem(
            _("Intervention terms"),
            reverse("safety:interventions"),
            permission="safety.change_termlistversion",
        ),
        NavItem(
            _("Review queues"),
            reverse("moderation:queue_list"),
            permission="moderation.review_cases",
        ),
        NavItem(
            _("Policy categories"),
            reverse("moderation:category_list"),
            permission="moderation.change_policycategory",
        ),
        NavItem(
            _("Moderation settings"),
            reverse("moderation:settings"),
            permission="moderation.change_moderationsettings",
        ),
        NavItem(
            _("Moderation figures"),
            reverse("moderation:figures"),
            permission="moderation.view_transparency_figures",
        ),
        NavItem(
            _("Hash banks"),
            reverse("hashmatch:bank_list"),
            permission="hashmatch.view_hashbank",
        ),
        NavItem(
            _("Webhooks"), reverse("core:webhook_list"), permission="core.replay_webhookdelivery"
        ),
        NavItem(_("Security"), reverse("accounts:security")),
    ]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[NavItem] = []
    if user is not None and user.is_authenticated and request.session.get(MFA_SESSION_KEY):
        items = [
            item
            for item in _items()
            if (item.permission is None or user.has_perm(item.permission))
            and (not item.staff_only or user.is_staff_member)
        ]
    return {"nav_items": items, "site_name": settings.SITE_NAME, "current_path": request.path}
