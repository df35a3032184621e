"""Password policy: NIST SP 800-63B-4, OWASP ASVS 5 levels, or custom rules, and the checks
that explain every rejection to the person choosing the password."""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import django.contrib.auth


@dataclass(frozen=True)
class PolicyRules:
    label: str
    min_length: int  # when the password is the only factor
    min_length_with_mfa: int  # when a second factor is also required
    max_length: int
    check_common: bool
    check_context: bool
    check_breached: bool
    min_score: int = 0  # zxcvbn score 0-4 required; 0 asks for none
    source: str = ""


NIST = "nist-800-63b-4"
ASVS_L1 = "asvs-5-l1"
ASVS_L2 = "asvs-5-l2"
ASVS_L3 = "asvs-5-l3"
CUSTOM = "custom"

# Maximum accepted length: NIST and ASVS ask that at least 64 characters be allowed; 1,024 lets any
# password manager through while keeping hashing and checking cheap. Nothing is ever truncated.
MAX_LENGTH = 1024

PRESETS: dict[str, PolicyRules] = {
    NIST: PolicyRules(
        "NIST SP 800-63B-4", 15, 8, MAX_LENGTH, True, True, True, 0,
        "NIST SP 800-63B-4 (2025) section 3.1.1.2: at least 15 characters for a password used "
        "alone, 8 with another factor; at least 64 allowed; no composition rules; no periodic "
        "change; blocklist of breached, dictionary and context-specific words.",
    ),
    ASVS_L1: PolicyRules(
        "OWASP ASVS 5.0 level 1", 8, 8, MAX_LENGTH, True, False, False, 0,
        "ASVS 5.0 V6.2.1 (at least 8 characters; 15 strongly recommended), V6.2.4 (top common "
        "passwords refused), V6.2.5 (no composition rules), V6.2.8 (no truncation).",
    ),
    ASVS_L2: PolicyRules(
        "OWASP ASVS 5.0 level 2", 8, 8, MAX_LENGTH, True, True, True, 0,
        "Level 1 plus V6.2.9 (at least 64 characters allowed), V6.2.11 (context-specific words "
        "refused) and V6.2.12 (breached passwords refused).",
    ),
    ASVS_L3: PolicyRules(
        "OWASP ASVS 5.0 level 3", 15, 8, MAX_LENGTH, True, True, True, 0,
        "Level 2 with the recommended 15-character minimum for passwords used alone.",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Violation:
    code: str
    message: str


def normalize(password: str) -> str:
    """NFC, as NIST asks, so the same password typed on different keyboards matches itself."""
    return unicodedata.normalize("NFC", password)


@cache
def _common_passwords() -> frozenset[str]:
    """Django's list of 20,000 common passwords (it ships with Django; ASVS asks for >= 3,000)."""
    path = Path(django.contrib.auth.__file__).parent / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


MIN_CONTEXT_WORD = 4  # shorter words ("bob") match too much ordinary text to refuse on


def context_words_in(password: str, words: list[str]) -> list[str]:
    lowered = password.lower()
    found = []
    for word in words:
        candidate = word.strip().lower()
        if len(candidate) >= MIN_CONTEXT_WORD and candidate in lowered:
            found.append(word.strip())
    return found


def check_rules(
    password: str,
    rules: PolicyRules,
    *,
    context_words: list[str],
    with_mfa: bool,
    breached_count: int | None,
    breached_at_least: bool = False,
    score: int | None,
) -> list[Violation]:
    """Every rule the (already normalized) password breaks, each explained in plain words."""
    violations: list[Violation] = []
    length = len(password)
    minimum = rules.min_length_with_mfa if with_mfa else rules.min_length
    if length == 0:
        return [Violation("empty", "Enter a password.")]
    if length < minimum:
        violations.append(
            Violation(
                "too_short",
                f"Use at least {minimum} characters; this one has {length}. A few unrelated "
                "words make a long password that is easy to remember.",
            )
        )
    if length > rules.max_length:
        violations.append(
            Violation(
                "too_long",
                f"Use at most {rules.max_length} characters; this one has {length}.",
            )
        )
        return violations  # nothing else is checked on an oversized input
    if rules.check_common and password.lower() in _common_passwords():
        violations.append(
            Violation(
                "common",
                "This is one of the most common passwords, which attackers try first.",
            )
        )
    if rules.check_context:
        found = context_words_in(password, context_words)
        if found:
            violations.append(
                Violation(
                    "context",
                    "Don't use words an attacker would guess from your account or this site: "
                    + ", ".join(sorted(set(found), key=str.lower))
                    + ".",
                )
            )
    if rules.check_breached and breached_count:
        violations.append(
            Violation(
                "breached",
                f"This password appeared {'at least ' if breached_at_least else ''}"
                f"{breached_count:,} time"
                f"{'s' if breached_count != 1 else ''} in data breaches, so attackers have it "
                "in their lists. Choose one you have never used anywhere.",
            )
        )
    if rules.min_score and score is not None and score < rules.min_score:
        violations.append(
            Violation("too_weak", "This password is too easy to guess. Make it longer.")
        )
    return violations
