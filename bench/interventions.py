"""Benchmark of the intervention check (safeharbor.safety.interventions), one core.

    python -m bench.interventions           # smoke size (CI): 20,000 texts, 3 repetitions
    python -m bench.interventions --full    # 200,000 texts, 7 repetitions

Goal (issue 4): with 10,000 terms, short texts (<= 280 characters) checked at >= 100,000 texts/s
on one core, normalization included, and >= 50x a regular-expression baseline measured in the
same run. The term list is the shipped English and Spanish terms plus generated plausible
phrases ("<lead-in> <verb> <object>") up to 10,000 distinct normalized terms, and the English
allowed phrases. Texts mix everyday posts (the benign corpora, alone and joined up to 280
characters) with evasive crisis texts (the evasion corpora), about one in five.

Figures (medians over the repetitions, each a pass over all texts):
- check: ``Matcher.check(text)``: normalization (C fast path), Aho-Corasick, allow-list, tiers;
- normalization alone, with the C fast path and with the pure-Python (regex) path;
- baseline: one compiled ``re`` alternation of the same 10,000 normalized terms between ``\\b``
  boundaries, ``findall`` over the texts **already normalized** (so the baseline's figure
  excludes normalization while ours includes it), on a sample of the texts because it is slow.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from safeharbor.safety.interventions import normalize as normalization
from safeharbor.safety.interventions.matcher import Matcher, Term, skeleton

ROOT = Path(__file__).resolve().parent.parent / "safeharbor" / "safety"
TERMS_DIR = ROOT / "data" / "terms"
CORPORA = ROOT / "tests" / "corpora"
TERM_COUNT = 10_000
MAX_TEXT = 280
GOAL_TEXTS_PER_SECOND = 100_000
GOAL_RATIO = 50.0

LEAD_INS = [
    "i want to", "going to", "how to", "thinking about", "ready to", "gonna", "wanna",
    "planning to", "trying to", "need to", "about to", "might", "should i", "i will",
    "tonight i will", "i keep", "cant stop", "want to", "decided to", "im going to",
]  # fmt: skip
VERBS = [
    "hurt", "cut", "burn", "starve", "punish", "hit", "poison", "drown", "choke", "strangle",
    "bruise", "scratch", "purge", "overdose", "bleed", "break", "harm", "injure", "destroy",
    "erase", "end", "disappear", "vanish", "leave", "quit", "stop", "kill", "shoot", "hang",
    "stab", "slice", "scar", "wreck", "ruin", "bury", "abandon", "isolate", "silence", "numb",
    "unalive",
]  # fmt: skip
OBJECTS = [
    "myself", "my body", "my arms", "my legs", "my wrists", "my skin", "my life", "everything",
    "it all", "for good", "forever", "tonight", "again", "this time", "for real", "my thighs",
    "my stomach", "my face", "my chest", "my hands",
]  # fmt: skip


def _lines(path: Path) -> list[str]:
    return [
        line for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]  # fmt: skip


def build_terms() -> tuple[list[Term], list[str]]:
    terms: list[Term] = []
    allow: list[str] = []
    seen: set[str] = set()
    for locale in ("en", "es"):
        document = json.loads((TERMS_DIR / f"{locale}.json").read_text(encoding="utf-8"))
        for term in document["terms"]:
            key = skeleton(term["phrase"])
            if key not in seen:
                seen.add(key)
                terms.append(Term(term["phrase"], term["tier"], term["topic"]))
        if locale == "en":
            allow = list(document["allow"])
    rng = random.Random(7)
    combos = [f"{a} {v} {o}" for a in LEAD_INS for v in VERBS for o in OBJECTS]
    rng.shuffle(combos)
    for phrase in combos:
        if len(terms) >= TERM_COUNT:
            break
        key = skeleton(phrase)
        if key and key not in seen:
            seen.add(key)
            tier = "crisis" if rng.random() < 0.3 else "topic"
            terms.append(Term(phrase, tier, "self-harm"))
    assert len(terms) == TERM_COUNT, len(terms)
    return terms, allow


def build_texts(count: int, rng: random.Random) -> list[str]:
    benign = _lines(CORPORA / "benign_en.txt") + _lines(CORPORA / "benign_es.txt")
    evasive = [line.split("\t")[-1] for line in _lines(CORPORA / "evasion_en.txt")]
    evasive += [line.split("\t")[-1] for line in _lines(CORPORA / "evasion_es.txt")]
    texts = []
    for _ in range(count):
        if rng.random() < 0.2:
            text = rng.choice(benign) + " " + rng.choice(evasive)
        else:
            text = rng.choice(benign)
            while rng.random() < 0.5:
                text += " " + rng.choice(benign)
        texts.append(text[:MAX_TEXT])
    return texts


def passes(call: Callable[[str], object], texts: Sequence[str], repeat: int) -> list[float]:
    """Seconds per pass over all texts, one per repetition."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            call(text)
        seconds.append(time.perf_counter() - started)
    return seconds


