"""The intervention matcher: one Aho-Corasick automaton per locale over normalized terms.

Word boundaries. Normalized text is letters, digits and single spaces, padded with a space at
each end, so a term padded the same way (" kill myself ") only matches whole words: "therapist"
does not contain " rapist ". A side of a term whose edge is in a script written without spaces
(Chinese, Japanese, Thai, Lao, Khmer, Myanmar) is not padded, so those terms match anywhere.
Spaced-out letters are joined by normalization ("k i l l m y s e l f" -> "kimyseif"), and so are
hashtags ("#killmyself"); every multi-word term therefore also gets a variant without spaces.
Such a variant of 8 characters or more needs no boundary on its left, so "#gonnakillmyself"
matches too; shorter ones keep both boundaries.

Deciding a text, from all (overlapping) occurrences of terms and allowed phrases:
1. An allowed phrase suppresses a term occurrence when it reaches at least to the end of the
   term and starts no later than the term's last word: "suicide squad" suppresses "suicide",
   "matarme a estudiar" suppresses "quiero matarme", but "cut myself on" does not suppress the
   longer term "cut myself on purpose".
2. The most specific term wins: an occurrence inside a longer term's occurrence is dropped
   ("suicide prevention" is a topic term, so it shows a banner, not the interstitial of
   "suicide").
3. Any crisis-tier occurrence left makes the level "interstitial", else any topic-tier one makes
   it "banner", else "none". Topics are listed crisis tier first, then in order of appearance.

Matchers are built once per (locale, version) in each worker process. A worker looks for a
newer saved version of a locale at most every ``RELOAD_SECONDS``, so an edit reaches every
worker within that delay; the worker that saved it forgets its matcher at once.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick_rs

from safeharbor.safety.interventions.normalize import normalize

RELOAD_SECONDS = 5.0
NONE, BANNER, INTERSTITIAL = "none", "banner", "interstitial"
CRISIS, TOPIC = "crisis", "topic"
UNBOUNDED_LEFT_MIN = 8  # characters of a spaceless multi-word variant matched inside a word

# Scripts written without spaces between words: no word boundary is required there.
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "HAN")


def _written_without_spaces(char: str) -> bool:
    name = unicodedata.name(char, "")
    return any(name.startswith(script) for script in _UNSPACED_SCRIPTS)


@dataclass(frozen=True)
class Term:
    phrase: str
    tier: str
    topic: str


@dataclass(frozen=True)
class Verdict:
    level: str
    topics: list[str] = field(default_factory=list)


NO_INTERVENTION = Verdict(NONE, [])


def skeleton(phrase: str) -> str:
    """A phrase as the matcher sees it, without the padding: what duplicates are judged on."""
    return normalize(phrase).strip(" ")


def patterns_of(phrase: str) -> list[tuple[str, int]]:
    """The patterns a term or allowed phrase is searched as, each with the offset in it of
    the space before its last word (where an allowed phrase must start to suppress it)."""
    core = skeleton(phrase)
    if not core:
        return []
    variants = [_padded(core)]
    if " " in core:
        joined = skeleton(core.replace(" ", ""))
        if len(joined) >= UNBOUNDED_LEFT_MIN:
            variants.append(joined + (" " if not _written_without_spaces(joined[-1]) else ""))
        else:
            variants.append(_padded(joined))
    out = []
    for pattern in variants:
        last_space = pattern.rfind(" ", 0, len(pattern) - 1)
        out.append((pattern, max(last_space, 0)))
    return out


def _padded(core: str) -> str:
    left = "" if _written_without_spaces(core[0]) else " "
    right = "" if _written_without_spaces(core[-1]) else " "
    return f"{left}{core}{right}"


@dataclass(frozen=True)
class _Pattern:
    term: Term | None  # None: an allowed phrase
    last_word_offset: int


class Matcher:
    """Matches one locale's term list; immutable, shared by the threads of a worker."""

    def __init__(self, terms: Iterable[Term], allow: Iterable[str]) -> None:
        index: dict[str, int] = {}
        payloads: list[list[_Pattern]] = []

        def add(pattern: str, payload: _Pattern) -> None:
            if pattern not in index:
                index[pattern] = len(payloads)
                payloads.append([])
            payloads[index[pattern]].append(payload)

        self.term_count = 0
        for term in terms:
            for pattern, offset in patterns_of(term.phrase):
                add(pattern, _Pattern(term, offset))
            self.term_count += 1
        for phrase in allow:
            for pattern, offset in patterns_of(phrase):
                add(pattern, _Pattern(None, offset))
        self._payloads = payloads
        self._automaton = (
            ahocorasick_rs.AhoCorasick(list(index), matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
            if index
            else None
        )

    def check(self, text: str) -> Verdict:
        return self.check_normalized(normalize(text))

    def check_normalized(self, normalized: str) -> Verdict:
        if self._automaton is None:
            return NO_INTERVENTION
        found = self._automaton.find_matches_as_indexes(normalized, overlapping=True)
        if not found:
            return NO_INTERVENTION
        allowed: list[tuple[int, int]] = []
        hits: list[tuple[int, int, _Pattern]] = []
        for pattern_index, start, end in found:
            for payload in self._payloads[pattern_index]:
                if payload.term is None:
                    allowed.append((start, end))
                else:
                    hits.append((start, end, payload))
        if not hits:
            return NO_INTERVENTION
        kept = [
            (start, end, payload)
            for start, end, payload in hits
            if not any(
                a_start <= start + payload.last_word_offset and a_end >= end
                for a_start, a_end in allowed
            )
        ]
        specific = [
            (start, end, payload)
            for start, end, payload in kept
            if not any(
                o_start <= start and end <= o_end and (o_end - o_start) > (end - start)
                for o_start, o_end, _ in kept
            )
        ]
        if not specific:
            return NO_INTERVENTION
        specific.sort(key=lambda hit: (hit[2].term.tier != CRISIS, hit[0]))  # type: ignore[union-attr]
        topics: list[str] = []
        for _, _, payload in specific:
            assert payload.term is not None
            if payload.term.topic not in topics:
                topics.append(payload.term.topic)
        crisis = any(payload.term.tier == CRISIS for _, _, payload in specific)  # type: ignore[union-attr]
        return Verdict(INTERSTITIAL if crisis else BANNER, topics)


# --- The per-process cache -------------------------------------------------------------------


@dataclass
class _Cached:
    version_id: int
    matcher: Matcher
    checked_at: float


_cache: dict[str, _Cached] = {}
_locales: tuple[float, list[str]] | None = None
_lock = threading.Lock()


def _clock() -> float:
    # Wall-clock time (not monotonic) so that tests can move it with time-machine.
    return time.time()


def forget_matchers(locale: str | None = None) -> None:
    """Drop cached matchers (one locale, or all) and the cached list of locales."""
    global _locales
    with _lock:
        if locale is None:
            _cache.clear()
        else:
            _cache.pop(locale, None)
        _locales = None


def matcher_for(locale: str) -> Matcher | None:
    """The matcher of a locale's newest term list, or None when the locale has no list."""
    from safeharbor.safety.models import TermListVersion

    now = _clock()
    cached = _cache.get(locale)
    if cached is not None and now - cached.checked_at < RELOAD_SECONDS:
        return cached.matcher
    newest = (
        TermListVersion.objects.filter(locale=locale)
        .order_by("-number")
        .values_list("pk", flat=True)
        .first()
    )
    if newest is None:
        forget_matchers(locale)
        return None
    if cached is not None and cached.version_id == newest:
        cached.checked_at = now
        return cached.matcher
    with _lock:
        cached = _cache.get(locale)
        if cached is not None and cached.version_id == newest:
            return cached.matcher
        version = TermListVersion.objects.get(pk=newest)
        matcher = Matcher(
            (Term(t["phrase"], t["tier"], t["topic"]) for t in version.terms), version.allow
        )
        _cache[locale] = _Cached(newest, matcher, now)
        return matcher


def available_locales() -> list[str]:
    """The locales that have a term list (cached like the matchers)."""
    global _locales
    from safeharbor.safety.models import TermListVersion

    now = _clock()
    if _locales is not None and now - _locales[0] < RELOAD_SECONDS:
        return _locales[1]
    locales = sorted(set(TermListVersion.objects.values_list("locale", flat=True)))
    _locales = (now, locales)
    return locales


def resolve_locale(requested: str) -> str | None:
    """The term-list locale for a requested one: exact ("pt-BR"), else its language ("es-MX"
    falls back to "es"); None when neither has a list. Case and "_" or "-" do not matter."""
    wanted = requested.strip().replace("_", "-").casefold()
    by_key = {locale.casefold(): locale for locale in available_locales()}
    if wanted in by_key:
        return by_key[wanted]
    return by_key.get(wanted.split("-")[0])
