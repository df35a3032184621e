"""The directory's queries and changes: helplines and partners by country, topic and language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from safeharbor.core.audit import record_audit
from safeharbor.safety import directory_io
from safeharbor.safety.models import (
    STALE_AFTER,
    ContactMethod,
    EmergencyNumber,
    Organization,
    Topic,
)

SHIPPED_DIRECTORY = Path(__file__).resolve().parent / "data" / "directory.json"


def _active() -> QuerySet[Organization]:
    return Organization.objects.filter(status=Organization.Status.ACTIVE).prefetch_related(
        Prefetch("contacts", queryset=ContactMethod.objects.order_by("order", "id"))
    )


def _speaks(organization: Organization, language: str) -> bool:
    wanted = language.split("-")[0].lower()
    return any(tag.split("-")[0].lower() == wanted for tag in organization.languages)


def _is_open(organization: Organization, moment: dt.datetime) -> bool:
    return any(contact.is_open_at(moment) for contact in organization.contacts.all())


# Each process keeps the active helplines of the countries it was asked about, with the directory's
# stamp when they were read; a request checks the stamp (one aggregate query) and reloads on any
# change. Every change of an organisation or its contacts goes through a save() that moves
# updated_at, an insert or a delete, so the stamp moves with it.
_helplines_by_country: dict[str, tuple[tuple[Any, ...], list[Organization]]] = {}


def _directory_stamp() -> tuple[Any, ...]:
    stamp = Organization.objects.aggregate(Max("updated_at"), Count("id"), Max("id"))
    return tuple(stamp.values())


def forget_cached_directory() -> None:
    _helplines_by_country.clear()


def _helplines_of(country: str) -> list[Organization]:
    stamp = _directory_stamp()
    cached = _helplines_by_country.get(country)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    helplines = list(_active().filter(kind=Organization.Kind.HELPLINE, country__in=[country, ""]))
    _helplines_by_country[country] = (stamp, helplines)
    return helplines


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
    candidates = _helplines_of(country.upper())

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


def _organization_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        key: record[key]
        for key in (
            "name",
            "kind",
            "summary",
            "website",
            "country",
            "subdivision",
            "topics",
            "populations",
            "languages",
            "priority",
            "pairing_group",
            "cost",
            "anonymity",
            "sources",
            "verified_on",
            "status",
            "notes",
        )
    }


def _replace_contacts(organization: Organization, contacts: list[dict[str, Any]]) -> None:
    organization.contacts.all().delete()
    ContactMethod.objects.bulk_create(
        [ContactMethod(organization=organization, **contact) for contact in contacts]
    )


def _link_replacements(records: list[dict[str, Any]]) -> None:
    wanted = {r["slug"]: r["replaced_by"] for r in records if r["replaced_by"]}
    if not wanted:
        return
    by_slug = Organization.objects.in_bulk([*wanted.keys(), *wanted.values()], field_name="slug")
    for slug, target in wanted.items():
        organization = by_slug[slug]
        organization.replaced_by = by_slug[target]
        organization.save(update_fields=["replaced_by"])


def _save_record(record: dict[str, Any]) -> tuple[Organization, bool]:
    fields = _organization_fields(record)
    if fields["status"] == Organization.Status.REPLACED:
        # The replacement is linked once every entry of the file exists.
        fields["status"] = Organization.Status.RETIRED
    organization, created = Organization.objects.update_or_create(
        slug=record["slug"], defaults=fields
    )
    _replace_contacts(organization, record["contacts"])
    return organization, created


def load_shipped_directory() -> str:
    """Load safeharbor/safety/data/directory.json: add missing entries, never overwrite edits.

    Entries (by slug) and emergency numbers (by country) already in the database are left as
    they are, whether staff edited them or not; only missing ones are added.
    """
    parsed = directory_io.parse_json(SHIPPED_DIRECTORY.read_bytes(), "directory.json")
    if parsed.problems:
        raise ValueError(
            "The shipped directory is invalid: " + "; ".join(map(str, parsed.problems))
        )
    with transaction.atomic():
        existing = set(Organization.objects.values_list("slug", flat=True))
        new = [r for r in parsed.organizations if r["slug"] not in existing]
        for record in new:
            _save_record(record)
        _link_replacements([r for r in new if r["status"] == Organization.Status.REPLACED])
        for record in new:
            if record["status"] == Organization.Status.REPLACED:
                Organization.objects.filter(slug=record["slug"]).update(status=record["status"])
        countries = set(EmergencyNumber.objects.values_list("country", flat=True))
        new_numbers = [e for e in parsed.emergency_numbers if e["country"] not in countries]
        EmergencyNumber.objects.bulk_create([EmergencyNumber(**e) for e in new_numbers])
        kept = len(parsed.organizations) - len(new)
        if new or new_numbers:
            record_audit(
                "safety.directory_loaded",
                target_label="shipped directory",
                details={
                    "added": [r["slug"] for r in new],
                    "kept": kept,
                    "emergency_numbers_added": [e["country"] for e in new_numbers],
                },
            )
    return (
        f"directory: {len(new)} entries added, {kept} kept as they were; "
        f"emergency numbers: {len(new_numbers)} added"
    )


@dataclass
class ImportResult:
    file: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    emergency_numbers: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[directory_io.RowProblem] = field(default_factory=list)
    applied: bool = False
    dry_run: bool = False

    @property
    def rejected(self) -> bool:
        return bool(self.problems) and not self.applied and not self.dry_run

    def summary(self) -> str:
        verb = "would be" if self.dry_run or not self.applied else "were"
        return (
            f"{self.file}: {len(self.created)} entries {verb} created, {len(self.updated)} "
            f"updated, {len(self.emergency_numbers)} emergency-number rows {verb} saved, "
            f"{len(self.skipped)} skipped, {len(self.problems)} problem(s)"
        )


def import_directory(
    parsed: directory_io.ParsedDirectory,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    skip_bad: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Apply a checked directory file in one transaction: update entries by slug, create new ones.

    With problems and without ``skip_bad`` nothing is written; with ``skip_bad`` entries that have
    a problem are left out whole and the rest is applied. ``dry_run`` writes nothing. One audit
    row records the counts.
    """
    result = ImportResult(file=parsed.file, problems=list(parsed.problems), dry_run=dry_run)
    good = parsed.good_organizations
    result.skipped = sorted(parsed.bad_slugs | parsed.bad_countries)
    existing = set(
        Organization.objects.filter(slug__in=[r["slug"] for r in good]).values_list(
            "slug", flat=True
        )
    )
    result.created = [r["slug"] for r in good if r["slug"] not in existing]
    result.updated = [r["slug"] for r in good if r["slug"] in existing]
    result.emergency_numbers = [e["country"] for e in parsed.good_emergency_numbers]
    if dry_run or (parsed.problems and not skip_bad):
        return result
    with transaction.atomic():
        for record in good:
            _save_record(record)
        _link_replacements(good)
        for record in good:
            if record["status"] == Organization.Status.REPLACED:
                Organization.objects.filter(slug=record["slug"]).update(status=record["status"])
        for emergency in parsed.good_emergency_numbers:
            values = {k: v for k, v in emergency.items() if k != "country"}
            EmergencyNumber.objects.update_or_create(country=emergency["country"], defaults=values)
        record_audit(
            "safety.directory_imported",
            request=request,
            actor=actor,
            target_label=parsed.file,
            details={
                "file": parsed.file,
                "created": len(result.created),
                "updated": len(result.updated),
                "emergency_numbers": len(result.emergency_numbers),
                "skipped": result.skipped,
                "problems": len(result.problems),
            },
        )
    result.applied = True
    return result


