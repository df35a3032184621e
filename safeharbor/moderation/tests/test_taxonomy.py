from __future__ import annotations

import pytest

from safeharbor.core.models import AuditEvent
from safeharbor.moderation import dsa
from safeharbor.moderation.models import PolicyCategory, Queue
from safeharbor.moderation.reference import load_reference_data

pytestmark = pytest.mark.django_db


def test_the_fourteen_categories_load_once_and_keep_administrators_changes(db) -> None:
    load_reference_data()
    assert PolicyCategory.objects.count() == 14
    PolicyCategory.objects.filter(slug="spam").update(sla_hours=200, name="Junk")
    load_reference_data()
    assert PolicyCategory.objects.count() == 14
    assert PolicyCategory.objects.filter(slug="spam", sla_hours=200, name="Junk").exists()
    assert Queue.objects.filter(slug="general").count() == 1


def test_child_safety_categories_need_the_child_safety_role(taxonomy) -> None:
    restricted = set(
        PolicyCategory.objects.filter(required_role="child-safety").values_list("slug", flat=True)
    )
    assert restricted == {"child-sexual-abuse-material", "child-sexual-exploitation", "sextortion"}


def test_every_category_maps_to_a_published_dsa_category(taxonomy) -> None:
    for category in PolicyCategory.objects.all():
        assert category.dsa_category in dsa.StatementCategory.values
        assert category.dsa_keyword in ("", *dsa.Keyword.values)
    csam = PolicyCategory.objects.get(slug="child-sexual-abuse-material")
    assert csam.dsa_category == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert csam.dsa_keyword == "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"
    assert (csam.severity_tier, csam.sla_hours) == (1, 1)


def test_an_administrator_edits_a_category_and_it_is_audited(taxonomy, cast) -> None:
    url = "/moderation/categories/spam/"
    page = cast["admin"].client.get(url).content.decode()
    assert 'name="sla_hours"' in page
    spam = PolicyCategory.objects.get(slug="spam")
    response = cast["admin"].client.post(
        url,
        {
            "name": "Spam", "description": spam.description, "severity_tier": 4,
            "required_role": "", "dsa_category": spam.dsa_category, "dsa_keyword": "",
            "sla_hours": 48, "active": "on", "position": spam.position,
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert PolicyCategory.objects.get(slug="spam").sla_hours == 48
    event = AuditEvent.objects.get(action="moderation.category_changed")
    assert event.actor_label == "admin"
    assert event.details["changed"] == {"sla_hours": [72, 48]}


def test_an_invalid_edit_is_refused_and_changes_nothing(taxonomy, cast) -> None:
    response = cast["admin"].client.post(
        "/moderation/categories/spam/", {"name": "", "severity_tier": 9, "sla_hours": 0}
    )
    assert response.status_code == 400
    assert PolicyCategory.objects.get(slug="spam").name == "Spam"
    assert not AuditEvent.objects.filter(action="moderation.category_changed").exists()
