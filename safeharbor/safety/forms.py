"""Forms of the directory's staff pages: filters, editing an entry, retiring it, importing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safeharbor.safety import directory_io
from safeharbor.safety.models import Organization, Population, Topic


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    country = forms.CharField(
        label=_("Country"), required=False, max_length=2, help_text=_("ISO code, e.g. US")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Organization.Kind.choices]
    )
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("Any")), *Topic.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *Organization.Status.choices],
    )
    stale = forms.BooleanField(label=_("Stale only"), required=False)

    def clean_country(self) -> str:
        value = self.cleaned_data.get("country", "")
        try:
            return directory_io.clean_country(value, allow_blank=True)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


def _list_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=500, help_text=help_text)


class OrganizationForm(forms.Form):
    """An entry's own fields. Contacts change through import (see docs/safety-center.md)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organization.Kind.choices)
    website = forms.URLField(
        label=_("Website"), required=False, max_length=500, assume_scheme="https"
    )
    country = forms.CharField(
        label=_("Country"), required=False, max_length=2, help_text=_("ISO 3166-1 alpha-2")
    )
    subdivision = forms.CharField(
        label=_("Subdivision"), required=False, max_length=6, help_text=_("ISO 3166-2, e.g. US-CA")
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        required=False,
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    populations = forms.MultipleChoiceField(
        label=_("Populations"),
        required=False,
        choices=Population.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = _list_field(_("Languages"), _("BCP-47 tags separated by spaces, e.g. en es-MX"))
    priority = forms.BooleanField(label=_("Priority service"), required=False)
    pairing_group = forms.SlugField(label=_("Pairing group"), required=False, max_length=80)
    cost = forms.ChoiceField(label=_("Cost"), choices=Organization.Cost.choices)
    anonymity = forms.ChoiceField(label=_("Anonymity"), choices=Organization.Anonymity.choices)
    notes = forms.CharField(label=_("Internal notes"), required=False, widget=forms.Textarea)
    verified_today = forms.BooleanField(
        label=_("I verified these facts today"),
        required=False,
        help_text=_("Moves the verified date to today. Give the address you checked."),
    )
    verified_source = forms.URLField(
        label=_("Address checked"), required=False, max_length=500, assume_scheme="https"
    )

    @classmethod
    def initial_for(cls, organization: Organization) -> dict[str, Any]:
        return {
            "name": organization.name,
            "kind": organization.kind,
            "website": organization.website,
            "country": organization.country,
            "subdivision": organization.subdivision,
            "topics": organization.topics,
            "populations": organization.populations,
            "languages": " ".join(organization.languages),
            "priority": organization.priority,
            "pairing_group": organization.pairing_group,
            "cost": organization.cost,
            "anonymity": organization.anonymity,
            "notes": organization.notes,
        }

    def _run(self, name: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ValueError as error:
            self.add_error(name, str(error))
            return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country = self._run(
            "country", directory_io.clean_country, data.get("country", ""), allow_blank=True
        )
        data["country"] = country or ""
        if country is not None:
            data["subdivision"] = (
                self._run(
                    "subdivision",
                    directory_io.clean_subdivision,
                    data.get("subdivision", ""),
                    country,
                )
                or ""
            )
        tags = (data.get("languages") or "").replace(",", " ").split()
        data["languages"] = [self._run("languages", directory_io.clean_language, t) for t in tags]
        if data.get("website"):
            self._run("website", directory_io.clean_https_url, data["website"])
        if data.get("verified_today"):
            if not data.get("verified_source"):
                self.add_error("verified_source", _("Give the address you checked today."))
            else:
                self._run("verified_source", directory_io.clean_https_url, data["verified_source"])
        elif data.get("verified_source"):
            self.add_error(
                "verified_today", _("Tick this box to record that you verified the facts today.")
            )
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name not in {
            "verified_today", "verified_source"}}  # fmt: skip


class RetireForm(forms.Form):
    replaced_by = forms.ModelChoiceField(
        label=_("Replaced by"),
        required=False,
        queryset=Organization.objects.none(),
        to_field_name="slug",
        help_text=_("Leave empty to retire the entry without a replacement."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["replaced_by"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organization.objects.filter(status=Organization.Status.ACTIVE).exclude(
            pk=organization.pk
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Directory file"), help_text=_("JSON or CSV in the export's format, up to 5 MB.")
    )
    skip_bad = forms.BooleanField(
        label=_("Import the good entries and skip the bad ones"), required=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > directory_io.MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith((".json", ".csv")):
            raise forms.ValidationError(_("Upload a .json or .csv file."))
        return upload
