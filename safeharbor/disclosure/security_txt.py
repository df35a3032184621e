"""RFC 9116 security.txt, generated from the program."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.urls import reverse
from django.utils import timezone

from safeharbor.disclosure.models import Program

WELL_KNOWN_PATH = "/.well-known/security.txt"


def render_security_txt(program: Program, site_url: str, *, csaf: bool = False) -> str:
    """The file's text. Contact lists the email (if any) and the web form; Expires falls back to
    a week ahead when unset, so the file is never invalid while the staff reminder is shown.
    ``csaf``: name the CSAF provider metadata (done once at least one report is disclosed)."""
    expires = program.security_txt_expires or (timezone.now() + timedelta(days=7))
    lines = [f"# Vulnerability disclosure program of {site_url}", ""]
    if program.contact_email:
        lines.append(f"Contact: mailto:{program.contact_email}")
    lines.append(f"Contact: {site_url}{reverse('disclosure:submit')}")
    lines.append(
        "Expires: " + expires.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    if program.encryption_key_url:
        lines.append(f"Encryption: {program.encryption_key_url}")
    lines.append(f"Acknowledgments: {site_url}{reverse('disclosure:thanks')}")
    if program.language_list:
        lines.append("Preferred-Languages: " + ", ".join(program.language_list))
    lines.append(f"Canonical: {site_url}{WELL_KNOWN_PATH}")
    lines.append(f"Policy: {site_url}{reverse('disclosure:program')}")
    if csaf:
        lines.append(f"CSAF: {site_url}{reverse('csaf_provider_metadata')}")
    return "\n".join(lines) + "\n"
