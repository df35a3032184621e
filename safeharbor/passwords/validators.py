"""Django password validators backed by the installation's policy, for Safeharbor's own accounts
and for any Django project that installs Safeharbor's passwords app.

    AUTH_PASSWORD_VALIDATORS = [{"NAME": "safeharbor.passwords.validators.PasswordPolicyValidator"}]
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from safeharbor.passwords.services import check_password, current_policy, rules_of


def _user_facts(user: Any) -> dict[str, Any]:
    if user is None:
        return {"username": "", "email": "", "with_mfa": False}
    requires_mfa = (
        bool(getattr(user, "requires_mfa", False)) if getattr(user, "pk", None) else False
    )
    return {
        "username": getattr(user, "get_username", lambda: "")() or "",
        "email": getattr(user, "email", "") or "",
        "with_mfa": requires_mfa,
    }


class PasswordPolicyValidator:
    """Length, common, context-word, breach and strength rules of the current policy."""

    only: tuple[str, ...] = ()

    def validate(self, password: str, user: Any = None) -> None:
        result = check_password(password, **_user_facts(user))
        violations = [v for v in result.violations if not self.only or v["code"] in self.only]
        if violations:
            raise ValidationError(
                [ValidationError(v["message"], code=v["code"]) for v in violations]
            )

    def get_help_text(self) -> str:
        rules = rules_of(current_policy())
        parts = [f"Use at least {rules.min_length} characters; any characters, spaces included."]
        if rules.check_breached:
            parts.append("Passwords found in data breaches are refused.")
        return " ".join(parts)


class BreachedPasswordValidator(PasswordPolicyValidator):
    """Only the breach rule (for projects that keep their own length rules)."""

    only = ("breached",)

    def get_help_text(self) -> str:
        return "Passwords found in data breaches are refused."


class PasswordStrengthValidator(PasswordPolicyValidator):
    """Only the strength rule (the policy's minimum zxcvbn score)."""

    only = ("too_weak",)

    def get_help_text(self) -> str:
        return "The password must not be easy to guess."
