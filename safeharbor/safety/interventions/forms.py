"""The term-list editor: one line per term ("tier,topic,phrase"), one allowed phrase per line."""

from __future__ import annotations

from typing import Any

from django import forms

from safeharbor.safety.interventions.services import (
    MAX_NOTE_CHARS,
    validate_term_list,
)
from safeharbor.safety.models import TermListVersion, Topic

HELP_TERMS = (
    "One term per line: tier,topic,phrase. Tier is crisis (interstitial) or topic (banner); "
    "topic is one of " + ", ".join(Topic.values) + ". Lines starting with # are comments. "
    "Write each phrase once in plain letters: leetspeak, look-alike letters, spacing and "
    "repeated letters are folded automatically."
)
HELP_ALLOW = (
    "One phrase per line. A match is ignored when an allowed phrase covers the end of it "
    '("suicide squad" silences "suicide").'
)


def term_lines(version: TermListVersion | None) -> str:
    if version is None:
        return ""
    return "\n".join(f"{t['tier']},{t['topic']},{t['phrase']}" for t in version.terms)


def allow_lines(version: TermListVersion | None) -> str:
    return "\n".join(version.allow) if version is not None else ""


def _content_lines(text: str) -> list[tuple[int, str]]:
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append((number, stripped))
    return lines


class TermListForm(forms.Form):
    terms = forms.CharField(
        label="Terms", widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"}),
        required=False, help_text=HELP_TERMS,
    )  # fmt: skip
    allow = forms.CharField(
        label="Allowed phrases", widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False, help_text=HELP_ALLOW,
    )  # fmt: skip
    note = forms.CharField(
        label="What changed and why", max_length=MAX_NOTE_CHARS, required=False,
        help_text="Kept with the version and in the audit log.",
    )  # fmt: skip

    def __init__(self, *args: Any, current: TermListVersion | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        terms: list[dict[str, str]] = []
        term_line_numbers: list[int] = []
        for number, line in _content_lines(data.get("terms", "")):
            parts = [part.strip() for part in line.split(",", 2)]
            if len(parts) != 3:
                self.add_error("terms", f"Line {number}: write tier,topic,phrase.")
                continue
            terms.append({"tier": parts[0].lower(), "topic": parts[1].lower(), "phrase": parts[2]})
            term_line_numbers.append(number)
        allow_numbered = _content_lines(data.get("allow", ""))
        allow = [line for _, line in allow_numbered]
        for error in validate_term_list(terms, allow):
            if error.list == "terms":
                number = term_line_numbers[error.row - 1] if error.row <= len(terms) else 0
                self.add_error("terms", f"Line {number}: {error.message}")
            else:
                number = allow_numbered[error.row - 1][0] if error.row <= len(allow) else 0
                self.add_error("allow", f"Line {number}: {error.message}")
        if not terms and "terms" not in self.errors:
            self.add_error("terms", "A list needs at least one term.")
        if (
            not self.errors
            and self.current is not None
            and [(t["tier"], t["topic"], " ".join(t["phrase"].split())) for t in terms]
            == [(t["tier"], t["topic"], t["phrase"]) for t in self.current.terms]
            and [" ".join(p.split()) for p in allow] == self.current.allow
        ):
            raise forms.ValidationError("Nothing changed: this is the version in force.")
        data["parsed_terms"] = terms
        data["parsed_allow"] = allow
        return data


class StartLocaleForm(forms.Form):
    locale = forms.CharField(
        label="Language tag", max_length=20, help_text="For example fr, pt-BR or de."
    )
