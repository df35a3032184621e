"""Forms of the disclosure program. They validate; services decide and change state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from safeharbor.accounts.models import User
from safeharbor.disclosure.attachments import (
    ALLOWED_DESCRIPTION,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS_PER_REPORT,
)
from safeharbor.disclosure.models import (
    MAX_MARKDOWN_CHARS,
    Asset,
    AssetTier,
    BountyKind,
    DisclosureKind,
    PayoutStatus,
    Program,
    ReportState,
    ResearcherProfile,
    Severity,
    Weakness,
    cve_id_validator,
)
from safeharbor.disclosure.services import (
    PROGRAM_FIELDS,
    SECURITY_TXT_MAX_AHEAD,
    ReportInput,
    Upload,
)
from safeharbor.disclosure.severity import ScoredSeverity, SeverityError, resolve_severity

MARKDOWN_HELP = "Markdown. Links are kept; images and HTML are not rendered."


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS_PER_REPORT:
            raise forms.ValidationError(
                f"Attach at most {MAX_ATTACHMENTS_PER_REPORT} files to one report."
            )
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def uploads_of(files: list[Any]) -> list[Upload]:
    return [Upload(name=f.name or "attachment", size=f.size or 0, stream=f) for f in files]


class SeverityFields(forms.Form):
    cvss_vector = forms.CharField(
        label="CVSS vector",
        required=False,
        max_length=200,
        help_text="A CVSS 3.1 or 4.0 base vector, e.g. "
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H. It decides the rating when given.",
    )
    severity = forms.ChoiceField(
        label="Severity rating",
        required=False,
        choices=[("", "Not rated"), *Severity.choices],
        help_text="Used when you give no CVSS vector.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["scored"] = resolve_severity(data.get("cvss_vector", ""), data.get("severity", ""))
        except SeverityError as error:
            self.add_error("cvss_vector", str(error))
        return data


class ReportForm(SeverityFields):
    asset = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        required=False,
        empty_label="Not sure / not listed",
        help_text="Only in-scope assets are listed.",
    )
    weakness = forms.ModelChoiceField(
        queryset=Weakness.objects.none(), required=False, empty_label="Not sure"
    )
    title = forms.CharField(max_length=200, help_text="One line: what is wrong, and where.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_MARKDOWN_CHARS,
        help_text=MARKDOWN_HELP,
    )
    steps_to_reproduce = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_MARKDOWN_CHARS,
        required=False,
        help_text=MARKDOWN_HELP,
    )
    impact = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_MARKDOWN_CHARS,
        required=False,
        help_text="What an attacker gains. " + MARKDOWN_HELP,
    )
    endpoint = forms.CharField(
        max_length=500, required=False, help_text="The affected URL path or API operation, if any."
    )
    parameter = forms.CharField(
        max_length=200, required=False, help_text="The affected parameter, if any."
    )
    attachments = MultipleFileField(
        required=False,
        help_text=f"{ALLOWED_DESCRIPTION}; up to {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB each.",
    )
    field_order = [
        "asset",
        "weakness",
        "title",
        "description",
        "steps_to_reproduce",
        "impact",
        "endpoint",
        "parameter",
        "cvss_vector",
        "severity",
        "attachments",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.filter(  # type: ignore[attr-defined]
            in_scope=True, archived=False
        )
        self.fields["weakness"].queryset = Weakness.objects.filter(  # type: ignore[attr-defined]
            active=True
        )

    def report_input(self) -> ReportInput:
        data = self.cleaned_data
        return ReportInput(
            title=data["title"],
            description=data["description"],
            steps_to_reproduce=data["steps_to_reproduce"],
            impact=data["impact"],
            endpoint=data["endpoint"],
            parameter=data["parameter"],
            asset=data["asset"],
            weakness=data["weakness"],
            severity=data.get("scored") or ScoredSeverity(""),
        )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_MARKDOWN_CHARS,
        help_text=MARKDOWN_HELP,
    )
    internal = forms.BooleanField(
        label="Internal note (the researcher does not see it)", required=False
    )
    attachments = MultipleFileField(required=False, help_text=f"{ALLOWED_DESCRIPTION}.")


class StateForm(forms.Form):
    state = forms.ChoiceField(label="New state", choices=ReportState.choices)
    duplicate_of = forms.IntegerField(
        label="Duplicate of report #",
        required=False,
        min_value=1,
        help_text="For Duplicate: the number of the earlier report.",
    )
    credit_original = forms.BooleanField(
        label='Add this researcher to the original\'s "also reported by"',
        required=False,
        help_text="For Duplicate: credit the later reporter on the original report.",
    )
    reason = forms.CharField(
        label="Reason (the researcher sees it)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class AwardForm(forms.Form):
    kind = forms.ChoiceField(choices=BountyKind.choices, initial=BountyKind.BOUNTY)
    amount = forms.DecimalField(min_value=Decimal("0"), max_digits=10, decimal_places=2)
    bonus = forms.DecimalField(
        min_value=Decimal("0"), max_digits=10, decimal_places=2, required=False, initial=0
    )
    currency = forms.CharField(
        max_length=3, min_length=3, required=False, help_text="Empty: the bounty table's."
    )
    note = forms.CharField(
        label="Note",
        max_length=500,
        required=False,
        help_text="Required when the amount is outside the bounty table's range.",
    )

    def clean_currency(self) -> str:
        value: str = self.cleaned_data.get("currency") or ""
        if value and not value.isalpha():
            raise forms.ValidationError("Use a three-letter currency code.")
        return value.upper()


class PayoutForm(forms.Form):
    status = forms.ChoiceField(choices=PayoutStatus.choices)
    reference = forms.CharField(
        max_length=200, required=False, help_text="The payment's reference in your books."
    )


class DisclosureForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("request", "Request"), ("agree", "Agree"), ("object", "Object")]
    )
    kind = forms.ChoiceField(
        label="Disclosure", choices=DisclosureKind.choices, initial=DisclosureKind.FULL,
        required=False,
    )  # fmt: skip
    reason = forms.CharField(
        label="Why you object", max_length=2000, required=False, widget=forms.Textarea({"rows": 2})
    )


class PublicVersionForm(forms.Form):
    public_summary = forms.CharField(
        label="Public summary",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_MARKDOWN_CHARS,
        required=False,
        help_text=MARKDOWN_HELP,
    )
    public_description = forms.CharField(
        label="Description (public version)",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_MARKDOWN_CHARS,
        required=False,
        help_text="Redact what must not be published. " + MARKDOWN_HELP,
    )
    public_steps_to_reproduce = forms.CharField(
        label="Steps to reproduce (public version)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_MARKDOWN_CHARS,
        required=False,
    )
    public_impact = forms.CharField(
        label="Impact (public version)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_MARKDOWN_CHARS,
        required=False,
    )
    cve_id = forms.CharField(
        label="CVE ID",
        max_length=30,
        required=False,
        validators=[cve_id_validator],
        help_text="E.g. CVE-2025-12345.",
    )

    def clean_cve_id(self) -> str:
        return str(self.cleaned_data.get("cve_id") or "").strip().upper()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )  # the team's members, set per request

    def __init__(self, *args: Any, team: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team  # type: ignore[attr-defined]


class SeverityChangeForm(SeverityFields):
    reason = forms.CharField(
        label="Reason for the change",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Required; the researcher sees it.",
    )


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, max_length=200, help_text="Title, endpoint or #number"
    )
    state = forms.ChoiceField(
        required=False, choices=[("", "Open"), ("all", "Any"), *ReportState.choices]
    )
    asset = forms.ModelChoiceField(queryset=Asset.objects.all(), required=False, empty_label="Any")
    severity = forms.ChoiceField(required=False, choices=[("", "Any"), *Severity.choices])
    assignee = forms.ChoiceField(
        required=False, choices=[("", "Anyone"), ("me", "Me"), ("none", "Nobody")]
    )
    sla = forms.BooleanField(label="Response target missed", required=False)


class ProgramForm(forms.ModelForm):
    encryption_key_url = forms.URLField(
        label="Encryption key URL",
        required=False,
        assume_scheme="https",
        max_length=200,
        help_text="An https:// address of the OpenPGP key for encrypted contact.",
    )

    class Meta:
        model = Program
        fields = list(PROGRAM_FIELDS)  # the fields update_program() saves, and only those
        widgets = {
            "policy": forms.Textarea(attrs={"rows": 12}),
            "safe_harbor_statement": forms.Textarea(attrs={"rows": 10}),
            "security_txt_expires": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def clean_security_txt_expires(self) -> Any:
        value = self.cleaned_data.get("security_txt_expires")
        if value is None:
            raise forms.ValidationError("security.txt must say when it expires.")
        now = timezone.now()
        if value <= now:
            raise forms.ValidationError("Choose a date in the future.")
        if value > now + SECURITY_TXT_MAX_AHEAD:
            raise forms.ValidationError(
                "RFC 9116 asks for at most a year ahead; choose an earlier date."
            )
        return value

    def clean_encryption_key_url(self) -> str:
        value: str = self.cleaned_data.get("encryption_key_url", "")
        if value and not value.startswith("https://"):
            raise forms.ValidationError("Use an https:// address.")
        return value

    def clean_preferred_languages(self) -> str:
        value: str = self.cleaned_data.get("preferred_languages", "")
        parts = [part.strip() for part in value.split(",") if part.strip()]
        for part in parts:
            if not all(chunk.isalnum() and len(chunk) <= 8 for chunk in part.split("-")):
                raise forms.ValidationError(f"{part!r} is not a language tag such as en or pt-BR.")
        return ", ".join(parts)


class AssetForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = [
            "asset_type",
            "identifier",
            "in_scope",
            "bounty_eligible",
            "max_severity",
            "tier",
            "instructions",
            "archived",
        ]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4})}


class BountyTableForm(forms.Form):
    currency = forms.CharField(
        max_length=3, min_length=3, initial="USD", help_text="ISO 4217 code, e.g. USD or EUR."
    )
    note = forms.CharField(max_length=300, required=False, help_text="What changed, and why.")

    RATED = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]

    def __init__(
        self,
        *args: Any,
        initial_ranges: dict[tuple[str, int], tuple[Decimal, Decimal]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        initial_ranges = initial_ranges or {}
        for tier in AssetTier.values:
            for severity in self.RATED:
                low, high = initial_ranges.get((severity, tier), (None, None))
                for bound, value in (("min", low), ("max", high)):
                    self.fields[f"{severity}_{tier}_{bound}"] = forms.DecimalField(
                        label=f"{Severity(severity).label}, tier {tier}: {bound}imum",
                        min_value=Decimal("0"),
                        max_digits=10,
                        decimal_places=2,
                        required=False,
                        initial=value,
                    )

    def clean_currency(self) -> str:
        value: str = self.cleaned_data["currency"]
        if not value.isalpha():
            raise forms.ValidationError("Use a three-letter currency code.")
        return value.upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for tier in AssetTier.values:
            for severity in self.RATED:
                low = data.get(f"{severity}_{tier}_min")
                high = data.get(f"{severity}_{tier}_max")
                if (low is None) != (high is None):
                    self.add_error(f"{severity}_{tier}_max", "Give both ends of the range.")
                elif low is not None and high is not None and high < low:
                    self.add_error(f"{severity}_{tier}_max", "The maximum is below the minimum.")
        return data

    def ranges(self) -> list[Any]:
        from safeharbor.disclosure.services import RangeInput

        rows = []
        for tier in AssetTier.values:
            for severity in self.RATED:
                low = self.cleaned_data.get(f"{severity}_{tier}_min")
                high = self.cleaned_data.get(f"{severity}_{tier}_max")
                if low is not None and high is not None:
                    rows.append(RangeInput(severity, tier, low, high))
        return rows


class ProfileForm(forms.ModelForm):
    class Meta:
        model = ResearcherProfile
        fields = ["handle", "public_profile", "hall_of_fame"]