def rate(texts: Sequence[str], seconds: list[float]) -> float:
    return len(texts) / statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="200,000 texts, 7 repetitions")
    args = parser.parse_args()
    count, repeat, baseline_count = (200_000, 7, 4_000) if args.full else (20_000, 3, 1_000)
    rng = random.Random(20261122)

    started = time.perf_counter()
    terms, allow = build_terms()
    normalization.translation_table()
    normalization._c_tables()
    table_seconds = time.perf_counter() - started
    started = time.perf_counter()
    matcher = Matcher(terms, allow)
    build_seconds = time.perf_counter() - started
    texts = build_texts(count, rng)
    mean_length = sum(map(len, texts)) / len(texts)
    flagged = sum(matcher.check(text).level != "none" for text in texts)

    check_rate = rate(texts, passes(matcher.check, texts, repeat))
    normalize_rate = rate(texts, passes(normalization.normalize, texts, repeat))
    sample = texts[:baseline_count]
    python_rate = rate(sample, passes(normalization.normalize_python, sample, max(1, repeat // 2)))

    started = time.perf_counter()
    cores = sorted({skeleton(term.phrase) for term in terms}, key=len, reverse=True)
    alternation = re.compile(r"\b(?:" + "|".join(map(re.escape, cores)) + r")\b")
    regex_build = time.perf_counter() - started
    normalized_sample = [normalization.normalize(text) for text in sample]
    baseline_rate = rate(
        normalized_sample, passes(alternation.findall, normalized_sample, max(1, repeat // 2))
    )
    ours_on_sample = rate(sample, passes(matcher.check, sample, repeat))

    print(f"intervention check: {TERM_COUNT:,} terms, {len(allow)} allowed phrases, one core")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, Python {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # fmt: skip
    print(f"texts: {len(texts):,}, mean {mean_length:.0f} characters (max {MAX_TEXT}), "
          f"{flagged / len(texts):.1%} flagged; medians of {repeat} passes")  # fmt: skip
    print(f"setup: translation tables {table_seconds:.2f} s (once per process), "
          f"automaton {build_seconds * 1e3:.0f} ms, "
          f"regex baseline compile {regex_build:.2f} s")  # fmt: skip
    print()
    print(f"{'':<46}{'texts/s':>14}{'us/text':>10}")
    rows = [
        ("check (normalize + match), all texts", check_rate),
        ("check, baseline sample", ours_on_sample),
        ("normalize only, C fast path", normalize_rate),
        ("normalize only, pure-Python path (sample)", python_rate),
        ("baseline: re alternation, pre-normalized", baseline_rate),
    ]
    for name, value in rows:
        print(f"{name:<46}{value:>14,.0f}{1e6 / value:>10.2f}")
    ratio = ours_on_sample / baseline_rate
    print()
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"check vs regex alternation on the same {len(sample):,} texts: {ratio:,.0f}x "
          f"(goal >= {GOAL_RATIO:.0f}x): {verdict}")  # fmt: skip
    print(f"check throughput: {check_rate:,.0f} texts/s (goal >= {GOAL_TEXTS_PER_SECOND:,}): "
          f"{'met' if check_rate >= GOAL_TEXTS_PER_SECOND else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
