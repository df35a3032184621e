from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from safeharbor.core.models import AuditEvent
from safeharbor.moderation.models import Case, CaseState, Queue
from safeharbor.moderation.services import claim_next_case

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _case(content_id: str) -> Case:
    return Case.objects.get(content_id=content_id)


def test_cases_are_routed_by_category_language_and_role(send_report) -> None:
    send_report(content_id="a", category="child-sexual-abuse-material", content_language="es")
    send_report(content_id="b", category="trafficking")
    send_report(content_id="c", category="hate", content_language="es-MX")
    send_report(content_id="d", category="hate", content_language="en")
    assert [_case(c).queue.slug for c in "abcd"] == [
        "child-safety", "imminent-harm", "spanish", "general",
    ]  # fmt: skip


def test_without_a_matching_queue_a_case_lands_in_a_visible_unrouted_queue(send_report) -> None:
    Queue.objects.filter(slug__in=["general", "spanish"]).update(active=False)
    send_report(category="spam")
    assert _case("post-1").queue.slug == "unrouted"


def test_claim_next_takes_the_highest_priority_then_the_oldest(send_report, cast) -> None:
    with time_machine.travel(T0, tick=False):
        send_report(content_id="spam-old", category="spam")
        send_report(content_id="hate", category="hate")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        send_report(content_id="spam-new", category="spam")
        moderator = cast["moderator"]
        order = []
        for _ in range(4):
            response = moderator.client.post("/moderation/queues/general/claim-next/")
            order.append(response["Location"])
    ids = [str(_case(c).public_id) for c in ("hate", "spam-old", "spam-new")]
    assert [url.split("/")[3] for url in order[:3]] == ids
    assert order[3] == "/moderation/queues/general/"
    assert Case.objects.filter(claimed_by=moderator.user, state=CaseState.IN_REVIEW).count() == 3
    claim = AuditEvent.objects.filter(action="moderation.case_claimed").order_by("sequence").first()
    assert claim is not None
    assert claim.actor_label == "moderator"
    assert claim.target_id == str(_case("hate").pk)


def test_a_case_claimed_by_another_is_a_409(send_report, cast) -> None:
    send_report()
    case = _case("post-1")
    url = f"/moderation/cases/{case.public_id}/claim/"
    assert cast["moderator"].client.post(url).status_code == 302
    response = cast["child_safety"].client.post(url)
    assert response.status_code == 409
    assert "Someone else is reviewing this case." in response.content.decode()
    case.refresh_from_db()
    assert case.claimed_by == cast["moderator"].user


def test_an_abandoned_claim_returns_to_the_queue(send_report, cast) -> None:
    with time_machine.travel(T0, tick=False):
        send_report()
        cast["moderator"].client.post("/moderation/queues/general/claim-next/")
    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):
        assert (
            cast["child_safety"].client.post("/moderation/queues/general/claim-next/")["Location"]
            == "/moderation/queues/general/"
        )
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        response = cast["child_safety"].client.post("/moderation/queues/general/claim-next/")
    assert response["Location"].startswith("/moderation/cases/")
    case = _case("post-1")
    assert case.claimed_by == cast["child_safety"].user
    event = AuditEvent.objects.filter(action="moderation.case_claimed").order_by("sequence").last()
    assert event is not None
    assert event.details["expired_claim_of"] == cast["moderator"].user.pk


def test_renewing_extends_the_lease_and_only_the_holder_may(send_report, cast) -> None:
    with time_machine.travel(T0, tick=False):
        send_report()
        case = _case("post-1")
        cast["moderator"].client.post(f"/moderation/cases/{case.public_id}/claim/")
    with time_machine.travel(T0 + timedelta(minutes=8), tick=False):
        url = f"/moderation/cases/{case.public_id}/renew/"
        assert cast["child_safety"].client.post(url).status_code == 409
        assert cast["moderator"].client.post(url).status_code == 302
    case.refresh_from_db()
    assert case.lease_expires_at == T0 + timedelta(minutes=18)


