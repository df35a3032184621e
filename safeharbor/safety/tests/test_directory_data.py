"""The curated directory shipped with the project, and loading it at setup."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from safeharbor.core.models import AuditEvent
from safeharbor.safety import directory_io
from safeharbor.safety.models import ContactMethod, EmergencyNumber, Organization
from safeharbor.safety.services import SHIPPED_DIRECTORY, load_shipped_directory

SHIPPED = json.loads(SHIPPED_DIRECTORY.read_text(encoding="utf-8"))
SEED_SLUGS = {
    "connectsafely",
    "family-online-safety-institute",
    "internet-watch-foundation",
    "ncmec-cybertipline",
    "national-pta",
    "988-lifeline",
    "crisis-text-line",
    "trevor-project",
    "safe-alternatives",
    "iasp",
}


def test_the_shipped_file_has_no_problem_at_all():
    parsed = directory_io.parse_json(SHIPPED_DIRECTORY.read_bytes())
    assert parsed.problems == []
    assert len(parsed.organizations) == len(SHIPPED["organizations"])


@pytest.mark.parametrize("entry", SHIPPED["organizations"], ids=lambda e: e["slug"])
def test_every_shipped_entry_has_an_https_source_a_verified_date_and_spanish(entry):
    assert entry["sources"], entry["slug"]
    assert all(source.startswith("https://") for source in entry["sources"])
    assert dt.date.fromisoformat(entry["verified_on"]) <= dt.date(2026, 11, 22)
    assert entry["summary"]["en"]
    assert entry["summary"]["es"]


@pytest.mark.parametrize("entry", SHIPPED["organizations"], ids=lambda e: e["slug"])
def test_every_shipped_phone_number_validates_for_its_country(entry):
    for contact in entry["contacts"]:
        if contact["kind"] in ("phone", "sms", "whatsapp"):
            assert directory_io.clean_phone(contact["value"], entry["country"]) == contact["value"]


@pytest.mark.parametrize("numbers", SHIPPED["emergency_numbers"], ids=lambda e: e["country"])
def test_every_shipped_emergency_number_has_a_source_and_date(numbers):
    assert numbers["sources"]
    assert all(s.startswith("https://") for s in numbers["sources"])
    assert dt.date.fromisoformat(numbers["verified_on"])


def test_the_seed_organisations_are_all_shipped():
    assert {entry["slug"] for entry in SHIPPED["organizations"]} >= SEED_SLUGS


def test_the_988_lifeline_keeps_its_former_number_and_the_trevor_project_its_own():
    by_slug = {entry["slug"]: entry for entry in SHIPPED["organizations"]}
    lifeline = {c["value"] for c in by_slug["988-lifeline"]["contacts"]}
    assert {"988", "+18002738255"} <= lifeline
    trevor = {c["value"] for c in by_slug["trevor-project"]["contacts"]}
    assert "+18664887386" in trevor
    text_line = by_slug["crisis-text-line"]["contacts"][0]
    assert (text_line["value"], text_line["sms_keyword"]) == ("741741", "HOME")


@pytest.mark.django_db
def test_loading_adds_every_entry_once_and_writes_an_audit_row():
    summary = load_shipped_directory()
    assert f"{len(SHIPPED['organizations'])} entries added" in summary
    assert Organization.objects.count() == len(SHIPPED["organizations"])
    assert EmergencyNumber.objects.filter(country="US", general="911").exists()
    assert ContactMethod.objects.filter(organization__slug="988-lifeline").count() == 4
    assert AuditEvent.objects.filter(action="safety.directory_loaded").count() == 1

    again = load_shipped_directory()
    assert "0 entries added" in again
    assert Organization.objects.count() == len(SHIPPED["organizations"])
    assert AuditEvent.objects.filter(action="safety.directory_loaded").count() == 1


@pytest.mark.django_db
def test_loading_never_overwrites_an_entry_staff_edited():
    load_shipped_directory()
    Organization.objects.filter(slug="samaritans").update(name="Samaritans (edited)")
    ContactMethod.objects.filter(organization__slug="samaritans").delete()
    Organization.objects.filter(slug="iasp").delete()

    summary = load_shipped_directory()

    assert "1 entries added" in summary
    assert Organization.objects.get(slug="samaritans").name == "Samaritans (edited)"
    assert not ContactMethod.objects.filter(organization__slug="samaritans").exists()
    assert Organization.objects.filter(slug="iasp").exists()