EDITABLE_FIELDS = (
    "name",
    "kind",
    "website",
    "country",
    "subdivision",
    "topics",
    "populations",
    "languages",
    "priority",
    "pairing_group",
    "cost",
    "anonymity",
    "notes",
)


def update_organization(
    organization: Organization,
    changes: dict[str, Any],
    *,
    actor: Any,
    request: HttpRequest | None = None,
    verified_source: str = "",
) -> Organization:
    """Save an edited entry. The verified date moves to today only when the editor states they
    verified the facts today, with the address they checked (added to the sources)."""
    with transaction.atomic():
        before = {name: getattr(organization, name) for name in changes}
        for name, value in changes.items():
            setattr(organization, name, value)
        changed = sorted(name for name in changes if before[name] != changes[name])
        if verified_source:
            organization.verified_on = timezone.localdate()
            if verified_source not in organization.sources:
                organization.sources = [*organization.sources, verified_source]
        organization.save()
        record_audit(
            "safety.organization_updated",
            request=request,
            actor=actor,
            target=organization,
            details={
                "changed": changed,
                "verified_on": organization.verified_on.isoformat() if verified_source else None,
                "verified_source": verified_source or None,
            },
        )
    return organization


def retire_organization(
    organization: Organization,
    *,
    actor: Any,
    replaced_by: Organization | None = None,
    request: HttpRequest | None = None,
) -> Organization:
    """Stop showing an entry: retired, or replaced by another active entry."""
    with transaction.atomic():
        organization.status = (
            Organization.Status.REPLACED if replaced_by else Organization.Status.RETIRED
        )
        organization.replaced_by = replaced_by
        organization.save(update_fields=["status", "replaced_by", "updated_at"])
        record_audit(
            "safety.organization_replaced" if replaced_by else "safety.organization_retired",
            request=request,
            actor=actor,
            target=organization,
            details={"replaced_by": replaced_by.slug if replaced_by else None},
        )
    return organization


def stale_organizations(
    days: int | None = None, today: dt.date | None = None
) -> QuerySet[Organization]:
    """Active entries whose facts were last verified more than ``days`` (365) days ago."""
    today = today or timezone.localdate()
    window = dt.timedelta(days=days) if days is not None else STALE_AFTER
    return Organization.objects.filter(
        status=Organization.Status.ACTIVE, verified_on__lt=today - window
    ).order_by("verified_on", "slug")


def search_directory(
    *,
    text: str = "",
    country: str = "",
    kind: str = "",
    topic: str = "",
    status: str = "",
    stale_only: bool = False,
) -> QuerySet[Organization]:
    """The staff list's filters. Topic filtering runs in Python-free SQL on both databases by
    matching the JSON text, since JSON containment is not portable to SQLite."""
    queryset = Organization.objects.all().order_by("country", "-priority", "name")
    if text:
        queryset = queryset.filter(
            Q(name__icontains=text) | Q(slug__icontains=text) | Q(notes__icontains=text)
        )
    if country:
        queryset = queryset.filter(country=country.upper())
    if kind:
        queryset = queryset.filter(kind=kind)
    if topic:
        queryset = queryset.filter(topics__icontains=f'"{topic}"')
    if status:
        queryset = queryset.filter(status=status)
    if stale_only:
        queryset = queryset.filter(verified_on__lt=timezone.localdate() - STALE_AFTER)
    return queryset
