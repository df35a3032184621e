"""Staff pages for term lists: who may see them, editing with row errors, history, restore."""

from __future__ import annotations

import pytest

from safeharbor.core.models import AuditEvent
from safeharbor.core.testing.matrix import assert_access
from safeharbor.safety.interventions import matcher as matchers
from safeharbor.safety.interventions.services import save_term_list
from safeharbor.safety.models import TermListVersion, Topic

pytestmark = pytest.mark.django_db

BASE = "/safety/staff/interventions/"
EDITORS = {"admin", "moderator"}
SUICIDE = {"phrase": "kill myself", "tier": "crisis", "topic": "suicide-crisis"}
THINSPO = {"phrase": "thinspo", "tier": "topic", "topic": "eating-disorders"}


@pytest.fixture(autouse=True)
def _fresh_matchers():
    matchers.forget_matchers()
    yield
    matchers.forget_matchers()


@pytest.fixture
def two_versions(admin):
    save_term_list("en", [SUICIDE], ["kill myself laughing"], by=admin.user, note="first")
    return save_term_list("en", [SUICIDE, THINSPO], [], by=admin.user, note="add thinspo")


@pytest.mark.parametrize(
    "path", ["", "en/", "en/v1/", "en/v2/", "en/edit/", "en/v1/restore/", "fr/edit/"]
)
def test_only_administrators_and_moderators_see_the_term_list_pages(cast, two_versions, path):
    assert_access(cast, "get", BASE + path, allowed=EDITORS)


def test_only_editors_may_post_a_new_version_or_a_restore(cast, two_versions) -> None:
    editors_excluded = [role for role in cast if role not in EDITORS]
    assert_access(
        cast, "post", BASE + "en/edit/", allowed=set(), roles=editors_excluded,
        data={"terms": "crisis,suicide-crisis,die", "allow": ""},
    )  # fmt: skip
    assert_access(cast, "post", BASE + "en/v1/restore/", allowed=set(), roles=editors_excluded)
    assert TermListVersion.objects.count() == 2


def test_the_index_lists_each_locale_with_its_version_in_force(cast, two_versions) -> None:
    html = cast["moderator"].client.get(BASE).content.decode()
    assert 'href="/safety/staff/interventions/en/v2/"' in html
    assert "add thinspo" in html


def test_unknown_locales_and_versions_are_404(cast, two_versions) -> None:
    client = cast["admin"].client
    assert client.get(BASE + "fr/").status_code == 404
    assert client.get(BASE + "en/v9/").status_code == 404
    assert client.get(BASE + "EN!/edit/").status_code == 404


def test_the_editor_shows_the_current_list_as_lines(cast, two_versions) -> None:
    response = cast["admin"].client.get(BASE + "en/edit/")
    assert response.context["form"].initial["terms"] == (
        "crisis,suicide-crisis,kill myself\ntopic,eating-disorders,thinspo"
    )


def test_a_moderator_saves_a_new_version_and_it_is_audited(cast, two_versions) -> None:
    response = cast["moderator"].client.post(
        BASE + "en/edit/",
        {
            "terms": "crisis,suicide-crisis,kill myself\n# a comment\n\ntopic,bullying,kys",
            "allow": "kill myself laughing",
            "note": "kys is harassment",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == BASE + "en/"
    newest = TermListVersion.objects.get(locale="en", number=3)
    assert newest.terms == [SUICIDE, {"phrase": "kys", "tier": "topic", "topic": "bullying"}]
    assert newest.allow == ["kill myself laughing"]
    assert newest.created_by == cast["moderator"].user
    event = AuditEvent.objects.get(action="safety.term_list_saved", details__number=3)
    assert event.actor_label == "moderator"
    assert event.details["note"] == "kys is harassment"


def test_row_errors_name_the_line_and_nothing_is_saved(cast, two_versions) -> None:
    response = cast["admin"].client.post(
        BASE + "en/edit/",
        {
            "terms": "crisis,suicide-crisis,kill myself\nurgent,suicide-crisis,die\n"
            "topic,sadness,blue\njust a phrase\ntopic,self-harm,K1ll Mys3lf",
            "allow": "ok\nOK",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["terms"] == [
        "Line 4: write tier,topic,phrase.",
        "Line 2: Unknown tier 'urgent': use crisis or topic.",
        "Line 3: Unknown topic 'sadness': use one of " + ", ".join(Topic.values) + ".",
        "Line 5: Same as row 1 once normalized ('ki myseif'): keep one of the two.",
    ]
    assert errors["allow"] == ["Line 2: Same as row 1 once normalized ('ok'): keep one of the two."]
    assert 'aria-invalid="true"' in response.content.decode()
    assert TermListVersion.objects.count() == 2


def test_saving_an_unchanged_list_is_refused(cast, two_versions) -> None:
    response = cast["admin"].client.post(
        BASE + "en/edit/",
        {"terms": "crisis,suicide-crisis,kill myself\ntopic,eating-disorders,thinspo", "allow": ""},
    )
    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()
    assert TermListVersion.objects.count() == 2


def test_a_new_locale_starts_at_version_1(cast) -> None:
    response = cast["admin"].client.get(BASE, {"locale": "pt_br"})
    assert response["Location"] == BASE + "pt-BR/edit/"
    cast["admin"].client.post(BASE + "pt-BR/edit/", {"terms": "crisis,suicide-crisis,quero morrer"})
    assert TermListVersion.objects.get(locale="pt-BR").number == 1


def test_a_version_page_shows_what_changed_since_the_one_before(cast, two_versions) -> None:
    html = cast["admin"].client.get(BASE + "en/v2/").content.decode()
    assert "Changes since version 1" in html
    assert "<ins>topic, eating-disorders, thinspo</ins>" in html
    assert "<del>kill myself laughing</del>" in html


def test_restore_asks_for_confirmation_then_saves_the_old_list_as_newest(cast, two_versions):
    client = cast["admin"].client
    page = client.get(BASE + "en/v1/restore/")
    assert "Restore en version 1?" in page.content.decode()
    assert TermListVersion.objects.count() == 2
    response = client.post(BASE + "en/v1/restore/")
    assert response["Location"] == BASE + "en/"
    newest = TermListVersion.objects.get(locale="en", number=3)
    assert newest.terms == [SUICIDE]
    assert newest.allow == ["kill myself laughing"]
    assert AuditEvent.objects.get(action="safety.term_list_restored").details["restored_from"] == 1


def test_restoring_the_version_in_force_changes_nothing(cast, two_versions) -> None:
    cast["admin"].client.post(BASE + "en/v2/restore/")
    assert TermListVersion.objects.count() == 2
    assert not AuditEvent.objects.filter(action="safety.term_list_restored").exists()
