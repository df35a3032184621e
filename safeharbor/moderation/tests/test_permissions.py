"""Every moderation page and endpoint against every role."""

from __future__ import annotations

import pytest

from safeharbor.core.testing.matrix import assert_access
from safeharbor.moderation.models import Case

pytestmark = pytest.mark.django_db

REVIEWERS = {"moderator", "child_safety"}


@pytest.fixture
def cases(send_report) -> dict[str, Case]:
    send_report(content_id="ordinary", category="hate")
    send_report(content_id="restricted", category="child-sexual-abuse-material")
    return {case.content_id: case for case in Case.objects.all()}


def test_the_public_report_form_is_open_to_everyone(taxonomy, cast) -> None:
    everyone = set(cast)
    assert_access(cast, "get", "/moderation/report/", allowed=everyone)
    assert_access(cast, "get", "/moderation/report/thanks/", allowed=everyone)


@pytest.mark.parametrize(
    ("method", "url", "allowed", "status"),
    [
        ("get", "/moderation/queues/", REVIEWERS, 200),
        ("get", "/moderation/queues/general/", REVIEWERS, 200),
        ("post", "/moderation/queues/general/claim-next/", REVIEWERS, 302),
        ("get", "/moderation/queues/child-safety/", {"child_safety"}, 200),
        ("post", "/moderation/queues/child-safety/claim-next/", {"child_safety"}, 302),
        ("get", "/moderation/categories/", {"admin"}, 200),
        ("get", "/moderation/categories/spam/", {"admin"}, 200),
    ],
)
def test_staff_pages(cases, cast, method, url, allowed, status) -> None:
    assert_access(cast, method, url, allowed=allowed, allowed_status=status)


@pytest.mark.parametrize(
    ("content_id", "allowed"), [("ordinary", REVIEWERS), ("restricted", {"child_safety"})]
)
@pytest.mark.parametrize("action", ["", "claim/", "renew/", "release/"])
def test_case_pages(cases, cast, content_id, allowed, action) -> None:
    url = f"/moderation/cases/{cases[content_id].public_id}/{action}"
    method = "post" if action else "get"
    # claim succeeds (302); renew and release by someone without the claim are 409
    statuses: dict[str, int | tuple[int, int]] = {
        "": 200,
        "claim/": (302, 409),
        "renew/": (302, 409),
        "release/": (302, 409),
    }
    assert_access(cast, method, url, allowed=allowed, allowed_status=statuses[action])


def test_the_reports_api(platform, make_api_client, anon) -> None:
    body = {"content_id": "x", "category": "spam"}
    assert platform.post("/api/v1/reports", body).status_code == 201
    assert make_api_client("audit:read").post("/api/v1/reports", body).status_code == 403
    assert anon.post("/api/v1/reports", body, content_type="application/json").status_code == 401
    assert platform.get("/api/v1/reports/categories").status_code == 200
    assert anon.get("/api/v1/reports/categories").status_code == 401


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/moderation/settings/", {"admin"}),
        ("/moderation/figures/", {"admin", "transparency_editor"}),
    ],
)
def test_admin_and_transparency_pages(taxonomy, cast, url, allowed) -> None:
    assert_access(cast, "get", url, allowed=allowed)


@pytest.mark.parametrize(
    ("content_id", "allowed"), [("ordinary", REVIEWERS), ("restricted", {"child_safety"})]
)
def test_decide_reveal_and_appeal_actions(cases, cast, content_id, allowed) -> None:
    """Reviewers who may see the case but do not hold it get a conflict (409); everyone else
    gets "not found"."""
    case = cases[content_id]
    report = case.reports.get()
    base = f"/moderation/cases/{case.public_id}"
    assert_access(cast, "post", f"{base}/decide/", allowed=allowed, allowed_status=409)
    assert_access(
        cast, "post", f"{base}/reports/{report.public_id}/reveal/", allowed=allowed,
        allowed_status=409,
    )  # fmt: skip
    # No appeal is open on this case: 404 for everyone.
    assert_access(cast, "post", f"{base}/appeal/", allowed=set(), denied_status=404)
    assert_access(cast, "get", f"{base}/reports/{report.public_id}/media/", allowed=set())


def test_the_break_button_is_for_reviewers(taxonomy, cast) -> None:
    assert_access(cast, "post", "/moderation/break/", allowed=REVIEWERS, allowed_status=302)


def test_a_decision_statement_is_visible_to_those_who_see_the_case(
    cases, cast, decision_form
) -> None:
    from safeharbor.moderation.models import Decision

    for content_id, member in (("ordinary", "moderator"), ("restricted", "child_safety")):
        case = cases[content_id]
        client = cast[member].client
        client.post(f"/moderation/cases/{case.public_id}/claim/")
        form = {**decision_form, "policy": case.category.slug}
        assert client.post(f"/moderation/cases/{case.public_id}/decide/", form).status_code == 302
    for content_id, allowed in (("ordinary", REVIEWERS), ("restricted", {"child_safety"})):
        decision = Decision.objects.get(case=cases[content_id])
        url = f"/moderation/decisions/{decision.public_id}/statement.json"
        assert_access(cast, "get", url, allowed=allowed)


def test_the_appeals_and_figures_api_need_their_scopes(taxonomy, make_api_client, anon) -> None:
    assert make_api_client("reports:write").post("/api/v1/appeals", {}).status_code == 403
    assert anon.get("/api/v1/moderation/figures").status_code == 401
    figures = make_api_client("figures:read")
    assert (
        figures.get("/api/v1/moderation/figures", start="2026-01-01", end="2026-01-31").status_code
        == 200
    )
