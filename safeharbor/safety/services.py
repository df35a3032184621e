"""The directory's queries and changes: helplines and partners by country, topic and language."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from safeharbor.safety.models import ContactMethod, EmergencyNumber, Organization, Topic


def _active() -> QuerySet[Organization]:
    return Organization.objects.filter(status=Organization.Status.ACTIVE).prefetch_related(
        Prefetch("contacts", queryset=ContactMethod.objects.order_by("order", "id"))
    )


def _speaks(organization: Organization, language: str) -> bool:
    wanted = language.split("-")[0].lower()
    return any(tag.split("-")[0].lower() == wanted for tag in organization.languages)


def _is_open(organization: Organization, moment: dt.datetime) -> bool:
    return any(contact.is_open_at(moment) for contact in organization.contacts.all())


def find_helplines(
    country: str,
    *,
    topic: str | None = None,
    language: str | None = None,
    open_now: bool = False,
    at: dt.datetime | None = None,
) -> list[Organization]:
    """Active helplines for a country (and international ones), priority services first.

    Organisations in a pairing group are all shown or none is: if a filter drops one member of a
    group, the whole group is dropped.
    """
    moment = at or timezone.now()
    candidates = list(
        _active().filter(kind=Organization.Kind.HELPLINE, country__in=[country.upper(), ""])
    )

    def keep(organization: Organization) -> bool:
        if topic and topic not in organization.topics:
            return False
        if language and not _speaks(organization, language):
            return False
        return not (open_now and not _is_open(organization, moment))

    kept = [organization for organization in candidates if keep(organization)]
    dropped_groups = {o.pairing_group for o in candidates if o.pairing_group and o not in kept}
    kept = [o for o in kept if not (o.pairing_group and o.pairing_group in dropped_groups)]
    # National services before international ones, priority first, then by name.
    kept.sort(key=lambda o: (o.country == "", not o.priority, o.name.casefold()))
    return kept


def list_partners(country: str | None = None) -> list[Organization]:
    """Safety partners, reporting hotlines and resource networks, for a country or all."""
    queryset = _active().exclude(kind=Organization.Kind.HELPLINE)
    if country:
        queryset = queryset.filter(country__in=[country.upper(), ""])
    return sorted(queryset, key=lambda o: (o.country == "", o.kind, o.name.casefold()))


def csam_reporting_for(country: str) -> list[Organization]:
    """Where to report child sexual abuse material from a country: its hotline(s) first."""
    hotlines = [
        o
        for o in _active().filter(country__in=[country.upper(), ""])
        if Topic.CSAM_REPORTING in o.topics
    ]
    return sorted(hotlines, key=lambda o: (o.country == "", not o.priority, o.name.casefold()))


def emergency_numbers_for(country: str) -> EmergencyNumber | None:
    return EmergencyNumber.objects.filter(country=country.upper()).first()


def load_shipped_directory() -> str:
    """Load safeharbor/safety/data/directory.json: add missing entries, never overwrite edits."""
    return "no directory shipped yet"
