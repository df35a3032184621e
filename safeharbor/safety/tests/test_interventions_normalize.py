# ruff: noqa: RUF001 -- the tests are made of look-alike characters.
"""Normalization: every evasion folds onto the same skeleton as the plain phrase, and the C
fast path, the regex path and the character-by-character reference agree."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from safeharbor.safety.interventions import normalize as normalization
from safeharbor.safety.interventions.normalize import (
    normalize,
    normalize_python,
    normalize_reference,
)

CORPORA = Path(__file__).parent / "corpora"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SUICIDE", " suicide "),
        ("Ｓｕｉｃｉｄｅ", " suicide "),  # fullwidth (NFKD)
        ("𝐬𝐮𝐢𝐜𝐢𝐝𝐞", " suicide "),  # mathematical bold (NFKD)
        ("ⓢⓤⓘⓒⓘⓓⓔ", " suicide "),  # circled letters (NFKD)
        ("sui\u200bci\u200dde\u2060", " suicide "),  # zero-width space, joiner, word joiner
        ("sui\u00adcide\ufe0f", " suicide "),  # soft hyphen, variation selector
        ("ѕuісіdе", " suicide "),  # Cyrillic dze, i, es, ie
        ("ѕυιcιdε", " suicide "),  # Cyrillic and Greek mixed
        ("su1c1d3", " suicide "),
        ("$uicide", " suicide "),
        ("s.u.i.c.i.d.e", " suicide "),
        ("s u i c i d e", " suicide "),
        ("s-u-i-c-i-d-e", " suicide "),
        ("s_u_i_c_i_d_e", " suicide "),
        ("suuuuiiiciiide", " suicide "),
        ("s̶u̶i̶c̶i̶d̶e̶", " suicide "),  # combining strikethrough
        ("suicídate", " suicidate "),  # Spanish accents fold away
        ("🇰🇲🇸", " kms "),  # regional indicator letters
    ],
)
def test_evasions_fold_onto_the_plain_word(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_l_1_and_i_meet_on_both_sides() -> None:
    assert normalize("kill") == normalize("ki11") == normalize("KILL") == normalize("k1ii")


def test_repeated_letters_collapse_the_same_way_in_terms_and_texts() -> None:
    assert normalize("kill myself") == normalize("kiiiiilllll myyyyself") == " ki myseif "


def test_punctuation_after_a_word_keeps_its_boundary() -> None:
    assert normalize("I want to die!") == " i want to die "
    assert normalize("I want to die!!!") == " i want to die "
    assert normalize("d!e") == " die "


def test_symbols_at_the_end_of_a_word_stand_for_letters() -> None:
    assert normalize("pro @n@") == " pro ana "
    assert normalize("h!t$") == " hits "


def test_apostrophes_vanish_so_dont_meets_don_t() -> None:
    assert normalize("don't") == normalize("don’t") == normalize("dont") == " dont "


def test_hyphens_and_hashtags_separate_words() -> None:
    assert normalize("self-harm") == normalize("self_harm") == normalize("#self harm")


def test_two_single_letters_are_not_joined_but_three_are() -> None:
    assert normalize("a b") == " a b "
    assert normalize("I want to d i e") == " i want to die "


def test_scripts_without_latin_look_alikes_keep_their_letters() -> None:
    # Letters that imitate no Latin letter are kept; only look-alikes are folded.
    assert "ж" in normalize("жизнь")
    assert "自殺" in normalize("自殺")


def test_emoji_and_punctuation_become_word_breaks() -> None:
    assert normalize("die😭😭") == " die "
    assert normalize("end...my...life") == " end my ife "


def test_empty_and_blank_texts_have_an_empty_skeleton() -> None:
    assert normalize("") == normalize("   ") == normalize("\u200b") == "  "


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPORA.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                texts.append(line.split("\t")[-1])
    return texts


def test_the_three_implementations_agree_on_the_corpora() -> None:
    texts = _corpus_texts()
    assert len(texts) > 1000
    for text in texts:
        assert normalize(text) == normalize_python(text) == normalize_reference(text), text


def test_the_three_implementations_agree_on_random_tricky_text() -> None:
    rng = random.Random(4)
    alphabet = "abcil1!$@|€¡ .-_'ßѕаο\u200b😭éÉ3 ＳkK\u0301ﬁ🇰𝐬\t\n自Ω"
    for _ in range(5_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert normalize(text) == normalize_python(text) == normalize_reference(text), text


def test_the_c_fast_path_is_built_here() -> None:
    # Without it normalize() falls back to the regex path (correct, about 20x slower).
    assert normalization._skeleton is not None
