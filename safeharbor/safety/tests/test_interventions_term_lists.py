"""Saving, validating, restoring and loading term lists; hot reload of a new version."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from safeharbor.core.models import AuditEvent
from safeharbor.safety.interventions import matcher as matchers
from safeharbor.safety.interventions.matcher import matcher_for
from safeharbor.safety.interventions.services import (
    InvalidTermList,
    load_shipped_term_lists,
    restore_term_list,
    save_term_list,
)
from safeharbor.safety.models import TermListVersion

pytestmark = pytest.mark.django_db

SUICIDE = {"phrase": "kill myself", "tier": "crisis", "topic": "suicide-crisis"}
THINSPO = {"phrase": "thinspo", "tier": "topic", "topic": "eating-disorders"}


@pytest.fixture(autouse=True)
def _fresh_matchers():
    matchers.forget_matchers()
    yield
    matchers.forget_matchers()


def test_saving_a_list_makes_the_next_version_and_an_audit_row(admin) -> None:
    first = save_term_list("en", [SUICIDE], [], by=admin.user, note="start")
    second = save_term_list("en", [SUICIDE, THINSPO], ["kill myself laughing"], by=admin.user)
    assert (first.number, second.number) == (1, 2)
    assert second.terms == [SUICIDE, THINSPO]
    assert second.created_by == admin.user
    events = AuditEvent.objects.filter(action="safety.term_list_saved").order_by("sequence")
    assert [e.details["number"] for e in events] == [1, 2]
    assert events[1].actor_label == "admin"
    assert events[1].details["terms_added"] == 1
    assert events[1].details["allowed_added"] == 1
    assert events[1].target_id == str(second.pk)


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ({"phrase": "  ", "tier": "crisis", "topic": "suicide-crisis"}, "The phrase is empty"),
        ({"phrase": "x" * 101, "tier": "crisis", "topic": "suicide-crisis"}, "at most 100"),
        ({"phrase": "die", "tier": "urgent", "topic": "suicide-crisis"}, "Unknown tier 'urgent'"),
        ({"phrase": "die", "tier": "crisis", "topic": "sadness"}, "Unknown topic 'sadness'"),
        ({"phrase": "!!!", "tier": "crisis", "topic": "suicide-crisis"}, "no letters or digits"),
        ({"phrase": "K1LL MYS3LF", "tier": "topic", "topic": "self-harm"}, "Same as row 1"),
        ({"phrase": "killmyself", "tier": "topic", "topic": "self-harm"}, "Same as row 1"),
    ],
)
def test_a_bad_term_is_refused_with_its_row_and_nothing_is_saved(admin, term, message) -> None:
    with pytest.raises(InvalidTermList) as refused:
        save_term_list("en", [SUICIDE, term], [], by=admin.user)
    assert [error.row for error in refused.value.errors] == [2]
    assert message in refused.value.errors[0].message
    assert not TermListVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="safety.term_list_saved").exists()


def test_duplicate_allowed_phrases_and_bad_locales_are_refused(admin) -> None:
    with pytest.raises(InvalidTermList, match="Allowed phrase row 2: Same as row 1"):
        save_term_list("en", [SUICIDE], ["suicide squad", "Suicide  Squad"], by=admin.user)
    with pytest.raises(InvalidTermList, match="language tag"):
        save_term_list("english!", [SUICIDE], [], by=admin.user)
    assert not TermListVersion.objects.exists()


def test_restoring_saves_a_copy_of_the_old_version_as_the_newest(admin) -> None:
    first = save_term_list("en", [SUICIDE], [], by=admin.user)
    save_term_list("en", [THINSPO], [], by=admin.user)
    restored = restore_term_list(first, admin.user)
    assert restored.number == 3
    assert restored.terms == [SUICIDE]
    assert restored.note == "Restored from version 1."
    event = AuditEvent.objects.get(action="safety.term_list_restored")
    assert event.details["restored_from"] == 1
    assert event.details["number"] == 3


def test_shipped_lists_load_once_as_version_1() -> None:
    summary = load_shipped_term_lists()
    assert "en saved as version 1" in summary
    assert "es saved as version 1" in summary
    assert set(TermListVersion.objects.values_list("locale", "number")) == {("en", 1), ("es", 1)}
    again = load_shipped_term_lists()
    assert "en kept" in again
    assert "es kept" in again
    assert TermListVersion.objects.count() == 2
    shipped = AuditEvent.objects.filter(action="safety.term_list_saved", actor_label="system")
    assert shipped.count() == 2


def test_shipped_lists_do_not_overwrite_a_locale_that_has_a_list(admin) -> None:
    save_term_list("en", [SUICIDE], [], by=admin.user)
    load_shipped_term_lists()
    assert TermListVersion.objects.get(locale="en").terms == [SUICIDE]


def test_another_workers_new_version_is_used_within_the_reload_delay(admin) -> None:
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC), tick=False) as clock:
        save_term_list("en", [SUICIDE], [], by=admin.user)
        assert matcher_for("en").check("thinspo").level == "none"  # type: ignore[union-attr]
        # Another worker saves a version: written straight to the table, this process's
        # cache is not told.
        TermListVersion.objects.create(locale="en", number=2, terms=[SUICIDE, THINSPO])
        clock.shift(matchers.RELOAD_SECONDS - 1)
        assert matcher_for("en").check("thinspo").level == "none"  # type: ignore[union-attr]
        clock.shift(2)
        assert matcher_for("en").check("thinspo").level == "banner"  # type: ignore[union-attr]


def test_the_saving_worker_uses_its_new_version_at_once(
    admin, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        save_term_list("en", [SUICIDE], [], by=admin.user)
        assert matcher_for("en").check("thinspo").level == "none"  # type: ignore[union-attr]
        with django_capture_on_commit_callbacks(execute=True):
            save_term_list("en", [SUICIDE, THINSPO], [], by=admin.user)
        assert matcher_for("en").check("thinspo").level == "banner"  # type: ignore[union-attr]


def test_a_locale_without_a_list_has_no_matcher() -> None:
    assert matcher_for("fr") is None
