"""Checking passwords against the installation's policy, and changing that policy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from safeharbor.core.audit import record_audit
from safeharbor.passwords.breach.checker import breach_count, breach_counts_are_exact
from safeharbor.passwords.breach.remote import BreachCheckUnavailable
from safeharbor.passwords.models import PasswordPolicy
from safeharbor.passwords.policy import (
    CUSTOM,
    PRESETS,
    PolicyRules,
    Violation,
    check_rules,
    normalize,
)
from safeharbor.passwords.strength import estimate_strength

MAX_CHECKED_INPUT = 1_048_576  # characters; larger inputs are refused before any work


def current_policy() -> PasswordPolicy:
    return PasswordPolicy.objects.filter(pk=1).first() or PasswordPolicy(pk=1)


def rules_of(policy: PasswordPolicy) -> PolicyRules:
    if policy.preset != CUSTOM:
        return PRESETS[policy.preset]
    return PolicyRules(
        "Custom",
        policy.min_length,
        policy.min_length_with_mfa,
        policy.max_length,
        policy.check_common,
        policy.check_context,
        policy.check_breached,
        policy.min_score,
        "Rules chosen by this installation's administrators.",
    )


@dataclass(frozen=True)
class PasswordCheck:
    accepted: bool
    score: int
    guesses_log10: float
    crack_time_display: str
    feedback: dict[str, Any]
    breached_count: int | None
    violations: list[dict[str, str]] = field(default_factory=list)
    policy: str = ""


def _context_words(
    username: str, email: str, extra: list[str], policy: PasswordPolicy
) -> list[str]:
    words = [settings.SITE_NAME, username, *extra, *policy.context_word_list()]
    if email:
        local, _, domain = email.partition("@")
        words += [local, domain.split(".")[0]]
    return [word for word in words if word]


def check_password(
    password: str,
    *,
    username: str = "",
    email: str = "",
    context_words: list[str] | None = None,
    with_mfa: bool = False,
) -> PasswordCheck:
    """Check a password against the policy, estimate its strength and look it up in the breach
    corpus. The password is never stored or logged; only this result leaves the function."""
    policy = current_policy()
    rules = rules_of(policy)
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        return _refused(
            rules,
            Violation(
                "invalid_characters",
                "The password contains characters "
                "that are not valid text (unpaired surrogates); type it again.",
            ),
        )
    if len(password) > max(rules.max_length, MAX_CHECKED_INPUT) or (
        len(password) > 4 * rules.max_length  # NFC never shrinks text by 4x: skip the work
    ):
        return _refused(rules, Violation("too_long", f"Use at most {rules.max_length} characters."))
    normalized = normalize(password)
    if len(normalized) > rules.max_length:
        return _refused(
            rules,
            Violation(
                "too_long",
                f"Use at most {rules.max_length} characters; this one has {len(normalized):,}.",
            ),
        )
    words = _context_words(username, email, context_words or [], policy)
    strength = estimate_strength(normalized, words)
    try:
        breached = (
            breach_count(normalized)
            if rules.check_breached and 0 < len(normalized) <= rules.max_length
            else None
        )
    except BreachCheckUnavailable as error:
        return _refused(rules, Violation("breach_check_unavailable", str(error)))
    violations = check_rules(
        normalized,
        rules,
        context_words=words,
        with_mfa=with_mfa,
        breached_count=breached,
        breached_at_least=not breach_counts_are_exact(),
        score=strength.score,
    )
    return PasswordCheck(
        accepted=not violations,
        score=strength.score,
        guesses_log10=strength.guesses_log10,
        crack_time_display=strength.crack_time_display,
        feedback={"warning": strength.warning, "suggestions": strength.suggestions},
        breached_count=breached,
        violations=[asdict(violation) for violation in violations],
        policy=rules.label,
    )


def _refused(rules: PolicyRules, violation: Violation) -> PasswordCheck:
    return PasswordCheck(
        accepted=False,
        score=0,
        guesses_log10=0.0,
        crack_time_display="",
        feedback={"warning": "", "suggestions": []},
        breached_count=None,
        violations=[asdict(violation)],
        policy=rules.label,
    )


POLICY_FIELDS = (
    "preset", "min_length", "min_length_with_mfa", "max_length", "check_common",
    "check_context", "check_breached", "min_score", "context_words",
)  # fmt: skip


def update_policy(
    changes: dict[str, Any], *, actor: Any, request: HttpRequest | None = None
) -> PasswordPolicy:
    with transaction.atomic():
        policy = PasswordPolicy.objects.select_for_update().filter(pk=1).first() or PasswordPolicy(
            pk=1
        )
        before = {name: getattr(policy, name) for name in POLICY_FIELDS}
        for name in POLICY_FIELDS:
            if name in changes:
                setattr(policy, name, changes[name])
        policy.full_clean()
        policy.save()
        after = {name: getattr(policy, name) for name in POLICY_FIELDS}
        changed = {
            name: [before[name], after[name]]
            for name in POLICY_FIELDS
            if before[name] != after[name]
        }
        if changed:
            record_audit(
                "passwords.policy_changed",
                actor=actor,
                request=request,
                target=policy,
                details={"changed": changed},
            )
    return policy
