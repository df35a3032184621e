"""Staff roles: Django groups with explicit permissions.

The foundation's own permissions are listed here; each domain app adds what its roles may do
through a ``role_permissions`` attribute on its AppConfig, so each app states its own part.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "Administrator"
SECURITY_TRIAGER = "Security triager"
MODERATOR = "T&S moderator"
CHILD_SAFETY = "Child-safety specialist"
TRANSPARENCY_EDITOR = "Transparency editor"


@dataclass(frozen=True)
class Role:
    name: str
    slug: str
    description: str
    permissions: tuple[str, ...]


ROLES: tuple[Role, ...] = (
    Role(
        ADMIN,
        "admin",
        "Runs the installation: staff accounts and roles, API keys, settings, the audit log.",
        (
            "accounts.manage_staff",
            "accounts.manage_api_keys",
            "accounts.view_user",
            "core.view_auditevent",
        ),
    ),
    Role(
        SECURITY_TRIAGER,
        "security-triager",
        "Triages vulnerability reports, scores them, talks with researchers, awards bounties.",
        (),
    ),
    Role(
        MODERATOR,
        "moderator",
        "Reviews content reports in the queues and decides on them.",
        (),
    ),
    Role(
        CHILD_SAFETY,
        "child-safety",
        "Handles child-safety cases and CyberTipline reports; the only role that sees them.",
        (),
    ),
    Role(
        TRANSPARENCY_EDITOR,
        "transparency-editor",
        "Prepares and publishes transparency reports.",
        (),
    ),
)

STAFF_ROLE_NAMES: tuple[str, ...] = tuple(role.name for role in ROLES)
ROLES_BY_SLUG = {role.slug: role for role in ROLES}
ROLES_BY_NAME = {role.name: role for role in ROLES}
