"""RFC 9116 security.txt, generated from the program."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.urls import reverse
from django.utils import timezone

from safeharbor.disclosure.models import Program

WELL_KNOWN_PATH = "/.well-known/security.txt"
SIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----"
SIGNATURE_START = "-----BEGIN PGP SIGNATURE-----"
SIGNATURE_END = "-----END PGP SIGNATURE-----"
MAX_SIGNED_SIZE = 32_000


class SignatureRefused(ValueError):
    pass


def signed_text(signed: str) -> str:
    """The text an OpenPGP cleartext signature covers (RFC 4880 section 7: armor header lines,
    a blank line, the dash-escaped text, the signature block). Raises SignatureRefused.

    Only the form is checked here: whoever reads the file verifies the signature with the
    organisation's published key (the Encryption field), as RFC 9116 section 3.3 expects."""
    if len(signed) > MAX_SIGNED_SIZE:
        raise SignatureRefused(f"A signed security.txt is at most {MAX_SIGNED_SIZE:,} characters.")
    lines = signed.replace("\r\n", "\n").strip("\n").split("\n")
    if not lines or lines[0].strip() != SIGNED_HEADER:
        raise SignatureRefused(
            f"This is not an OpenPGP cleartext-signed message: it must start with "
            f"{SIGNED_HEADER} (made with gpg --clearsign)."
        )
    try:
        blank = lines.index("", 1)
        start = lines.index(SIGNATURE_START, blank)
    except ValueError:
        raise SignatureRefused("The message has no signature block after its text.") from None
    if lines[-1].strip() != SIGNATURE_END:
        raise SignatureRefused(f"The signature block must end with {SIGNATURE_END}.")
    if any(not line.startswith("Hash:") for line in lines[1:blank]):
        raise SignatureRefused("Only Hash: armor headers may precede the signed text.")
    body = [line[2:] if line.startswith("- ") else line for line in lines[blank + 1 : start]]
    return "\n".join(body) + "\n"


def same_text(first: str, second: str) -> bool:
    """Equal as OpenPGP compares cleartext: line by line, trailing whitespace ignored."""
    return [line.rstrip() for line in first.splitlines()] == [
        line.rstrip() for line in second.splitlines()
    ]


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
