"""Import and export of the directory (JSON and CSV), row validation, and the CLI."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from safeharbor.core.models import AuditEvent
from safeharbor.safety import directory_io
from safeharbor.safety.models import ContactMethod, Organization
from safeharbor.safety.services import import_directory, load_shipped_directory

GOOD = {
    "slug": "example-line",
    "name": "Example Line",
    "kind": "helpline",
    "country": "US",
    "subdivision": "US-CA",
    "summary": {"en": "An example.", "es": "Un ejemplo."},
    "website": "https://example.org",
    "topics": ["bullying"],
    "populations": ["youth"],
    "languages": ["en", "es-MX"],
    "priority": False,
    "cost": "free",
    "anonymity": "anonymous",
    "sources": ["https://example.org/contact"],
    "verified_on": "2026-11-01",
    "contacts": [
        {"kind": "phone", "value": "(866) 488-7386", "display": "866-488-7386",
         "timezone": "America/Los_Angeles",
         "hours": [{"days": [0, 1, 2, 3, 4], "open": "09:00", "close": "17:00"}]},
        {"kind": "sms", "value": "741741", "sms_keyword": "HOME", "always_open": True},
    ],
}  # fmt: skip


def document(*organizations, emergency=()):
    return json.dumps(
        {
            "format": directory_io.FORMAT,
            "organizations": list(organizations),
            "emergency_numbers": list(emergency),
        }
    )


def bad(**changes):
    entry = copy.deepcopy(GOOD)
    entry.update(changes)
    return entry


@pytest.mark.django_db
def test_a_good_json_file_is_imported_with_e164_numbers_and_one_audit_row():
    parsed = directory_io.parse_json(document(GOOD), "new.json")
    result = import_directory(parsed)
    assert result.applied
    assert result.created == ["example-line"]
    organization = Organization.objects.get(slug="example-line")
    assert organization.languages == ["en", "es-MX"]
    values = list(organization.contacts.values_list("value", flat=True))
    assert values == ["+18664887386", "741741"]
    event = AuditEvent.objects.get(action="safety.directory_imported")
    assert event.details["created"] == 1
    assert event.details["file"] == "new.json"


def test_every_bad_field_of_every_row_is_reported_with_file_row_and_field():
    contact = {"kind": "phone", "value": "12", "hours": [{"days": [9], "open": "9", "close": "x"}]}
    rows = [
        bad(slug="one", country="XX", topics=["unknown-topic"], sources=["http://insecure.org"]),
        bad(slug="two", languages=["zz", "en-QQ"], contacts=[contact]),
        bad(slug="three", verified_on="yesterday", populations=["aliens"], website="ftp://x"),
    ]
    parsed = directory_io.parse_json(document(*rows), "bad.json")
    found = {(p.row, p.field) for p in parsed.problems}
    assert {
        ("organizations[0]", "country"),
        ("organizations[0]", "topics"),
        ("organizations[0]", "sources"),
        ("organizations[1]", "languages"),
        ("organizations[1].contacts[0]", "contact.value"),
        ("organizations[1].contacts[0]", "contact.hours"),
        ("organizations[2]", "verified_on"),
        ("organizations[2]", "populations"),
        ("organizations[2]", "website"),
    } <= found
    assert all(p.file == "bad.json" for p in parsed.problems)
    assert parsed.bad_slugs == {"one", "two", "three"}


@pytest.mark.django_db
def test_one_bad_row_rejects_the_whole_import_by_default():
    parsed = directory_io.parse_json(document(GOOD, bad(slug="broken", country="XX")))
    result = import_directory(parsed)
    assert result.rejected
    assert not result.applied
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.filter(action="safety.directory_imported").exists()


@pytest.mark.django_db
def test_skip_bad_imports_the_good_rows_and_reports_the_bad_ones():
    parsed = directory_io.parse_json(document(GOOD, bad(slug="broken", country="XX")))
    result = import_directory(parsed, skip_bad=True)
    assert result.applied
    assert result.skipped == ["broken"]
    assert list(Organization.objects.values_list("slug", flat=True)) == ["example-line"]
    assert AuditEvent.objects.get(action="safety.directory_imported").details["skipped"] == [
        "broken"
    ]


@pytest.mark.django_db
def test_import_updates_existing_entries_by_slug_and_replaces_their_contacts():
    import_directory(directory_io.parse_json(document(GOOD)))
    contacts: list = GOOD["contacts"]  # type: ignore[assignment]
    changed = bad(name="Example Line (renamed)", contacts=[contacts[1]])
    result = import_directory(directory_io.parse_json(document(changed)))
    assert result.updated == ["example-line"]
    assert result.created == []
    organization = Organization.objects.get(slug="example-line")
    assert organization.name == "Example Line (renamed)"
    assert organization.contacts.count() == 1


@pytest.mark.django_db
def test_a_replaced_entry_must_name_an_existing_replacement():
    replaced = bad(slug="old-line", status="replaced", replaced_by="example-line")
    import_directory(directory_io.parse_json(document(GOOD, replaced)))
    old = Organization.objects.get(slug="old-line")
    assert old.status == "replaced"
    assert old.replaced_by is not None
    assert old.replaced_by.slug == "example-line"

    dangling = bad(slug="other", status="replaced", replaced_by="nowhere")
    parsed = directory_io.parse_json(document(dangling), known_slugs=["example-line"])
    assert [(p.field, p.slug) for p in parsed.problems] == [("replaced_by", "other")]


@pytest.mark.django_db
def test_csv_export_imports_back_into_the_same_directory():
    load_shipped_directory()
    before = json.loads(directory_io.export_json())
    exported = directory_io.export_csv()
    Organization.objects.all().delete()

    parsed = directory_io.parse_csv(exported, "export.csv")
    assert parsed.problems == []
    import_directory(parsed)

    after = json.loads(directory_io.export_json())
    assert after["organizations"] == before["organizations"]


@pytest.mark.django_db
def test_csv_cells_a_spreadsheet_would_run_are_defused_and_read_back_intact():
    load_shipped_directory()
    Organization.objects.filter(slug="samaritans").update(
        name='=HYPERLINK("https://evil.example")', notes="@SUM(1)"
    )
    exported = directory_io.export_csv()
    assert "'=HYPERLINK" in exported
    assert "'@SUM(1)" in exported
    assert ",+" in exported  # phone numbers are values, not free text: left as they are
    before = json.loads(directory_io.export_json())
    Organization.objects.all().delete()
    import_directory(directory_io.parse_csv(exported, "export.csv"))
    assert json.loads(directory_io.export_json())["organizations"] == before["organizations"]


def test_csv_problems_name_the_line_and_rows_of_one_entry_must_agree():
    text = (
        "slug,name,kind,country,sources,verified_on,summary_en,contact_kind,contact_value,"
        "contact_hours\n"
        "a-line,A,helpline,US,https://a.org,2026-01-01,A,phone,988,\n"
        "a-line,A different,helpline,US,https://a.org,2026-01-01,A,sms,988,mon 9-5\n"
    )
    parsed = directory_io.parse_csv(text, "rows.csv")
    found = {(p.row, p.field) for p in parsed.problems}
    assert ("line 3", "name") in found
    assert ("line 3", "contact.hours") in found
    assert parsed.bad_slugs == {"a-line"}


def test_a_file_that_is_not_a_directory_is_rejected_whole():
    with pytest.raises(directory_io.FileRejected):
        directory_io.parse_json(b"{not json", "x.json")
    with pytest.raises(directory_io.FileRejected):
        directory_io.parse_json(json.dumps({"organizations": []}), "x.json")
    with pytest.raises(directory_io.FileRejected):
        directory_io.parse_csv("a,b\n1,2\n", "x.csv")


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("988", "US", "988"),
        ("116 123", "GB", "116123"),
        ("024", "ES", "024"),
        ("800 911 2000", "MX", "+528009112000"),
        ("0800 111 0 111", "DE", "+498001110111"),
        ("+1 866 488 7386", "", "+18664887386"),
    ],
)
def test_phone_numbers_are_stored_as_e164_or_as_dial_strings(value, country, expected):
    assert directory_io.clean_phone(value, country) == expected


@pytest.mark.parametrize("value", ["12", "+1 555 0100 99", "call us", "123456789"])
def test_phone_numbers_that_do_not_exist_are_refused(value):
    with pytest.raises(ValueError):
        directory_io.clean_phone(value, "US")


@pytest.mark.django_db
def test_the_cli_imports_with_dry_run_skip_bad_and_refuses_bad_files(tmp_path, capsys):
    path = tmp_path / "in.json"
    path.write_text(document(GOOD, bad(slug="broken", topics=["nope"])))

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("safety", "import", str(path))
    assert "in.json: organizations[1]: topics:" in capsys.readouterr().err
    call_command("safety", "import", str(path), "--skip-bad", "--dry-run")
    assert not Organization.objects.exists()

    call_command("safety", "import", str(path), "--skip-bad")
    assert Organization.objects.filter(slug="example-line").exists()
    assert not Organization.objects.filter(slug="broken").exists()


@pytest.mark.django_db
def test_the_cli_exports_json_and_csv_to_a_file(tmp_path):
    load_shipped_directory()
    call_command("safety", "export", "--format", "csv", "-o", str(tmp_path / "d.csv"))
    call_command("safety", "export", "-o", str(tmp_path / "d.json"))
    assert (tmp_path / "d.csv").read_text().startswith("slug,name,kind")
    exported = json.loads((tmp_path / "d.json").read_text())
    assert {o["slug"] for o in exported["organizations"]} == set(
        Organization.objects.values_list("slug", flat=True)
    )


@pytest.mark.django_db
def test_stale_lists_old_entries_and_exits_1_only_when_there_are_any(capsys):
    load_shipped_directory()
    with time_machine.travel(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), tick=False):
        call_command("safety", "stale")
        assert "No active entry" in capsys.readouterr().out
        Organization.objects.filter(slug="samaritans").update(verified_on=dt.date(2025, 12, 1))
        with pytest.raises(SystemExit) as exit_info:
            call_command("safety", "stale")
        assert exit_info.value.code == 1
        out = capsys.readouterr().out
        assert "samaritans" in out
        assert "988-lifeline" not in out


@pytest.mark.django_db
def test_contact_hours_must_have_a_time_zone():
    contact = {"kind": "chat", "value": "https://example.org/chat",
               "hours": [{"days": [0], "open": "09:00", "close": "17:00"}]}  # fmt: skip
    parsed = directory_io.parse_json(document(bad(contacts=[contact])))
    assert [p.field for p in parsed.problems] == ["contact.timezone"]
    assert not ContactMethod.objects.exists()
