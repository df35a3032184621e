"""An OpenPGP cleartext-signed security.txt: signed offline, pasted by an admin, served while it
matches the generated text (RFC 9116 section 3.3)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from sectxt import Parser

from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.disclosure import services

pytestmark = pytest.mark.django_db
SITE = "https://security.example.org"
URL = "/.well-known/security.txt"
PAGE = reverse("disclosure:security_txt_signature")


@pytest.fixture(autouse=True)
def _program(settings) -> None:
    settings.SITE_URL = SITE
    program = services.current_program()
    program.contact_email = "security@example.org"
    program.encryption_key_url = "https://example.org/pgp-key.txt"
    program.security_txt_expires = datetime.now(UTC) + timedelta(days=200)
    program.save()


@pytest.fixture
def clearsign(tmp_path: Path):
    """Sign text with a throwaway OpenPGP key, as the organisation would with gpg --clearsign."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed (Debian package gpg)")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    environment = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(
        ["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
         "Security team <security@example.org>", "ed25519", "sign", "never"],
        env=environment, check=True, capture_output=True,
    )  # fmt: skip

    def sign(text: str) -> str:
        result = subprocess.run(
            ["gpg", "--batch", "--quiet", "--clearsign"],
            input=text.encode(), env=environment, check=True, capture_output=True,
        )  # fmt: skip
        return result.stdout.decode()

    return sign


def test_a_signed_copy_of_the_current_text_is_served_and_validates(admin, client, clearsign):
    page = admin.client.get(PAGE)
    generated = page.context["generated"]
    assert generated == client.get(URL).content.decode()
    signed = clearsign(generated)
    assert admin.client.post(PAGE, {"signed": signed}).status_code == 302
    served = client.get(URL).content.decode()
    assert served.startswith("-----BEGIN PGP SIGNED MESSAGE-----")
    assert served.strip() == signed.strip()
    parser = Parser(served.encode(), urls=f"{SITE}{URL}")
    assert parser.errors == []
    assert parser.is_valid()
    assert AuditEvent.objects.filter(action="disclosure.security_txt_signed").count() == 1


def test_a_change_to_the_program_falls_back_to_the_unsigned_file(admin, client, clearsign):
    signed = clearsign(admin.client.get(PAGE).context["generated"])
    admin.client.post(PAGE, {"signed": signed})
    program = services.current_program()
    program.contact_email = "psirt@example.org"
    program.save()
    served = client.get(URL).content.decode()
    assert not served.startswith("-----BEGIN PGP")
    assert "Contact: mailto:psirt@example.org" in served
    assert "no longer matches" in admin.client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("signed", "reason"),
    [
        ("Contact: mailto:security@example.org", "not an OpenPGP cleartext-signed message"),
        ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: x\n", "no signature"),
    ],
)
def test_something_that_is_not_a_signed_message_is_refused(admin, client, signed, reason):
    response = admin.client.post(PAGE, {"signed": signed})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not client.get(URL).content.decode().startswith("-----BEGIN PGP")


def test_a_signature_over_other_text_is_refused(admin, clearsign):
    response = admin.client.post(PAGE, {"signed": clearsign("Contact: mailto:evil@example.org\n")})
    assert response.status_code == 400
    assert "differs from the security.txt" in response.content.decode()
    assert services.current_program().security_txt_signed == ""


def test_only_program_editors_may_sign(cast):
    assert_access(cast, "get", PAGE, allowed={"admin"})
