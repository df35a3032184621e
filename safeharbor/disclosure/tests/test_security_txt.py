from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from sectxt import Parser

from safeharbor.disclosure import services
from safeharbor.disclosure.models import Program

pytestmark = pytest.mark.django_db
SITE = "https://security.example.org"


@pytest.fixture(autouse=True)
def _https_site(settings):
    settings.SITE_URL = SITE


def _configure(**fields: object) -> Program:
    program = services.current_program()
    for name, value in fields.items():
        setattr(program, name, value)
    program.save()
    return program


def test_security_txt_validates_with_sectxt_without_errors(client):
    _configure(
        contact_email="security@example.org",
        encryption_key_url="https://example.org/pgp-key.txt",
        preferred_languages="en, fr",
        security_txt_expires=datetime.now(UTC) + timedelta(days=200),
    )
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    parser = Parser(response.content, urls=f"{SITE}/.well-known/security.txt")
    assert parser.errors == []
    assert parser.is_valid()
    text = response.content.decode()
    assert "Contact: mailto:security@example.org\n" in text
    assert f"Contact: {SITE}{reverse('disclosure:submit')}\n" in text
    assert "Encryption: https://example.org/pgp-key.txt\n" in text
    assert f"Acknowledgments: {SITE}{reverse('disclosure:thanks')}\n" in text
    assert "Preferred-Languages: en, fr\n" in text
    assert f"Canonical: {SITE}/.well-known/security.txt\n" in text
    assert f"Policy: {SITE}{reverse('disclosure:program')}\n" in text


def test_a_minimal_program_still_gives_a_valid_file(client):
    response = client.get("/.well-known/security.txt")
    parser = Parser(response.content, urls=f"{SITE}/.well-known/security.txt")
    assert parser.errors == []
    assert "Expires: " in response.content.decode()


def test_staff_are_warned_when_security_txt_lapses_within_30_days(admin, anon):
    _configure(security_txt_expires=datetime.now(UTC) + timedelta(days=20))
    page = admin.client.get(reverse("disclosure:program")).content.decode()
    assert "security.txt expires" in page
    assert "security.txt expires" not in anon.get(reverse("disclosure:program")).content.decode()
    with time_machine.travel(datetime.now(UTC) - timedelta(days=200), tick=False):
        # Seen from 200 days earlier, the same date is far enough away.
        assert not services.security_txt_lapses_soon(services.current_program())
    _configure(security_txt_expires=datetime.now(UTC) + timedelta(days=200))
    page = admin.client.get(reverse("disclosure:program")).content.decode()
    assert "security.txt expires" not in page


def test_the_expiry_may_not_be_set_more_than_a_year_ahead(admin):
    response = admin.client.post(
        reverse("disclosure:program_edit"),
        {
            "name": "VDP",
            "safe_harbor_statement": "We will not sue.",
            "disclosure_mode": "timer",
            "disclosure_delay_days": 30,
            "first_response_days": 2,
            "triage_days": 5,
            "bounty_days": 10,
            "resolution_days": 90,
            "submissions_per_hour": 10,
            "preferred_languages": "en",
            "security_txt_expires": (datetime.now(UTC) + timedelta(days=400)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
    )
    assert response.status_code == 400
    assert "at most a year ahead" in response.content.decode()
