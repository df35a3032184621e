from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet

from safeharbor.core.models import AuditEvent


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
