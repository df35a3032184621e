"""API key scopes. The foundation defines its own; each domain app adds its scopes through an
``api_scopes`` mapping on its AppConfig."""

from __future__ import annotations

from django.apps import apps

FOUNDATION_SCOPES = {
    "audit:read": "Read the audit log.",
    "audit:write": "Record the platform's own events in the audit log.",
}


def known_scopes() -> dict[str, str]:
    scopes = dict(FOUNDATION_SCOPES)
    for config in apps.get_app_configs():
        scopes.update(getattr(config, "api_scopes", {}))
    return dict(sorted(scopes.items()))
