"""The permission matrix of every disclosure page and endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safeharbor.core.testing.matrix import assert_access
from safeharbor.disclosure.models import Attachment, Report

pytestmark = pytest.mark.django_db
EVERYONE = {
    "admin",
    "triager",
    "moderator",
    "child_safety",
    "transparency_editor",
    "researcher",
    "other_researcher",
    "anon",
}
SIGNED_IN = EVERYONE - {"anon"}
TEAM = {"admin", "triager"}


def test_public_pages_are_public(cast) -> None:
    for name in ("program", "thanks", "disclosed"):
        assert_access(cast, "get", reverse(f"disclosure:{name}"), allowed=EVERYONE)
    assert_access(cast, "get", "/.well-known/security.txt", allowed=EVERYONE)


def test_researcher_pages(cast) -> None:
    assert_access(
        cast, "get", reverse("disclosure:submit"), allowed={"researcher", "other_researcher"}
    )
    assert_access(
        cast, "get", reverse("disclosure:profile"), allowed={"researcher", "other_researcher"}
    )
    assert_access(cast, "get", reverse("disclosure:my_reports"), allowed=SIGNED_IN)


def test_staff_pages(cast) -> None:
    assert_access(cast, "get", reverse("disclosure:queue"), allowed=TEAM)
    assert_access(cast, "get", reverse("disclosure:asset_list"), allowed=TEAM)
    assert_access(cast, "get", reverse("disclosure:asset_create"), allowed=TEAM)
    assert_access(cast, "get", reverse("disclosure:program_edit"), allowed={"admin"})
    assert_access(cast, "get", reverse("disclosure:bounty_table"), allowed={"admin"})


def test_a_report_is_seen_by_its_researcher_and_the_team_only(cast, make_report, asset) -> None:
    report = make_report(cast["researcher"])
    assert_access(
        cast,
        "get",
        reverse("disclosure:report_detail", args=[report.pk]),
        allowed={"researcher", *TEAM},
    )
    assert_access(cast, "get", reverse("disclosure:asset_edit", args=[asset.pk]), allowed=TEAM)
    for name in ("report_state", "report_assign", "report_severity"):
        assert_access(
            cast,
            "post",
            reverse(f"disclosure:{name}", args=[report.pk]),
            allowed=TEAM,
            allowed_status={302, 400, 409},
            data={},
        )
    assert_access(
        cast,
        "post",
        reverse("disclosure:report_comment", args=[report.pk]),
        allowed={"researcher", *TEAM},
        allowed_status={302, 400},
        data={},
    )
    assert_access(
        cast,
        "get",
        reverse("disclosure:report_public", args=[report.pk]),
        allowed={"researcher", *TEAM},
        allowed_status=302,
    )
    Report.objects.filter(pk=report.pk).update(disclosure_state="disclosed")
    assert_access(
        cast, "get", reverse("disclosure:report_public", args=[report.pk]), allowed=EVERYONE
    )


def _download_statuses(cast, url):
    statuses = {}
    for role, member in cast.items():
        response = member.client.get(url)
        statuses[role] = response.status_code
        if response.streaming:
            # Reading a file response to its end makes the test client close its file.
            b"".join(response.streaming_content)
    return statuses


def test_attachments_are_for_the_researcher_and_the_team(cast, make_report) -> None:
    from django.core.files.base import ContentFile

    report = make_report(cast["researcher"])
    attachment = Attachment(
        report=report, original_name="a.txt", content_type="text/plain", size=2, sha256="0" * 64
    )
    attachment.file.save("random.txt", ContentFile(b"hi"))
    url = reverse("disclosure:attachment", args=[report.pk, attachment.pk])
    expected = {role: 200 if role in {"researcher", *TEAM} else 404 for role in EVERYONE}
    expected["anon"] = 302
    assert _download_statuses(cast, url) == expected
    # Disclosing a report does not publish its attachments.
    Report.objects.filter(pk=report.pk).update(disclosure_state="disclosed")
    assert _download_statuses(cast, url) == expected


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("get", "/api/v1/vdp/program", "vdp:read"),
        ("get", "/api/v1/vdp/reports", "vdp:read"),
        ("post", "/api/v1/vdp/reports", "vdp:submit"),
    ],
)
def test_api_endpoints_need_their_scope(make_api_client, anon, method, path, scope) -> None:
    assert getattr(anon, method)(path).status_code == 401
    other = "audit:read"
    client = make_api_client(other)
    response = client.get(path) if method == "get" else client.post(path, {})
    assert response.status_code == 403
    allowed = make_api_client(scope)
    response = allowed.get(path) if method == "get" else allowed.post(path, {})
    assert response.status_code in (200, 422)
