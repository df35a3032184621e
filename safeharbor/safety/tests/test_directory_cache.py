"""Each process caches a country's helplines and reloads them as soon as the directory changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeharbor.safety.models import ContactMethod, Organization
from safeharbor.safety.services import find_helplines, retire_organization, update_organization

pytestmark = pytest.mark.django_db


def _helpline(slug: str, name: str) -> Organization:
    organization = Organization.objects.create(
        slug=slug,
        name=name,
        kind=Organization.Kind.HELPLINE,
        country="US",
        topics=["suicide-crisis"],
        sources=["https://example.org/"],
        verified_on=dt.date(2026, 11, 1),
    )
    ContactMethod.objects.create(organization=organization, kind="phone", value="988")
    return organization


def test_a_second_lookup_reads_only_the_stamp(admin) -> None:
    _helpline("line-a", "Line A")
    assert [o.slug for o in find_helplines("US")] == ["line-a"]
    with CaptureQueriesContext(connection) as queries:
        assert [o.slug for o in find_helplines("US")] == ["line-a"]
    assert len(queries) == 1


def test_edits_retirements_additions_and_deletions_show_at_once(admin) -> None:
    first = _helpline("line-a", "Line A")
    assert [o.name for o in find_helplines("US")] == ["Line A"]
    update_organization(first, {"name": "Line A (renamed)"}, actor=admin.user)
    assert [o.name for o in find_helplines("US")] == ["Line A (renamed)"]
    second = _helpline("line-b", "Line B")
    assert [o.slug for o in find_helplines("US")] == ["line-a", "line-b"]
    retire_organization(first, actor=admin.user)
    assert [o.slug for o in find_helplines("US")] == ["line-b"]
    second.delete()
    assert find_helplines("US") == []
