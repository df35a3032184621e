"""Forms of the hash bank pages: filters, a bank, one entry, a reason, an import, adding a
case's media. They check input; the services in banks.py apply it."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from safeharbor.hashmatch import bank_io
from safeharbor.hashmatch.banks import MAX_MATCH_THRESHOLD, RESERVED_SLUGS
from safeharbor.hashmatch.hashing import parse_hash
from safeharbor.hashmatch.models import (
    HEX_LENGTH,
    PDQ_MATCH_THRESHOLD,
    BankEntry,
    HashBank,
    HashMatch,
    SignalType,
)
from safeharbor.moderation.models import PolicyCategory, SeverityTier

MAX_WEB_IMPORT_BYTES = 10 * 1024 * 1024
ENABLED_CHOICES = [("", _("Any")), ("yes", _("Enabled")), ("no", _("Disabled"))]
HEX_PREFIX = re.compile(r"^[0-9a-f]{1,64}$")


class BankFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Name, slug or source contains…"),
    )
    signal_type = forms.ChoiceField(
        label=_("Signal type"), required=False, choices=[("", _("Any")), *SignalType.choices]
    )
    enabled = forms.ChoiceField(label=_("State"), required=False, choices=ENABLED_CHOICES)

    def filter(self, banks: QuerySet[HashBank]) -> QuerySet[HashBank]:
        data = self.cleaned_data
        if data.get("q"):
            term = data["q"]
            banks = banks.filter(
                Q(name__icontains=term) | Q(slug__icontains=term) | Q(source__icontains=term)
            )
        if data.get("signal_type"):
            banks = banks.filter(signal_type=data["signal_type"])
        if data.get("enabled"):
            banks = banks.filter(enabled=data["enabled"] == "yes")
        return banks


def _category_field() -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=_("Policy category"),
        queryset=PolicyCategory.objects.filter(active=True),
        to_field_name="slug",
        help_text=_(
            "Matches open cases in this category; child-safety categories go to child-safety "
            "specialists only."
        ),
    )
    field.label_from_instance = lambda category: category.name  # type: ignore[method-assign,assignment]
    return field


class BankForm(forms.Form):
    """A bank's editable fields; ``creating`` adds the slug, signal type and enabled flag."""

    slug = forms.SlugField(
        label=_("Slug"),
        max_length=64,
        help_text=_("Short name for the command line and addresses, e.g. ncmec-md5. Fixed."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    signal_type = forms.ChoiceField(
        label=_("Signal type"),
        choices=SignalType.choices,
        help_text=_("PDQ for images, MD5 or SHA-256 for exact files. Fixed once created."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("Where the hashes come from, e.g. NCMEC hash sharing, IWF, our own cases."),
    )
    category = _category_field()
    severity_tier = forms.TypedChoiceField(
        label=_("Severity tier"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("The category's tier")), *SeverityTier.choices],
    )
    match_threshold = forms.IntegerField(
        label=_("PDQ match threshold"),
        min_value=0,
        max_value=MAX_MATCH_THRESHOLD,
        initial=PDQ_MATCH_THRESHOLD,
        help_text=_(
            "PDQ banks only: the largest distance (of 256 bits) that counts as a match. "
            "31 is the recommended value; lower is stricter."
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled: match against this bank"), required=False)

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"] = _category_field()
        if not creating:
            for name in ("slug", "signal_type", "enabled"):
                del self.fields[name]
        else:
            self.fields["enabled"].initial = True

    @classmethod
    def initial_for(cls, bank: HashBank) -> dict[str, Any]:
        return {
            "name": bank.name,
            "description": bank.description,
            "source": bank.source,
            "category": bank.category.slug,
            "severity_tier": bank.severity_tier,
            "match_threshold": bank.match_threshold,
        }

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This name is taken by a page; choose another slug."))
        if HashBank.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A bank with this slug exists already."))
        return slug


class EntryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Hash starts with"),
        required=False,
        max_length=64,
        help_text=_("Hexadecimal digits, e.g. f8f8"),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any")), ("enabled", _("Enabled")), ("disabled", _("Disabled"))],
    )

    def clean_q(self) -> str:
        text = self.cleaned_data["q"].strip().lower()
        if text and not HEX_PREFIX.match(text):
            raise forms.ValidationError(
                _("Give the first hexadecimal digits of a hash (0-9, a-f).")
            )
        return text

    def filter(self, entries: QuerySet[BankEntry]) -> QuerySet[BankEntry]:
        data = self.cleaned_data
        if data.get("q"):
            # A range, not LIKE: it uses the (bank, value) index whatever the collation.
            entries = entries.filter(value__gte=data["q"], value__lt=data["q"] + "g")
        if data.get("state"):
            entries = entries.filter(enabled=data["state"] == "enabled")
        return entries


class EntryForm(forms.Form):
    value = forms.CharField(label=_("Hash"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=bank_io.MAX_NOTE_CHARS)

    def __init__(self, *args: Any, bank: HashBank, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bank = bank
        self.fields["value"].help_text = _("%(count)s hexadecimal characters (%(kind)s).") % {
            "count": HEX_LENGTH[SignalType(bank.signal_type)],
            "kind": bank.get_signal_type_display(),
        }

    def clean_value(self) -> str:
        try:
            return parse_hash(self.bank.signal_type, self.cleaned_data["value"].strip())
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit log and shown beside the entry."),
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Hash list"),
        help_text=_(
            "One hash per line, or CSV with a hash (or value) column and an optional note "
            "column; UTF-8. Up to 10 MB here; larger lists with the command line."
        ),
    )
    skip_bad = forms.BooleanField(
        label=_("Import the good lines even if some are bad"),
        required=False,
        help_text=_("Otherwise a file with any bad line imports nothing."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_WEB_IMPORT_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than 10 MB. Import it with the command line: "
                    "safeharbor hashes import BANK FILE"
                )
            )
        return upload


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(name, name) for name in bank_io.EXPORT_FORMATS])
    include_disabled = forms.BooleanField(required=False)


class MatchFilterForm(forms.Form):
    bank = forms.ModelChoiceField(
        label=_("Bank"),
        required=False,
        queryset=HashBank.objects.none(),
        to_field_name="slug",
        empty_label=_("Any"),
    )

    def __init__(self, *args: Any, banks: QuerySet[HashBank], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bank"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = banks

    def filter(self, matches: QuerySet[HashMatch]) -> QuerySet[HashMatch]:
        if self.cleaned_data.get("bank"):
            matches = matches.filter(bank=self.cleaned_data["bank"])
        return matches


class CaseEntryForm(forms.Form):
    bank = forms.ModelChoiceField(
        label=_("Hash bank"),
        queryset=HashBank.objects.none(),
        to_field_name="slug",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=bank_io.MAX_NOTE_CHARS,
        help_text=_("Stored with the entry, e.g. why this media belongs in the bank."),
    )

    def __init__(self, *args: Any, banks: QuerySet[HashBank], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bank"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = banks
        field.label_from_instance = lambda bank: (  # type: ignore[method-assign,assignment]
            f"{bank.name} ({bank.get_signal_type_display()}, {bank.category.name})"
            + ("" if bank.enabled else " — disabled")
        )
