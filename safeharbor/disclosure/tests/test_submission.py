from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from safeharbor.core.models import AuditEvent
from safeharbor.disclosure import services
from safeharbor.disclosure.attachments import MAX_ATTACHMENT_BYTES
from safeharbor.disclosure.models import Attachment, Report, ReportState, Weakness

pytestmark = pytest.mark.django_db
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"


def _form(asset, **extra):
    data = {
        "asset": asset.pk,
        "title": "Stored XSS in the profile name",
        "description": "The display name is rendered unescaped.",
        "steps_to_reproduce": "1. Set the name\n2. Open the profile",
        "impact": "Session theft.",
        "cvss_vector": VECTOR,
    }
    data.update(extra)
    return data


def _png(width: int = 4, height: int = 4) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_researcher_submits_a_report_scored_by_its_cvss_vector(
    researcher, asset, weaknesses, django_capture_on_commit_callbacks
):
    weakness = Weakness.objects.get(code="CWE-79")
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher.client.post(
            reverse("disclosure:submit"), _form(asset, weakness=weakness.pk, send="")
        )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosure:report_detail", args=[report.pk])
    assert report.researcher == researcher.user
    assert report.state == ReportState.NEW
    assert not report.is_draft
    assert report.cvss_vector == VECTOR
    assert str(report.cvss_score) == "6.1"
    assert report.severity == "medium"
    assert report.weakness == weakness
    assert report.first_response_due_at is not None
    assert report.triage_due_at is not None
    audit = AuditEvent.objects.get(action="disclosure.report_submitted")
    assert audit.target_id == str(report.pk)
    assert audit.actor_id == researcher.user.pk
    assert audit.details["cvss_vector"] == VECTOR
    assert [m.to for m in mail.outbox] == [[researcher.user.email]]
    assert f"#{report.pk}" in mail.outbox[0].subject


