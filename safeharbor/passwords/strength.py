"""Password strength: zxcvbn (the Rust port, through zxcvbn-rs-py) with a bounded cost.

The pure-Python zxcvbn port is super-linear in the input (over a minute on 1,000 random
characters) and refuses inputs over 72 characters. The Rust port is much faster but still grows
steeply past ~50 characters of random text (p99 ~10 ms at 48, ~55 ms at 72, ~400 ms at 128 on
this project's 2-core benchmark machine), so only the first ``MAX_EVALUATED_CHARS`` characters of
the password (and of each context word) are estimated. A longer password is at least as hard to
guess as its first 48 characters, so the bound can understate strength but never overstate it;
48 random characters are far beyond any guessing attack anyway.
The function keeps no state between calls: concurrent requests with different context words
are independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from zxcvbn_rs_py import zxcvbn

MAX_EVALUATED_CHARS = 48
MAX_CONTEXT_WORDS = 20
MAX_CONTEXT_WORD_CHARS = 48


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (too guessable) to 4 (very unguessable), as zxcvbn defines it
    guesses_log10: float
    crack_time_display: str  # offline attack on a slow hash (10^4 guesses/s), as zxcvbn shows
    warning: str = ""
    suggestions: list[str] = field(default_factory=list)
    evaluated_chars: int = 0


def estimate_strength(password: str, context_words: list[str] | tuple[str, ...] = ()) -> Strength:
    """Estimate how guessable ``password`` is, knowing the ``context_words`` (username, email,
    site name…) an attacker would try first. Cost is bounded whatever the input length."""
    evaluated = password[:MAX_EVALUATED_CHARS]
    if not evaluated:
        return Strength(0, 0.0, "instant", "Enter a password.", [], 0)
    words = [word[:MAX_CONTEXT_WORD_CHARS] for word in context_words if word][:MAX_CONTEXT_WORDS]
    result = zxcvbn(evaluated, words)
    feedback = result.feedback
    warning = str(feedback.warning) if feedback is not None and feedback.warning is not None else ""
    suggestions = [str(item) for item in feedback.suggestions] if feedback is not None else []
    guesses_log10 = float(result.guesses_log10)
    if math.isinf(guesses_log10) or math.isnan(guesses_log10):
        guesses_log10 = 0.0
    return Strength(
        score=int(result.score),
        guesses_log10=round(guesses_log10, 2),
        crack_time_display=str(result.crack_times_display.offline_slow_hashing_1e4_per_second),
        warning=warning,
        suggestions=suggestions,
        evaluated_chars=len(evaluated),
    )
