"""Output schemas of the directory API, shared with the intervention API.

They are plain pydantic models rather than ninja ``Schema``: ninja's Schema reads every field
through a Django-aware getter, which made a 100-entry answer spend most of its time there.

Build an answer with ``helpline_out(organization, moment, language)``: it resolves each contact's
opening state at ``moment`` once, so every card in one answer agrees on the time.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from safeharbor.safety.models import ContactMethod, EmergencyNumber, Organization


class OpeningIntervalOut(BaseModel):
    days: list[int] = Field(description="Days of the week, Monday = 0.")
    open: str = Field(description="Local opening time, HH:MM.")
    close: str = Field(
        description="Local closing time, HH:MM; at or before 'open' it runs past midnight."
    )


class ContactOut(BaseModel):
    kind: str = Field(description="phone, sms, chat, web-form, email or whatsapp.")
    value: str = Field(
        description="What to dial (E.164 or a short code such as 988), or a URL or address."
    )
    display: str = Field(description="How people know it, e.g. '1-866-488-7386' or '988'.")
    href: str = Field(description="A link that starts the contact: tel:, sms:, mailto: or https:.")
    sms_keyword: str = Field("", description="The word to text, e.g. HOME.")
    label: str = Field("", description="A short label in the requested language, if any.")
    always_open: bool
    timezone: str = Field("", description="IANA time zone of 'hours'.")
    hours: list[OpeningIntervalOut]
    open_now: bool | None = Field(description="null when the opening hours are not known.")
    languages: list[str] = Field(description="BCP-47 tags; empty means the organisation's.")


class HelplineOut(BaseModel):
    slug: str
    name: str
    kind: str = Field(description="helpline, reporting-hotline, safety-partner or resource.")
    summary: str = Field(description="In the requested language, English when missing.")
    website: str
    country: str = Field(description="ISO 3166-1 alpha-2; empty for an international service.")
    subdivision: str
    topics: list[str]
    populations: list[str]
    languages: list[str]
    priority: bool
    pairing_group: str
    cost: str
    anonymity: str
    open_now: bool | None = Field(
        description="true if any contact is open, false if all known hours are closed, null "
        "when no contact's hours are known."
    )
    contacts: list[ContactOut]
    sources: list[str] = Field(description="Addresses the facts were checked against.")
    verified_on: dt.date


class EmergencyNumbersOut(BaseModel):
    country: str
    general: str = Field(description="One number for every service (112, 911), if any.")
    police: str
    ambulance: str
    fire: str
    sources: list[str]
    verified_on: dt.date


def _label(labels: dict[str, str], language: str) -> str:
    base = language.split("-")[0].lower()
    return str(labels.get(language) or labels.get(base) or labels.get("en", ""))


def contact_out(contact: ContactMethod, moment: dt.datetime, language: str = "en") -> ContactOut:
    return ContactOut(
        kind=contact.kind,
        value=contact.value,
        display=contact.shown_as,
        href=contact.href,
        sms_keyword=contact.sms_keyword,
        label=_label(contact.label or {}, language),
        always_open=contact.always_open,
        timezone=contact.timezone,
        hours=[OpeningIntervalOut(**interval) for interval in contact.hours],
        open_now=contact.is_open_at(moment),
        languages=list(contact.languages),
    )


def _any_open(states: list[bool | None]) -> bool | None:
    if any(state is True for state in states):
        return True
    if any(state is False for state in states):
        return False
    return None


def helpline_out(
    organization: Organization, moment: dt.datetime, language: str = "en"
) -> HelplineOut:
    """One organisation as the API shows it; prefetch ``contacts`` to avoid a query each."""
    contacts = [contact_out(c, moment, language) for c in organization.contacts.all()]
    return HelplineOut(
        slug=organization.slug,
        name=organization.name,
        kind=organization.kind,
        summary=organization.summary_in(language),
        website=organization.website,
        country=organization.country,
        subdivision=organization.subdivision,
        topics=list(organization.topics),
        populations=list(organization.populations),
        languages=list(organization.languages),
        priority=organization.priority,
        pairing_group=organization.pairing_group,
        cost=organization.cost,
        anonymity=organization.anonymity,
        open_now=_any_open([c.open_now for c in contacts]),
        contacts=contacts,
        sources=list(organization.sources),
        verified_on=organization.verified_on,
    )


def emergency_numbers_out(numbers: EmergencyNumber) -> EmergencyNumbersOut:
    return EmergencyNumbersOut(
        country=numbers.country,
        general=numbers.general,
        police=numbers.police,
        ambulance=numbers.ambulance,
        fire=numbers.fire,
        sources=list(numbers.sources),
        verified_on=numbers.verified_on,
    )
