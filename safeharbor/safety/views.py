"""The public Safety Center: help by country, partners, reporting child sexual abuse material, and
safety and account-security tips. No sign-in; every page works without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safeharbor.safety.country import (
    CountryChoice,
    Source,
    choose_country,
    countries_with_entries,
    country_name,
    normalize_country,
    remember_country,
)
from safeharbor.safety.models import ContactMethod, Organization, Topic
from safeharbor.safety.services import (
    csam_reporting_for,
    emergency_numbers_for,
    find_helplines,
    list_partners,
)


class PlaceForm(forms.Form):
    """The country selector, a plain GET form. Any ISO 3166-1 country is accepted (it then sees
    international resources); the list offers the countries the directory has entries for."""

    country = forms.CharField(
        label=gettext_lazy("Country"),
        required=False,
        widget=forms.Select,
        help_text=gettext_lazy(
            "Not in the list? Choose “Another country” to see international resources."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", _("Another country"))]
        choices += countries_with_entries()
        chosen = normalize_country(str(self.data.get("country", "")))
        if chosen and chosen not in {code for code, _name in choices}:
            choices.append((chosen, country_name(chosen)))
        self.fields["country"].widget.choices = choices

    def clean_country(self) -> str:
        value = self.cleaned_data["country"]
        if not value:
            return ""
        code = normalize_country(value)
        if code is None:
            raise forms.ValidationError(
                _("“%(value)s” is not a country code we know. Choose a country from the list."),
                params={"value": value[:20]},
                code="unknown_country",
            )
        return code


class HelpForm(PlaceForm):
    topic = forms.ChoiceField(
        label=gettext_lazy("Topic"),
        required=False,
        choices=[("", gettext_lazy("All topics")), *Topic.choices],
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a topic we know. Choose a topic from the list."
            )
        },
    )


def _place(request: HttpRequest, form_class: type[PlaceForm]) -> tuple[PlaceForm, CountryChoice]:
    """Bind the selector and choose the country. A bad value in the selector is shown as an
    error while the page still shows help for the country chosen otherwise."""
    fallback = choose_country(request, None)
    data = request.GET.copy()
    explicit = "country" in data
    if not explicit:
        data["country"] = fallback.code
    form = form_class(data)
    form.is_valid()
    if explicit and "country" not in form.errors:
        return form, choose_country(request, form.cleaned_data["country"])
    return form, fallback


def _respond(
    request: HttpRequest, template: str, context: dict[str, Any], choice: CountryChoice, form: Any
) -> HttpResponse:
    response = render(request, template, context, status=400 if form.errors else 200)
    remember_country(request, response, choice)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


# --- presentation of directory entries -------------------------------------------------------


@dataclass
class ContactView:
    text: str
    href: str
    kind: str
    status: str  # "always", "open", "closed" or "unknown": a CSS hook
    status_label: str
    hours: list[str] = field(default_factory=list)
    timezone: str = ""


@dataclass
class OrganizationCard:
    organization: Organization
    summary: str
    country: str
    languages: list[str]
    contacts: list[ContactView]


def _language_name(tag: str) -> str:
    for candidate in (tag.lower(), tag.split("-")[0].lower()):
        try:
            return str(translation.get_language_info(candidate)["name_translated"])
        except KeyError:
            continue
    return tag


EN_DASH = "\N{EN DASH}"  # for ranges of days and times


def _days(days: list[int]) -> str:
    ordered = sorted(set(days))
    names = [str(WEEKDAYS_ABBR[day]) for day in ordered]
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[0]}{EN_DASH}{names[-1]}"
    return ", ".join(names)


def _contact_text(contact: ContactMethod, language: str) -> str:
    label = contact.label.get(language) or contact.label.get(language.split("-")[0])
    kind = ContactMethod.Kind
    if label:
        return (
            label if contact.kind in (kind.CHAT, kind.WEB_FORM) else f"{label}: {contact.shown_as}"
        )
    if contact.kind == kind.PHONE:
        return _("Call %(number)s") % {"number": contact.shown_as}
    if contact.kind == kind.SMS and contact.sms_keyword:
        return _("Text %(keyword)s to %(number)s") % {
            "keyword": contact.sms_keyword,
            "number": contact.shown_as,
        }
    if contact.kind == kind.SMS:
        return _("Text %(number)s") % {"number": contact.shown_as}
    if contact.kind == kind.CHAT:
        return _("Chat online")
    if contact.kind == kind.WEB_FORM:
        return _("Use the online form")
    if contact.kind == kind.EMAIL:
        return _("Email %(address)s") % {"address": contact.shown_as}
    return _("WhatsApp %(number)s") % {"number": contact.shown_as}


def _contact_view(contact: ContactMethod, language: str) -> ContactView:
    if contact.always_open:
        status, status_label = "always", _("Open 24/7")
    else:
        is_open = contact.is_open_now()
        if is_open is None:
            status, status_label = "unknown", _("Hours not listed")
        elif is_open:
            status, status_label = "open", _("Open now")
        else:
            status, status_label = "closed", _("Closed now")
    hours = []
    if not contact.always_open and contact.hours_known:
        hours = [
            f"{_days(interval['days'])} {interval['open']}{EN_DASH}{interval['close']}"
            for interval in contact.hours
        ]
    return ContactView(
        text=_contact_text(contact, language),
        href=contact.href,
        kind=contact.get_kind_display(),
        status=status,
        status_label=status_label,
        hours=hours,
        timezone=contact.timezone if hours else "",
    )


def _cards(organizations: list[Organization]) -> list[OrganizationCard]:
    language = translation.get_language() or "en"
    return [
        OrganizationCard(
            organization=organization,
            summary=organization.summary_in(language),
            country=country_name(organization.country) if organization.country else "",
            languages=[_language_name(tag) for tag in organization.languages],
            contacts=[_contact_view(c, language) for c in organization.contacts.all()],
        )
        for organization in organizations
    ]


# --- pages ------------------------------------------------------------------------------------


def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "safety/public/home.html")


def help_view(request: HttpRequest) -> HttpResponse:
    form, choice = _place(request, HelpForm)
    topic = form.cleaned_data.get("topic") or None
    helplines = find_helplines(choice.code, topic=topic)
    shown = {organization.pk for organization in helplines}
    international = [
        organization
        for organization in list_partners()
        if not organization.country
        and organization.kind == Organization.Kind.RESOURCE
        and organization.pk not in shown
    ]
    context = {
        "form": form,
        "country": choice.code,
        "country_name": country_name(choice.code) if choice.code else "",
        "guessed": choice.source == Source.ACCEPT_LANGUAGE,
        "topic_label": Topic(topic).label if topic else "",
        "emergency": emergency_numbers_for(choice.code) if choice.code else None,
        "helplines": _cards(helplines),
        "international": _cards(international),
    }
    return _respond(request, "safety/public/help.html", context, choice, form)


# The partners page's sections, in this order.
PARTNER_GROUPS = [
    (Organization.Kind.SAFETY_PARTNER, gettext_lazy("Safety partners")),
    (Organization.Kind.REPORTING_HOTLINE, gettext_lazy("Reporting hotlines")),
    (Organization.Kind.RESOURCE, gettext_lazy("Resource networks and directories")),
]


def partners_view(request: HttpRequest) -> HttpResponse:
    form, choice = _place(request, PlaceForm)
    cards = _cards(list_partners(choice.code or None))
    groups = [
        {
            "kind": kind,
            "heading": heading,
            "cards": [c for c in cards if c.organization.kind == kind],
        }
        for kind, heading in PARTNER_GROUPS
    ]
    context = {
        "form": form,
        "country": choice.code,
        "country_name": country_name(choice.code) if choice.code else "",
        "groups": [group for group in groups if group["cards"]],
    }
    return _respond(request, "safety/public/partners.html", context, choice, form)


def report_csam_view(request: HttpRequest) -> HttpResponse:
    form, choice = _place(request, PlaceForm)
    context = {
        "form": form,
        "country": choice.code,
        "country_name": country_name(choice.code) if choice.code else "",
        "hotlines": _cards(csam_reporting_for(choice.code)),
    }
    return _respond(request, "safety/public/report_csam.html", context, choice, form)


def tips_view(request: HttpRequest) -> HttpResponse:
    return render(request, "safety/public/tips.html")


def account_security_view(request: HttpRequest) -> HttpResponse:
    return render(request, "safety/public/account_security.html")