def test_an_invalid_cvss_vector_shows_the_librarys_reason_on_the_field(researcher, asset):
    response = researcher.client.post(
        reverse("disclosure:submit"), _form(asset, cvss_vector="CVSS:3.1/AV:X/AC:L")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Unknown value" in errors["cvss_vector"][0]
    assert "AV:X" in errors["cvss_vector"][0]
    assert not Report.objects.exists()


def test_a_rating_above_the_assets_maximum_is_capped(researcher, asset):
    critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    researcher.client.post(reverse("disclosure:submit"), _form(asset, cvss_vector=critical))
    report = Report.objects.get()
    assert report.severity == "high"  # the asset's maximum
    assert str(report.cvss_score) == "9.8"


def test_an_out_of_scope_asset_is_refused(researcher, asset):
    asset.in_scope = False
    asset.save()
    response = researcher.client.post(reverse("disclosure:submit"), _form(asset))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_draft_is_seen_by_its_researcher_only_until_submitted(researcher, triager, asset):
    researcher.client.post(reverse("disclosure:submit"), _form(asset, save_draft=""))
    report = Report.objects.get()
    assert report.is_draft
    assert report.submitted_at is None
    assert not AuditEvent.objects.filter(action="disclosure.report_submitted").exists()
    detail = reverse("disclosure:report_detail", args=[report.pk])
    assert researcher.client.get(detail).status_code == 200
    assert triager.client.get(detail).status_code == 404
    assert report.title not in triager.client.get(reverse("disclosure:queue")).content.decode()

    response = researcher.client.post(
        reverse("disclosure:report_edit", args=[report.pk]), _form(asset, title="Edited", submit="")
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert not report.is_draft
    assert report.title == "Edited"
    assert report.submitted_at is not None
    assert triager.client.get(detail).status_code == 200
    assert AuditEvent.objects.filter(action="disclosure.report_submitted").count() == 1
    assert (
        researcher.client.get(reverse("disclosure:report_edit", args=[report.pk])).status_code
        == 404
    )


def test_attachments_are_checked_by_content_and_served_only_as_downloads(
    researcher, other_researcher, triager, asset
):
    png = SimpleUploadedFile("../../evil.html", _png(), content_type="text/html")
    researcher.client.post(reverse("disclosure:submit"), _form(asset, attachments=[png]))
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"  # sniffed, not what the browser claimed
    assert attachment.original_name == "evil.html"
    stored_name = str(attachment.file.name)
    assert "evil" not in stored_name
    assert stored_name.endswith(".png")
    url = reverse("disclosure:attachment", args=[attachment.report_id, attachment.pk])
    for member in (researcher, triager):
        response = member.client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == _png()
    assert other_researcher.client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("shell.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "not a file type we accept"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "not a readable image"),
    ],
)
def test_forbidden_attachments_get_a_clear_message(researcher, asset, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = researcher.client.post(
        reverse("disclosure:submit"), _form(asset, attachments=[upload])
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["attachments"])
    assert not Report.objects.exists()
    assert not Attachment.objects.exists()


def test_an_oversized_attachment_is_refused(researcher, asset):
    upload = SimpleUploadedFile("log.txt", b"a" * (MAX_ATTACHMENT_BYTES + 1))
    response = researcher.client.post(
        reverse("disclosure:submit"), _form(asset, attachments=[upload])
    )
    assert response.status_code == 400
    assert "at most 10 MB" in " ".join(response.context["form"].errors["attachments"])
    assert not Report.objects.exists()


def test_an_image_with_too_many_pixels_is_refused(researcher, asset):
    upload = SimpleUploadedFile("bomb.png", _png(8000, 6000))
    response = researcher.client.post(
        reverse("disclosure:submit"), _form(asset, attachments=[upload])
    )
    assert response.status_code == 400
    assert "million pixels" in " ".join(response.context["form"].errors["attachments"])


def test_submissions_are_limited_per_researcher_per_hour(researcher, other_researcher, asset):
    program = services.current_program()
    program.submissions_per_hour = 2
    program.save()
    for _ in range(2):
        assert researcher.client.post(reverse("disclosure:submit"), _form(asset)).status_code == 302
    response = researcher.client.post(reverse("disclosure:submit"), _form(asset))
    assert response.status_code == 429
    assert "reports in the last hour" in response.content.decode()
    assert Report.objects.count() == 2
    # Drafts are not limited, and others are not affected.
    assert (
        researcher.client.post(
            reverse("disclosure:submit"), _form(asset, save_draft="")
        ).status_code
        == 302
    )
    assert (
        other_researcher.client.post(reverse("disclosure:submit"), _form(asset)).status_code == 302
    )
    Report.objects.filter(researcher=researcher.user).update(
        submitted_at=timezone.now() - timedelta(minutes=61)
    )
    assert researcher.client.post(reverse("disclosure:submit"), _form(asset)).status_code == 302


def test_unsent_drafts_are_capped_per_researcher(researcher, asset, monkeypatch):
    monkeypatch.setattr(services, "MAX_OPEN_DRAFTS", 2)
    for _ in range(2):
        response = researcher.client.post(reverse("disclosure:submit"), _form(asset, save_draft=""))
        assert response.status_code == 302
    response = researcher.client.post(reverse("disclosure:submit"), _form(asset, save_draft=""))
    assert response.status_code == 400
    assert "2 unsent drafts" in response.content.decode()
    assert Report.objects.filter(is_draft=True).count() == 2


def test_a_minimum_reputation_keeps_new_researchers_out(researcher, asset):
    program = services.current_program()
    program.min_reputation_to_submit = 7
    program.save()
    response = researcher.client.post(reverse("disclosure:submit"), _form(asset))
    assert response.status_code == 400
    assert "reputation of at least 7" in response.content.decode()
    assert not Report.objects.exists()


def test_script_payloads_in_markdown_fields_render_inert(researcher, triager, asset):
    payload = (
        '<script>alert(1)</script> <img src=x onerror="alert(2)"> '
        '[click](javascript:alert(3)) <a href="#" onclick="alert(4)">x</a>'
    )
    researcher.client.post(
        reverse("disclosure:submit"),
        _form(asset, description=payload, steps_to_reproduce=payload, impact=payload),
    )
    report = Report.objects.get()
    for member in (researcher, triager):
        page = member.client.get(reverse("disclosure:report_detail", args=[report.pk])).content
        text = page.decode()
        assert "<script>alert" not in text
        assert re.search(r"<[a-z][^>]*\son\w+\s*=", text) is None  # no live event handler
        assert "<img" not in text
        assert re.search(r"href=[\"']?javascript:", text) is None
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # shown as text
