# ruff: noqa: RUF001, RUF002, RUF003 -- this module is about look-alike characters.
"""Normalization of texts and terms before matching: one skeleton that evasions collapse onto.

Both the term lists and the checked texts go through the same function, so whatever a fold
loses it loses on both sides and the two still meet. The steps, in order:

1. NFKD (compatibility decomposition: fullwidth, mathematical, circled and ligature letters
   become plain letters; accented letters become a base letter and a combining mark). Skipped
   for ASCII text, where it changes nothing.
2. One ``str.translate`` pass with a table built once per process that, per character:
   deletes format characters (Unicode category Cf: zero-width space and joiners, soft hyphen,
   bidirectional controls, tags), variation selectors, invisible fillers, apostrophes and the
   combining diacritics that follow Latin letters (U+0300-036F and its supplements); case-folds;
   folds confusables to the Latin letter they imitate (Cyrillic "а", Greek "ο", Cherokee, ...
   from Unicode's confusables data shipped in ``confusable_homoglyphs``); maps leetspeak digits
   (0 o, 1 i, 3 e, 4 a, 5 s, 7 t, 8 b, 9 g) and folds "l" to "i" (so "1" read as "l" or "i"
   meets both); and turns every other character that is not a letter or digit into a space.
   Letters of other scripts that imitate no Latin letter are kept as they are.
3. Symbols used as letters ("$uicide", "k!ll", "@nor3xia", "pro @n@") are mapped only inside
   or at the edge of a word: "!", "|" and "¡" when a letter or digit follows them (so "I want to
   die!" keeps its word boundary), "$", "@" and "€" also when one comes before them.
4. Runs of three or more single letters separated by spaces are joined ("s u i c i d e",
   "s.u.i.c.i.d.e", "s-u-i-c-i-d-e" all end as "suicide").
5. Runs of one repeated character collapse to one ("suuuicide" -> "suicide"; "kill" -> "ki"
   on both sides, which is why every term is normalized by this same function), including
   runs of spaces.

The result is padded with one space on each side so that a term padded the same way matches
only at word boundaries (see ``matcher.py``).

Three implementations agree (the tests check it on the corpora and on random text):
``normalize_reference`` goes one character at a time with no regular expressions and is the
specification; ``normalize_python`` uses ``str.translate`` and three regular expressions
(about 35 us for 180 characters); ``normalize`` uses the small C extension ``_skeleton`` for
steps 2 to 5 (about 1 us) and falls back to ``normalize_python`` when it is not built.
"""

from __future__ import annotations

import array
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

try:
    from safeharbor.safety.interventions import _skeleton
except ImportError:  # not built: the pure-Python path gives the same answers, slower
    _skeleton = None  # type: ignore[assignment,unused-ignore]

LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
# Symbols that stand for letters only inside a word (followed by a letter or digit).
LEET_SYMBOLS = {"!": "i", "$": "s", "@": "a", "|": "i", "€": "e", "¡": "i"}
# Of those, the ones that also stand for a letter at the end of a word ("h!t$", "pro @n@").
WORD_END_SYMBOLS = "$@€"
# "l" and "1" and "I" are interchangeable in evasions; fold all to "i" on both sides.
LETTER_FOLDS = {"l": "i"}
APOSTROPHES = "'’‘ʼ`´ʹ′"
# Well-known look-alikes that Unicode's confusables data does not list as Latin letters.
EXTRA_LOOKALIKES = {
    "ε": "e", "є": "e", "υ": "u", "η": "n", "τ": "t", "κ": "k", "ν": "v", "ω": "w",
    "я": "r", "и": "n", "ш": "w", "ι": "i", "ρ": "p", "χ": "x", "ч": "y", "д": "a",
    "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ß": "ss", "æ": "ae", "œ": "oe",
}  # fmt: skip
INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0\u2800"  # Hangul fillers, braille blank
COMBINING_DIACRITICS = [(0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                        (0xFE20, 0xFE2F)]  # fmt: skip
VARIATION_SELECTORS = [(0xFE00, 0xFE0F), (0xE0100, 0xE01EF)]
# Planes scanned when building the table: the BMP, the Supplementary Multilingual Plane (emoji,
# mathematical letters, regional indicators) and the tags block. Plane 2 and 3 are CJK
# ideographs, which are letters and stay as they are; the tags and variation selectors go.
SCANNED_RANGES = [(0, 0x20000), (0xE0000, 0xE01F0)]


def _in_ranges(code: int, ranges: list[tuple[int, int]]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def _deleted(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or char in INVISIBLE_LETTERS
        or char in APOSTROPHES
        or _in_ranges(code, COMBINING_DIACRITICS)
        or _in_ranges(code, VARIATION_SELECTORS)
    )


@cache
def _latin_lookalikes() -> dict[str, str]:
    """Characters that imitate one ASCII letter or digit, from Unicode's confusables data."""
    import confusable_homoglyphs

    path = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    data: dict[str, list[dict[str, str]]] = json.loads(path.read_text(encoding="utf-8"))

    def latin(value: str) -> str | None:
        value = value.casefold()
        return value if len(value) == 1 and value.isascii() and value.isalnum() else None

    lookalikes: dict[str, str] = {}

    def offer(char: str, target: str) -> None:
        if char.isascii() or len(char) != 1:
            return
        current = lookalikes.get(char)
        # A letter beats a digit ("О" is "o", not "0").
        if current is None or (current.isdigit() and target.isalpha()):
            lookalikes[char] = target

    for key, entries in data.items():
        key_target = latin(key)
        for entry in entries:
            other = entry["c"]
            if key_target is not None:
                offer(other, key_target)
            other_target = latin(other)
            if other_target is not None:
                offer(key, other_target)
    lookalikes.update(EXTRA_LOOKALIKES)
    return lookalikes


def _fold_letter(char: str, lookalikes: dict[str, str]) -> str:
    """The final form of one character that survived deletion (may be several characters)."""
    out = []
    target = lookalikes.get(char)
    pieces = target if target is not None else char.casefold()
    for piece in pieces:
        piece = lookalikes.get(piece, piece) if not piece.isascii() else piece
        for letter in piece:
            letter = LEET_DIGITS.get(letter, letter)
            letter = LETTER_FOLDS.get(letter, letter)
            out.append(letter if letter.isalnum() else " ")
    return "".join(out)


def _regional_indicators() -> dict[int, str]:
    # 🇸 🇺 ... (regional indicator symbols) read as letters when used one by one.
    return {0x1F1E6 + offset: LETTER_FOLDS.get(chr(97 + offset), chr(97 + offset))
            for offset in range(26)}  # fmt: skip


@cache
def translation_table() -> dict[int, str | None]:
    """The per-character table of step 2; only characters that change are stored."""
    lookalikes = _latin_lookalikes()
    table: dict[int, str | None] = {}
    for low, high in SCANNED_RANGES:
        for code in range(low, high):
            if 0xD800 <= code <= 0xDFFF:
                continue
            char = chr(code)
            if _deleted(char):
                table[code] = None
                continue
            folded = _fold_letter(char, lookalikes)
            if folded != char:
                table[code] = folded
    table.update(_regional_indicators())
    return table


_SYMBOL_IN_WORD = re.compile(
    "[" + re.escape("".join(LEET_SYMBOLS)) + r"](?=[^\W_])"
    r"|(?<=[^\W_])[" + re.escape(WORD_END_SYMBOLS) + "]"
)
_SINGLE_LETTER_RUN = re.compile(r"(?<!\S)\w(?: +\w(?!\S)){2,}")
_REPEATS = re.compile(r"(.)\1+", re.DOTALL)


def _join_single_letters(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def _symbol_letter(match: re.Match[str]) -> str:
    return LEET_SYMBOLS[match.group()]


C_TABLE_SIZE = 0x20000
_C_DELETE = 0xFFFFFFFF
_C_MULTI = 0xFFFFFFFE


_C_TABLES: tuple[bytes, dict[int, str | None]] | None = None


def _c_tables() -> tuple[bytes, dict[int, str | None]]:
    """The translation table as the C extension reads it: a flat uint32 array for the first
    planes, and a dict for multi-character results and the code points above (built once)."""
    global _C_TABLES
    if _C_TABLES is not None:
        return _C_TABLES
    flat = array.array("I", range(C_TABLE_SIZE))
    extra: dict[int, str | None] = {}
    for code, value in translation_table().items():
        if code < C_TABLE_SIZE and value is None:
            flat[code] = _C_DELETE
        elif code < C_TABLE_SIZE and len(value or "") == 1:
            flat[code] = ord(value or "")
        else:
            extra[code] = value
            if code < C_TABLE_SIZE:
                flat[code] = _C_MULTI
    _C_TABLES = (flat.tobytes(), extra)
    return _C_TABLES


_SYMBOLS = "".join(LEET_SYMBOLS)
_SYMBOL_LETTERS = "".join(LEET_SYMBOLS.values())


def normalize(text: str) -> str:
    """The matching skeleton of ``text``, padded with one space on each side."""
    if _skeleton is None:
        return normalize_python(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    flat, extra = _C_TABLES or _c_tables()
    return _skeleton.skeleton(text, flat, extra, _SYMBOLS, _SYMBOL_LETTERS, WORD_END_SYMBOLS)


def normalize_python(text: str) -> str:
    """``normalize`` with ``str.translate`` and regular expressions (no C extension)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    if "!" in text or "$" in text or "@" in text or "|" in text or "€" in text or "¡" in text:
        text = _SYMBOL_IN_WORD.sub(_symbol_letter, text)  # the others become spaces below
    text = text.translate(translation_table())
    text = _SINGLE_LETTER_RUN.sub(_join_single_letters, text)
    text = _REPEATS.sub(r"\1", text)
    return f" {text.strip(' ')} "


def normalize_reference(text: str) -> str:
    """``normalize`` one character at a time, with no regular expressions (the specification)."""
    lookalikes = _latin_lookalikes()
    decomposed = unicodedata.normalize("NFKD", text)
    # Step 3 first, as in the fast path: symbols followed by a letter or digit become letters.
    chars = list(decomposed)
    with_symbols = []
    for index, char in enumerate(chars):
        if char in LEET_SYMBOLS:
            following = chars[index + 1] if index + 1 < len(chars) else ""
            # The character before as the input has it (not as already mapped).
            preceding = chars[index - 1] if index > 0 else ""
            in_word = following.isalnum() or (char in WORD_END_SYMBOLS and preceding.isalnum())
            with_symbols.append(LEET_SYMBOLS[char] if in_word else char)
        else:
            with_symbols.append(char)
    regional = _regional_indicators()
    folded = []
    for char in with_symbols:
        if ord(char) in regional:
            folded.append(regional[ord(char)])
        elif not _in_scanned_planes(char):
            folded.append(char)
        elif _deleted(char):
            continue
        else:
            folded.append(_fold_letter(char, lookalikes))
    words = "".join(folded).split(" ")
    # Step 4: join runs of three or more one-character words.
    joined: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run.clear()

    for word in words:
        if word == "":
            continue
        if len(word) == 1 and (word.isalnum() or word == "_"):
            run.append(word)
        else:
            flush()
            joined.append(word)
    flush()
    # Step 5: collapse repeated characters (spaces already single after the split).
    collapsed: list[str] = []
    for char in " ".join(joined):
        if not collapsed or collapsed[-1] != char:
            collapsed.append(char)
    return f" {''.join(collapsed)} "


def _in_scanned_planes(char: str) -> bool:
    return any(low <= ord(char) < high for low, high in SCANNED_RANGES)
