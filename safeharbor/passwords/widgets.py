"""A password field with a live strength meter (htmx) and a show-password toggle.

Without JavaScript it is a plain password field whose rules are checked when the form is sent;
with it, the meter updates as the person types and a button reveals what they typed. Paste is
allowed, and ``autocomplete`` tells password managers to offer a generated password.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.urls import reverse


class PasswordWithMeterInput(forms.PasswordInput):
    template_name = "passwords/widgets/password_meter.html"

    def __init__(self, *, context_fields: tuple[str, ...] = ("username", "email"), **kwargs: Any):
        attrs = {"autocomplete": "new-password", "spellcheck": "false", **kwargs.pop("attrs", {})}
        super().__init__(attrs=attrs, **kwargs)
        self.context_fields = context_fields

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        meter_id = f"{widget['attrs'].get('id', name)}-meter"
        widget["meter_id"] = meter_id
        widget["attrs"].update(
            {
                "hx-post": reverse("passwords:meter"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": f"#{meter_id}",
                "hx-include": "closest form",
                "hx-vals": json.dumps({"meter_field": name}),
                "aria-describedby": " ".join(
                    filter(None, [widget["attrs"].get("aria-describedby"), meter_id])
                ),
            }
        )
        return context
