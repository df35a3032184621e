from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import partial
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from safeharbor.accounts import tasks
from safeharbor.accounts.models import User
from safeharbor.accounts.roles import ROLES
from safeharbor.accounts.scopes import known_scopes
from safeharbor.passwords.widgets import PasswordWithMeterInput


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Authentication code"),
        max_length=20,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
    )


class SudoForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Authentication code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RegistrationForm(forms.Form):
    username = forms.RegexField(
        label=_("Handle"),
        max_length=40,
        min_length=3,
        regex=r"^[A-Za-z0-9_.-]+$",
        help_text=_("3 to 40 letters, digits, dots, dashes or underscores. Shown on your reports."),
        error_messages={"invalid": _("Use only letters, digits, dots, dashes and underscores.")},
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_(
            "At least 15 characters; any characters, spaces included. A few unrelated words "
            "make a passphrase that is long and easy to remember."
        ),
        widget=PasswordWithMeterInput(),
    )

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This handle is taken; choose another."))
        return username

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this address exists. Sign in, or reset your password.")
            )
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class NewPasswordForm(SetPasswordForm):
    """Choosing a password after a reset link or an invitation, with the strength meter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget = PasswordWithMeterInput()


class ChangePasswordForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].widget = PasswordWithMeterInput()


class PasswordResetForm(DjangoPasswordResetForm):
    """Sends the reset link from a background task that builds the token when it runs."""

    def get_users(self, email: str) -> Iterator[User]:
        """Active accounts with this address, including invited staff who have not chosen a
        password yet: Django leaves those out, but their invitation link lasts an hour and this
        is how they get a new one."""
        wanted = unicodedata.normalize("NFKC", email).casefold()
        for user in User.objects.filter(email__iexact=email, is_active=True):
            if unicodedata.normalize("NFKC", user.email).casefold() == wanted:
                yield user

    def save(self, *args: Any, **kwargs: Any) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            transaction.on_commit(partial(tasks.send_password_reset_email.enqueue, user.pk))


ROLE_CHOICES = [(role.slug, role.name) for role in ROLES]


class StaffCreateForm(forms.Form):
    username = forms.RegexField(label=_("Username"), max_length=40, regex=r"^[A-Za-z0-9_.-]+$")
    email = forms.EmailField(label=_("Email"))
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )


class APIKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Which service uses this key, e.g. 'web-backend-production'."),
    )
    scopes = forms.MultipleChoiceField(label=_("Scopes"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [  # type: ignore[attr-defined]
            (scope, f"{scope}: {description}") for scope, description in known_scopes().items()
        ]
