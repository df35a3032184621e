from __future__ import annotations

from django import forms

from safeharbor.passwords.models import PasswordPolicy


class PasswordPolicyForm(forms.ModelForm):
    class Meta:
        model = PasswordPolicy
        fields = [
            "preset", "min_length", "min_length_with_mfa", "max_length", "check_common",
            "check_context", "check_breached", "min_score", "context_words",
        ]  # fmt: skip
        labels = {
            "min_length": "Minimum length (password alone)",
            "min_length_with_mfa": "Minimum length (with a second factor)",
            "max_length": "Maximum length (at least 64)",
            "check_common": "Refuse the 20,000 most common passwords",
            "check_context": "Refuse context words (site, username, email, the list below)",
            "check_breached": "Refuse passwords found in data breaches",
            "min_score": "Minimum strength score (0 = none, 4 = very strong)",
        }
        help_texts = {"preset": "The lengths and checks below apply only to the custom preset."}

    def clean(self):
        data = super().clean() or {}
        if data.get("max_length") is not None and data["max_length"] < 64:
            self.add_error("max_length", "NIST and OWASP ASVS require allowing at least 64.")
        if data.get("max_length") and data["max_length"] > 1024:
            self.add_error("max_length", "At most 1,024: longer inputs only cost hashing time.")
        if data.get("min_score") is not None and data["min_score"] > 4:
            self.add_error("min_score", "Scores go from 0 to 4.")
        for name in ("min_length", "min_length_with_mfa"):
            if data.get(name) is not None and not 1 <= data[name] <= 64:
                self.add_error(name, "Choose between 1 and 64.")
        return data
