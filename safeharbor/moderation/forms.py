from __future__ import annotations

import hashlib

from django import forms
from django.db.models import QuerySet

from safeharbor.moderation.models import (
    ACTIVE_STATES,
    Case,
    ContentType,
    PolicyCategory,
    ReportChannel,
    ReportSource,
)
from safeharbor.moderation.schemas import MAX_FREE_TEXT
from safeharbor.moderation.services import ReportData


class PublicReportForm(forms.Form):
    """The public report form: anyone may use it, without an account."""

    content_url = forms.URLField(
        label="Address of the content",
        max_length=2000,
        assume_scheme="https",
        help_text="Copy the link of the post, profile, message or video you are reporting.",
    )
    category = forms.ModelChoiceField(
        label="What is wrong with it?",
        queryset=PolicyCategory.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        to_field_name="slug",
    )
    content_type = forms.ChoiceField(
        label="What kind of content is it?", choices=ContentType.choices, initial="other"
    )
    details = forms.CharField(
        label="Anything we should know (optional)",
        required=False,
        max_length=MAX_FREE_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Do not paste or attach images of child sexual abuse: the link is enough.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PolicyCategory.objects.filter(active=True)
        field.label_from_instance = lambda category: category.name  # type: ignore[method-assign,assignment]

    def report_data(self) -> ReportData:
        url = self.cleaned_data["content_url"]
        # The public does not know platform ids: the address identifies the content.
        content_id = "url:" + hashlib.sha256(url.encode()).hexdigest()[:40]
        return ReportData(
            content_id=content_id,
            category=self.cleaned_data["category"].slug,
            content_type=self.cleaned_data["content_type"],
            channel=ReportChannel.WEB_FORM,
            source=ReportSource.USER,
            content_url=url,
            free_text=self.cleaned_data["details"],
        )


class CaseFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "All open"), *[(s.value, s.label) for s in ACTIVE_STATES]],
    )
    category = forms.ModelChoiceField(
        label="Category",
        required=False,
        queryset=PolicyCategory.objects.all(),
        to_field_name="slug",
        empty_label="All",
    )
    overdue = forms.BooleanField(label="Past SLA only", required=False)
    unclaimed = forms.BooleanField(label="Unclaimed only", required=False)

    def filter(self, cases: QuerySet[Case], now: object) -> QuerySet[Case]:
        data = self.cleaned_data
        if data.get("state"):
            cases = cases.filter(state=data["state"])
        if data.get("category"):
            cases = cases.filter(category=data["category"])
        if data.get("overdue"):
            cases = cases.filter(sla_due_at__lt=now)
        if data.get("unclaimed"):
            cases = cases.exclude(claimed_by__isnull=False, lease_expires_at__gt=now)
        return cases


class PolicyCategoryForm(forms.ModelForm):
    class Meta:
        model = PolicyCategory
        fields = [
            "name",
            "description",
            "severity_tier",
            "required_role",
            "dsa_category",
            "dsa_keyword",
            "sla_hours",
            "active",
            "position",
        ]
