from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from safeharbor.moderation import dsa
from safeharbor.moderation.models import (
    ACTIVE_STATES,
    AppealOutcome,
    Case,
    ContentType,
    Decision,
    DecisionAction,
    ModerationSettings,
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
    reporter_email = forms.EmailField(
        label="Your email address (optional)",
        required=False,
        help_text="Only to tell you what we decided. Leave it empty to stay anonymous.",
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
            reporter_email=self.cleaned_data["reporter_email"],
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


_YES_NO_UNKNOWN = [("", "Not stated"), ("yes", "Yes"), ("no", "No")]


class DecisionForm(forms.Form):
    """A decision with its statement of reasons. Field rules live in ``Decision.clean`` (shared
    with every other way of deciding); this form only shapes the input."""

    action = forms.ChoiceField(
        label="Decision", choices=DecisionAction.choices, widget=forms.RadioSelect
    )
    policy = forms.ModelChoiceField(
        label="Policy cited",
        queryset=PolicyCategory.objects.none(),
        to_field_name="slug",
        empty_label=None,
    )
    decision_ground = forms.ChoiceField(
        label="Ground",
        required=False,
        choices=[("", "—"), *dsa.DecisionGround.choices],
        help_text="Needed for every restriction.",
    )
    incompatible_content_ground = forms.CharField(
        label="Terms of service clause", required=False, max_length=500
    )
    incompatible_content_explanation = forms.CharField(
        label="Why the content is incompatible with it",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    incompatible_content_illegal = forms.ChoiceField(
        label="Is the content also illegal?", required=False, choices=_YES_NO_UNKNOWN
    )
    illegal_content_legal_ground = forms.CharField(
        label="Legal ground (the law)", required=False, max_length=500
    )
    illegal_content_explanation = forms.CharField(
        label="Why the content is illegal under it",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    decision_facts = forms.CharField(
        label="Facts and circumstances",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you saw and relied on; it is sent to the content owner.",
    )
    decision_visibility = forms.MultipleChoiceField(
        label="Restriction of visibility",
        required=False,
        choices=dsa.DecisionVisibility.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Left empty, the action's usual restriction applies.",
    )
    decision_visibility_other = forms.CharField(
        label="Other visibility restriction", required=False, max_length=500
    )
    decision_account = forms.ChoiceField(
        label="Restriction of the account",
        required=False,
        choices=[("", "—"), *dsa.DecisionAccount.choices],
    )
    decision_monetary = forms.ChoiceField(
        label="Monetary restriction",
        required=False,
        choices=[("", "—"), *dsa.DecisionMonetary.choices],
    )
    decision_monetary_other = forms.CharField(
        label="Other monetary restriction", required=False, max_length=500
    )
    decision_provision = forms.ChoiceField(
        label="Restriction of the service",
        required=False,
        choices=[("", "—"), *dsa.DecisionProvision.choices],
    )
    end_date = forms.DateTimeField(
        label="Restriction ends (optional)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    territorial_scope = forms.MultipleChoiceField(
        label="Territorial scope",
        required=False,
        choices=[(code, code) for code in dsa.EEA_COUNTRIES],
        initial=list(dsa.EEA_COUNTRIES),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "countries"}),
    )
    automated_detection = forms.BooleanField(
        label="The content was detected by automated means", required=False
    )
    automated_decision = forms.ChoiceField(
        label="Automation of the decision",
        required=False,
        choices=dsa.AutomatedDecision.choices,
        initial=dsa.AutomatedDecision.NOT_AUTOMATED,
    )

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        if case is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "policy": case.category.slug,
                "automated_detection": case.reports.filter(
                    source__in=[ReportSource.AUTOMATED, ReportSource.HASH_MATCH]
                ).exists(),
            }
        super().__init__(*args, **kwargs)
        field = self.fields["policy"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PolicyCategory.objects.filter(active=True)
        field.label_from_instance = lambda category: category.name  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or data.get("action") == DecisionAction.ESCALATE:
            return data
        try:
            self.decision().clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return data

    def decision(self) -> Decision:
        """An unsaved decision from the cleaned data (the service completes and saves it)."""
        data = self.cleaned_data
        illegal = data.get("incompatible_content_illegal")
        decision = Decision(
            action=data["action"],
            policy=data["policy"],
            decision_ground=data.get("decision_ground", ""),
            illegal_content_legal_ground=data.get("illegal_content_legal_ground", ""),
            illegal_content_explanation=data.get("illegal_content_explanation", ""),
            incompatible_content_ground=data.get("incompatible_content_ground", ""),
            incompatible_content_explanation=data.get("incompatible_content_explanation", ""),
            incompatible_content_illegal=None if not illegal else illegal == "yes",
            decision_facts=data.get("decision_facts", ""),
            decision_visibility=list(data.get("decision_visibility") or []),
            decision_visibility_other=data.get("decision_visibility_other", ""),
            decision_account=data.get("decision_account", ""),
            decision_monetary=data.get("decision_monetary", ""),
            decision_monetary_other=data.get("decision_monetary_other", ""),
            decision_provision=data.get("decision_provision", ""),
            end_date=data.get("end_date"),
            territorial_scope=list(data.get("territorial_scope") or []),
            automated_detection=bool(data.get("automated_detection")),
            automated_decision=(
                data.get("automated_decision") or dsa.AutomatedDecision.NOT_AUTOMATED
            ),
        )
        decision.normalize()
        return decision


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome of the appeal", choices=AppealOutcome.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label="Reasons",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent to the content owner; for a reversal, also the new statement's facts.",
    )


class ModerationSettingsForm(forms.ModelForm):
    class Meta:
        model = ModerationSettings
        fields = [
            "appeal_window_days",
            "daily_item_cap",
            "daily_reveal_cap",
            "break_after_items",
            "break_after_minutes",
        ]


class FiguresPeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        return data
