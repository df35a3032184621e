"""The review page: context, blurred media revealed by a logged click, exposure caps and break
prompts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from safeharbor.core.models import AuditEvent
from safeharbor.moderation.models import Case, ModerationSettings, ReviewerExposure

pytestmark = pytest.mark.django_db


def _png(color: str = "red", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def media_case(send_report, receiver) -> Case:
    receiver.media["/m.png"] = ("image/png", _png())
    send_report(
        content_type="image",
        media_url=receiver.url("/m.png"),
        text="look at this",
        author_id="user-9",
    )
    return Case.objects.get(content_id="post-1")


def _claim(client, case: Case) -> None:
    assert client.post(f"/moderation/cases/{case.public_id}/claim/").status_code == 302


def test_media_are_blurred_until_revealed_and_the_reveal_is_logged(media_case, cast) -> None:
    client = cast["moderator"].client
    _claim(client, media_case)
    url = f"/moderation/cases/{media_case.public_id}/"
    html = client.get(url).content.decode()
    assert 'class="media media-blurred"' in html
    assert "media-revealed" not in html
    report = media_case.reports.get()
    media = client.get(f"{url}reports/{report.public_id}/media/")
    assert media.status_code == 200
    assert media["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(media.content)).size == (8, 8)  # re-encoded, same pixels
    assert client.post(f"{url}reports/{report.public_id}/reveal/").status_code == 302
    html = client.get(url).content.decode()
    assert 'class="media media-revealed"' in html
    event = AuditEvent.objects.get(action="moderation.media_revealed")
    assert event.actor == cast["moderator"].user
    assert event.details["report"] == str(report.public_id)
    exposure = ReviewerExposure.objects.get(reviewer=cast["moderator"].user)
    assert (exposure.items_viewed, exposure.media_revealed) == (1, 1)


def test_a_video_is_muted(send_report, receiver, cast) -> None:
    receiver.media["/v.mp4"] = ("video/mp4", b"\x00\x00\x00\x18ftypmp42")
    send_report(content_type="video", media_url=receiver.url("/v.mp4"))
    case = Case.objects.get()
    _claim(cast["moderator"].client, case)
    html = cast["moderator"].client.get(f"/moderation/cases/{case.public_id}/").content.decode()
    assert "<video" in html
    assert " muted " in html


def test_only_the_claimant_sees_or_reveals_media(media_case, cast) -> None:
    report = media_case.reports.get()
    base = f"/moderation/cases/{media_case.public_id}/reports/{report.public_id}"
    assert cast["moderator"].client.get(f"{base}/media/").status_code == 404
    assert cast["moderator"].client.post(f"{base}/reveal/").status_code == 409
    assert not AuditEvent.objects.filter(action="moderation.media_revealed").exists()


def test_a_bomb_or_a_truncated_image_is_refused(send_report, receiver, cast) -> None:
    receiver.media["/cut.png"] = ("image/png", _png()[:40])
    send_report(content_type="image", media_url=receiver.url("/cut.png"))
    case = Case.objects.get()
    _claim(cast["moderator"].client, case)
    report = case.reports.get()
    url = f"/moderation/cases/{case.public_id}/reports/{report.public_id}/media/"
    assert cast["moderator"].client.get(url).status_code == 502


def test_reveals_stop_at_the_daily_cap_with_a_clear_message(media_case, cast) -> None:
    ModerationSettings.objects.create(pk=1, daily_reveal_cap=1)
    client = cast["moderator"].client
    _claim(client, media_case)
    report = media_case.reports.get()
    url = f"/moderation/cases/{media_case.public_id}/reports/{report.public_id}/reveal/"
    assert client.post(url).status_code == 302
    refused = client.post(url)
    assert refused.status_code == 429
    assert "the daily limit" in refused.content.decode()
    assert AuditEvent.objects.filter(action="moderation.media_revealed").count() == 1


def test_claims_stop_at_the_daily_item_cap(send_report, cast) -> None:
    ModerationSettings.objects.create(pk=1, daily_item_cap=1)
    send_report(content_id="a")
    send_report(content_id="b")
    client = cast["moderator"].client
    assert client.post("/moderation/queues/general/claim-next/").status_code == 302
    second = client.post("/moderation/queues/general/claim-next/", follow=True)
    assert "today&#x27;s limit of 1 cases" in second.content.decode()
    assert Case.objects.filter(claimed_by=cast["moderator"].user).count() == 1


def test_a_break_is_suggested_after_n_items_or_m_minutes(send_report, cast) -> None:
    ModerationSettings.objects.create(pk=1, break_after_items=2, break_after_minutes=30)
    for content_id in ("a", "b", "c"):
        send_report(content_id=content_id)
    client = cast["moderator"].client
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post("/moderation/queues/general/claim-next/")
        case = Case.objects.get(claimed_by=cast["moderator"].user)
        page = client.get(f"/moderation/cases/{case.public_id}/").content.decode()
        assert "Time for a break." not in page
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        page = client.get(f"/moderation/cases/{case.public_id}/").content.decode()
        assert "Time for a break." in page
        client.post("/moderation/break/", {"next": "/moderation/queues/"})
        page = client.get(f"/moderation/cases/{case.public_id}/").content.decode()
        assert "Time for a break." not in page
        client.post(f"/moderation/cases/{case.public_id}/release/")
        client.post("/moderation/queues/general/claim-next/")
        client.post("/moderation/queues/general/claim-next/")
        page = client.get(f"/moderation/cases/{case.public_id}/").content.decode()
        assert "You reviewed 2 cases" in page


def test_the_page_shows_the_authors_earlier_decisions_and_the_shortcuts(
    send_report, cast, decision_form
) -> None:
    send_report(content_id="old", author_id="user-9")
    old = Case.objects.get(content_id="old")
    client = cast["moderator"].client
    _claim(client, old)
    client.post(f"/moderation/cases/{old.public_id}/decide/", decision_form)
    send_report(content_id="new", author_id="user-9")
    new = Case.objects.get(content_id="new")
    html = client.get(f"/moderation/cases/{new.public_id}/").content.decode()
    assert "Earlier decisions on this author" in html
    assert "<code>old</code>" in html
    assert "Keyboard shortcuts" in html
    assert "moderation/review.js" in html


def test_the_review_page_has_no_inline_script_or_style(media_case, cast) -> None:
    import re

    client = cast["moderator"].client
    _claim(client, media_case)
    html = client.get(f"/moderation/cases/{media_case.public_id}/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert "<style" not in html


def test_an_admin_changes_the_caps_and_it_is_audited(taxonomy, cast) -> None:
    form = {
        "appeal_window_days": 200,
        "daily_item_cap": 150,
        "daily_reveal_cap": 40,
        "break_after_items": 20,
        "break_after_minutes": 60,
    }
    response = cast["admin"].client.post("/moderation/settings/", form)
    assert response.status_code == 302
    saved = ModerationSettings.objects.get(pk=1)
    assert (saved.daily_reveal_cap, saved.appeal_window_days) == (40, 200)
    event = AuditEvent.objects.get(action="moderation.settings_changed")
    assert event.details["changed"]["daily_reveal_cap"] == [60, 40]
    bad = cast["admin"].client.post("/moderation/settings/", {**form, "break_after_items": 0})
    assert bad.status_code == 400
