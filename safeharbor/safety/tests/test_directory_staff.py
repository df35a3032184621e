"""The directory's staff pages: permissions, editing, verification, retiring, import, export."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.safety import directory_io
from safeharbor.safety.models import Organization
from safeharbor.safety.services import load_shipped_directory

pytestmark = pytest.mark.django_db
EDITORS = {"admin", "moderator"}


@pytest.fixture
def directory(cast):
    load_shipped_directory()


@pytest.mark.parametrize(
    "name",
    ["directory_list", "directory_stale", "directory_import", "directory_export"],
)
def test_directory_pages_are_for_admins_and_moderators_only(cast, directory, name):
    assert_access(cast, "get", reverse(f"safety:{name}"), allowed=EDITORS)


@pytest.mark.parametrize("name", ["directory_detail", "directory_edit", "directory_retire"])
def test_entry_pages_are_for_admins_and_moderators_only(cast, directory, name):
    assert_access(cast, "get", reverse(f"safety:{name}", args=["samaritans"]), allowed=EDITORS)


def test_changes_are_refused_to_everyone_else(cast, directory):
    url = reverse("safety:directory_retire", args=["samaritans"])
    assert_access(cast, "post", url, allowed=EDITORS, allowed_status=302, data={})
    assert Organization.objects.get(slug="samaritans").status == "retired"
    assert_access(
        cast, "post", reverse("safety:directory_import_confirm"), allowed=EDITORS,
        allowed_status=302, data={"token": "x"},
    )  # fmt: skip


def test_an_unknown_entry_is_404_for_editors(admin, directory):
    url = reverse("safety:directory_detail", args=["no-such-entry"])
    assert admin.client.get(url).status_code == 404


def test_the_list_filters_by_country_topic_and_stale(
    admin, directory, django_assert_max_num_queries
):
    url = reverse("safety:directory_list")
    with django_assert_max_num_queries(12):
        page = admin.client.get(url, {"country": "us", "topic": "lgbtq-youth"}).content.decode()
    assert "The Trevor Project" in page
    assert "Samaritans" not in page
    Organization.objects.filter(slug="samaritans").update(verified_on=dt.date(2024, 1, 1))
    stale = admin.client.get(url, {"stale": "on"}).content.decode()
    assert "Samaritans" in stale
    assert "The Trevor Project" not in stale
    assert "Samaritans" in admin.client.get(reverse("safety:directory_stale")).content.decode()


def edit_data(**changes):
    data = {
        "name": "Samaritans", "kind": "helpline", "website": "https://www.samaritans.org",
        "country": "GB", "topics": ["suicide-crisis"], "populations": ["everyone"],
        "languages": "en", "cost": "free", "anonymity": "confidential", "priority": "on",
    }  # fmt: skip
    data.update(changes)
    return data


def test_editing_without_verifying_keeps_the_verified_date(admin, directory):
    url = reverse("safety:directory_edit", args=["samaritans"])
    response = admin.client.post(url, edit_data(name="Samaritans UK"))
    assert response.status_code == 302
    organization = Organization.objects.get(slug="samaritans")
    assert organization.name == "Samaritans UK"
    assert organization.verified_on == dt.date(2026, 11, 22)
    event = AuditEvent.objects.get(action="safety.organization_updated")
    assert "name" in event.details["changed"]
    assert event.details["verified_on"] is None


def test_ticking_verified_today_moves_the_date_and_records_the_source(admin, directory):
    url = reverse("safety:directory_edit", args=["samaritans"])
    source = "https://www.samaritans.org/how-we-can-help/contact-samaritan/talk-us-phone/"
    Organization.objects.filter(slug="samaritans").update(verified_on=dt.date(2025, 1, 1))
    response = admin.client.post(url, edit_data(verified_today="on", verified_source=source))
    assert response.status_code == 302
    organization = Organization.objects.get(slug="samaritans")
    assert organization.verified_on == timezone.localdate()
    assert source in organization.sources
    event = AuditEvent.objects.get(action="safety.organization_updated")
    assert event.details["verified_source"] == source


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"verified_today": "on"}, "verified_source"),
        ({"verified_source": "https://example.org"}, "verified_today"),
        ({"country": "XX"}, "country"),
        ({"languages": "en zz"}, "languages"),
        ({"website": "http://insecure.example"}, "website"),
    ],
)
def test_invalid_edits_are_shown_on_the_form_and_saved_nowhere(admin, directory, changes, field):
    url = reverse("safety:directory_edit", args=["samaritans"])
    response = admin.client.post(url, edit_data(name="Changed", **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Organization.objects.get(slug="samaritans").name == "Samaritans"
    assert not AuditEvent.objects.filter(action="safety.organization_updated").exists()


def test_marking_an_entry_replaced_names_its_replacement(moderator_client, directory):
    url = reverse("safety:directory_retire", args=["crisis-text-line"])
    response = moderator_client.post(url, {"replaced_by": "988-lifeline"})
    assert response.status_code == 302
    organization = Organization.objects.get(slug="crisis-text-line")
    assert organization.status == "replaced"
    assert organization.replaced_by is not None
    assert organization.replaced_by.slug == "988-lifeline"
    event = AuditEvent.objects.get(action="safety.organization_replaced")
    assert event.details == {"replaced_by": "988-lifeline"}


@pytest.fixture
def moderator_client(cast):
    return cast["moderator"].client


def upload(name, content):
    return SimpleUploadedFile(name, content.encode(), content_type="application/octet-stream")


def test_import_previews_the_row_report_then_imports_on_confirmation(admin, directory):
    exported = json.loads(directory_io.export_json())
    exported["organizations"][0]["name"] = "Renamed in the file"
    slug = exported["organizations"][0]["slug"]
    broken = dict(exported["organizations"][1], slug="broken-entry", country="XX")
    exported["organizations"].append(broken)
    url = reverse("safety:directory_import")

    preview = admin.client.post(url, {"file": upload("d.json", json.dumps(exported))})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "broken-entry" in page
    assert "is not an ISO 3166-1 alpha-2 country code" in page
    assert not preview.context["can_apply"]
    assert Organization.objects.get(slug=slug).name != "Renamed in the file"

    preview = admin.client.post(
        url, {"file": upload("d.json", json.dumps(exported)), "skip_bad": "on"}
    )
    token = preview.context["token"]
    assert Organization.objects.get(slug=slug).name != "Renamed in the file"
    confirmed = admin.client.post(reverse("safety:directory_import_confirm"), {"token": token})
    assert confirmed.status_code == 302
    assert Organization.objects.get(slug=slug).name == "Renamed in the file"
    assert not Organization.objects.filter(slug="broken-entry").exists()
    event = AuditEvent.objects.get(action="safety.directory_imported")
    assert event.details["skipped"] == ["broken-entry"]
    # The preview is used once.
    again = admin.client.post(reverse("safety:directory_import_confirm"), {"token": token})
    assert again.status_code == 302
    assert AuditEvent.objects.filter(action="safety.directory_imported").count() == 1


def test_a_file_that_is_not_a_directory_is_refused_on_the_form(admin, directory):
    response = admin.client.post(
        reverse("safety:directory_import"), {"file": upload("d.json", "{nope")}
    )
    assert response.status_code == 400
    assert "not JSON" in response.content.decode()


def test_a_file_that_is_not_utf8_is_refused_on_the_form(admin, directory):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = '{"format": "safeharbor-directory/1", "organizations": []}'.encode("utf-16")
    response = admin.client.post(
        reverse("safety:directory_import"),
        {"file": SimpleUploadedFile("d.json", document, content_type="application/json")},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()


def test_exports_download_json_and_csv_and_are_audited(admin, directory):
    url = reverse("safety:directory_export")
    response = admin.client.get(url, {"format": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="safeharbor-directory')
    assert response.content.decode().startswith("slug,name,kind")
    document = json.loads(admin.client.get(url).content)
    assert document["format"] == directory_io.FORMAT
    assert AuditEvent.objects.filter(action="safety.directory_exported").count() == 2
