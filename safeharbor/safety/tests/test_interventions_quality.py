"""The shipped lists against the corpora: evasions are caught, everyday text is left alone.

Corpora (tests/corpora/): evasion_<locale>.txt, tab-separated expected level, expected topic,
how the variant was made and the text; benign_<locale>.txt, one text per line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safeharbor.safety.interventions import matcher as matchers
from safeharbor.safety.interventions.matcher import matcher_for
from safeharbor.safety.interventions.services import load_shipped_term_lists

pytestmark = pytest.mark.django_db

CORPORA = Path(__file__).parent / "corpora"
MIN_RECALL = 0.95
MAX_FALSE_INTERVENTIONS = 0.02


@pytest.fixture(autouse=True)
def _shipped_lists():
    matchers.forget_matchers()
    load_shipped_term_lists()
    yield
    matchers.forget_matchers()


def lines(name: str) -> list[str]:
    text = (CORPORA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def evasions(locale: str) -> list[tuple[str, str, str, str]]:
    rows = [tuple(line.split("\t")) for line in lines(f"evasion_{locale}.txt")]
    assert all(len(row) == 4 for row in rows)
    return rows  # type: ignore[return-value]


def test_the_corpora_are_as_large_as_promised() -> None:
    assert len(evasions("en")) + len(evasions("es")) >= 200
    assert len(evasions("en")) >= 200
    assert len(lines("benign_en.txt")) + len(lines("benign_es.txt")) >= 500
    kinds = {row[2] for row in evasions("en")}
    for kind in ("leet", "cyrillic", "greek", "zero-width", "spaced", "dotted", "repeated", "hand"):
        assert kind in kinds


@pytest.mark.parametrize("locale", ["en", "es"])
def test_evasions_are_caught_at_the_expected_level_and_topic(locale: str) -> None:
    matcher = matcher_for(locale)
    assert matcher is not None
    rows = evasions(locale)
    missed = []
    for level, topic, kind, text in rows:
        verdict = matcher.check(text)
        if verdict.level != level or topic not in verdict.topics:
            missed.append((kind, text, verdict))
    recall = 1 - len(missed) / len(rows)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed: {missed}"


@pytest.mark.parametrize("locale", ["en", "es"])
def test_everyday_texts_rarely_trigger_an_intervention(locale: str) -> None:
    matcher = matcher_for(locale)
    assert matcher is not None
    texts = lines(f"benign_{locale}.txt")
    flagged = [(text, matcher.check(text)) for text in texts if matcher.check(text).level != "none"]
    rate = len(flagged) / len(texts)
    assert rate <= MAX_FALSE_INTERVENTIONS, f"false interventions {rate:.3f}: {flagged}"


@pytest.mark.parametrize(
    "text",
    [
        "killing it at the gym",
        "the Suicide Squad film",
        "dying my hair",
        "this exam is killing me",
        "I could die laughing",
        "cutting onions",
        "overdosed on coffee lol",
        "my therapist is great",
        "we drove 300 kms today",
        "Me voy a matar a estudiar",
        "Voy a cortarme el pelo",
    ],
)
def test_the_idioms_named_in_the_issue_do_not_trigger(text: str) -> None:
    locale = "es" if text.startswith(("Me ", "Voy ")) else "en"
    assert matcher_for(locale).check(text).level == "none"  # type: ignore[union-attr]
