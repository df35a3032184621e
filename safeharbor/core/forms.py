from __future__ import annotations

import re

from django import forms
from django.core.validators import URLValidator
from django.db.models import Q, QuerySet

from safeharbor.core.models import AuditEvent, DeliveryState

_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


class AuditFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Actor, target or action contains…",
    )
    action = forms.CharField(label="Action", required=False, max_length=100)
    actor = forms.CharField(label="Actor", required=False, max_length=200)
    target_type = forms.CharField(label="Target type", required=False, max_length=100)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        if data.get("q"):
            term = data["q"]
            events = events.filter(
                Q(actor_label__icontains=term)
                | Q(target_label__icontains=term)
                | Q(action__icontains=term)
            )
        if data.get("action"):
            events = events.filter(action__startswith=data["action"])
        if data.get("actor"):
            events = events.filter(actor_label__iexact=data["actor"])
        if data.get("target_type"):
            events = events.filter(target_type=data["target_type"])
        if data.get("since"):
            events = events.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(created_at__date__lte=data["until"])
        return events


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    url = forms.URLField(
        label="Address",
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="The platform's receiver, e.g. https://platform.example/hooks/safeharbor.",
    )
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)
    event_types = forms.CharField(
        label="Event types",
        required=False,
        max_length=2000,
        help_text="Separated by commas, e.g. moderation.decision, moderation.appeal_decided. "
        "Empty: every event.",
    )
    rotate_secret = forms.BooleanField(
        label="Replace the signing secret",
        required=False,
        help_text="The receiver must be given the new secret; the old one stops working at once.",
    )

    def clean_event_types(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["event_types"].split(",")]
        names = [name for name in names if name]
        bad = [name for name in names if not _EVENT_TYPE.fullmatch(name)]
        if bad:
            raise forms.ValidationError(
                "Event types are lower-case words joined by dots, such as moderation.decision: "
                + ", ".join(bad)
            )
        return sorted(set(names))


class WebhookDeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "All"), *DeliveryState.choices],
    )