def test_releasing_returns_the_case_and_is_audited(send_report, cast) -> None:
    send_report()
    case = _case("post-1")
    cast["moderator"].client.post(f"/moderation/cases/{case.public_id}/claim/")
    url = f"/moderation/cases/{case.public_id}/release/"
    assert cast["child_safety"].client.post(url).status_code == 409
    assert cast["moderator"].client.post(url).status_code == 302
    case.refresh_from_db()
    assert (case.claimed_by, case.state) == (None, CaseState.OPEN)
    event = AuditEvent.objects.get(action="moderation.case_released")
    assert event.actor_label == "moderator"
    assert event.target_id == str(case.pk)


def test_child_safety_cases_are_invisible_to_moderators(send_report, cast) -> None:
    send_report(category="child-sexual-abuse-material")
    case = _case("post-1")
    moderator = cast["moderator"].client
    assert moderator.get(f"/moderation/cases/{case.public_id}/").status_code == 404
    assert moderator.post(f"/moderation/cases/{case.public_id}/claim/").status_code == 404
    assert moderator.get("/moderation/queues/child-safety/").status_code == 404
    assert moderator.post("/moderation/queues/child-safety/claim-next/").status_code == 404
    assert "Child safety" not in moderator.get("/moderation/queues/").content.decode()
    specialist = cast["child_safety"].client
    assert specialist.get(f"/moderation/cases/{case.public_id}/").status_code == 200
    assert "Child safety" in specialist.get("/moderation/queues/").content.decode()


def test_the_claim_query_itself_filters_by_role(send_report, cast) -> None:
    # Even a queue holding a child-safety case by mistake does not hand it to a moderator.
    send_report(category="child-sexual-abuse-material")
    Case.objects.update(queue=Queue.objects.get(slug="general"))
    general = Queue.objects.get(slug="general")
    assert claim_next_case(general, actor=cast["moderator"].user, roles=[""]) is None
    assert claim_next_case(general, actor=cast["child_safety"].user, roles=["", "child-safety"])


def test_the_queue_list_shows_counts_oldest_and_sla_breaches(send_report, cast) -> None:
    with time_machine.travel(T0, tick=False):
        send_report(content_id="a", category="hate")
        send_report(content_id="b", category="hate")
        cast["moderator"].client.post("/moderation/queues/general/claim-next/")
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        html = cast["moderator"].client.get("/moderation/queues/").content.decode()
    row = html.split('href="/moderation/queues/general/"')[1].split("</tr>")[0]
    cells = [part.split("</td>")[0] for part in row.split("<td>")[1:]]
    # waiting 1 (the claim expired long ago, so it counts as waiting), claimed 0, past SLA 2
    assert cells[0:2] == ["2", "0"]
    assert ">2<" in cells[2]
    assert "1\xa0day" in cells[3]


def test_the_queue_page_filters_and_paginates(
    send_report, cast, django_assert_max_num_queries
) -> None:
    for number in range(55):
        send_report(content_id=f"c{number}", category="hate" if number % 2 else "spam")
    client = cast["moderator"].client
    with django_assert_max_num_queries(12):
        first = client.get("/moderation/queues/general/").content.decode()
    assert first.count("/moderation/cases/") == 50
    assert "Page 1 of 2" in first
    hate = client.get("/moderation/queues/general/?category=hate").content.decode()
    assert hate.count("/moderation/cases/") == 27
    assert "Spam" not in hate.split("<tbody>")[1]


def test_the_case_page_shows_reports_and_hides_media_until_claimed(send_report, cast) -> None:
    send_report(
        text="first words", media_hash="sha256:" + "a" * 64, media_url="https://cdn.example/x.png"
    )
    send_report(text="second words")
    case = _case("post-1")
    html = cast["moderator"].client.get(f"/moderation/cases/{case.public_id}/").content.decode()
    assert "first words" in html
    assert "second words" in html
    assert "2 reports" in html
    assert "claim the case to see them" in html
    assert "<img" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL")
def test_concurrent_claimers_never_get_the_same_case(send_report, cast) -> None:
    for number in range(8):
        send_report(content_id=f"c{number}")
    general = Queue.objects.get(slug="general")
    users = [cast["moderator"].user, cast["child_safety"].user] * 4
    barrier = threading.Barrier(len(users))
    got: list[int | None] = []

    def claim(user) -> None:
        from django.db import connections

        barrier.wait()
        try:
            case = claim_next_case(general, actor=user, roles=[""])
            got.append(case.pk if case else None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert None not in got
    assert len(set(got)) == 8
