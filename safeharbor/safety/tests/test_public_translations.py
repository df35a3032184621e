"""Spanish is complete for the public Safety Center: every string its templates, views and the
directory's choice labels use has a translation that is neither empty nor fuzzy."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

from safeharbor.safety.models import ContactMethod, Organization, Population, Topic

SAFETY = Path(__file__).resolve().parent.parent
TEMPLATES = [
    *sorted((SAFETY / "templates" / "safety" / "public").glob("*.html")),
    *sorted((SAFETY / "templates" / "safety" / "partials").glob("*.html")),
    Path(settings.BASE_DIR) / "core" / "templates" / "base.html",
]
PYTHON_SOURCES = [SAFETY / "views.py", SAFETY / "models.py"]
CHOICES = [
    Topic, Population, Organization.Kind, Organization.Cost, Organization.Anonymity,
    ContactMethod.Kind,
]  # fmt: skip
# Each language the Safety Center is translated into, besides the source language.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
LITERAL = r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"


def catalogue(language: str) -> dict[object, str]:
    locale_dir = Path(settings.LOCALE_PATHS[0])
    with open(locale_dir / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        return gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]


def template_msgids(path: Path) -> set[str]:
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = {ast.literal_eval(m) for m in re.findall(rf"\bgettext\(({LITERAL})\)", code)}
    for context, message in re.findall(rf"\bpgettext\(({LITERAL}), ({LITERAL})\)", code):
        found.add(f"{ast.literal_eval(context)}\x04{ast.literal_eval(message)}")
    assert "ngettext(" not in code, f"{path.name}: add plural support to this test"
    return found


def python_msgids(path: Path) -> set[str]:
    code = path.read_text(encoding="utf-8")
    calls = re.findall(r"\b(?:_|gettext|gettext_lazy)\(\s*((?:" + LITERAL + r"\s*)+)", code)
    return {"".join(ast.literal_eval(part) for part in re.findall(LITERAL, call)) for call in calls}


def po_entries(language: str) -> list[tuple[list[str], str, str]]:
    """(comment lines, msgid, msgstr) of each entry of the .po file."""
    text = (Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po").read_text(
        encoding="utf-8"
    )
    entries = []
    for block in text.split("\n\n"):
        comments = [line for line in block.splitlines() if line.startswith("#")]
        strings: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgstr ", "msgctxt ")):
                key, _space, literal = line.partition(" ")
                strings[key] = ast.literal_eval(literal)
            elif line.startswith('"') and key:
                strings[key] += ast.literal_eval(line)
        if strings.get("msgid"):
            entries.append((comments, strings["msgid"], strings.get("msgstr", "")))
    return entries


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_every_template_string_is_translated(language: str, template: Path) -> None:
    translations = catalogue(language)
    msgids = template_msgids(template)
    assert msgids, f"{template.name} has no translatable strings?"
    missing = sorted(m for m in msgids if not translations.get(m))
    assert missing == [], f"untranslated in {language}: {missing}"


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("source", PYTHON_SOURCES, ids=lambda path: path.name)
def test_every_python_string_is_translated(language: str, source: Path) -> None:
    translations = catalogue(language)
    msgids = python_msgids(source)
    assert msgids
    assert sorted(m for m in msgids if not translations.get(m)) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_choice_label_of_the_directory_is_translated(language: str) -> None:
    translations = catalogue(language)
    labels = {str(label) for choices in CHOICES for label in choices.labels}
    assert sorted(label for label in labels if not translations.get(label)) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_safety_center_translation_is_fuzzy(language: str) -> None:
    ours = ("safety/templates/safety/public", "safety/templates/safety/partials",
            "core/templates/base.html", "safety/views.py", "safety/country.py",
            "safety/models.py")  # fmt: skip
    for comments, msgid, msgstr in po_entries(language):
        if any(place in line for line in comments for place in ours):
            assert msgstr, f"empty translation of {msgid!r}"
            assert not any(line.startswith("#,") and "fuzzy" in line for line in comments), msgid


def test_the_test_finds_what_the_templates_use() -> None:
    msgids = template_msgids(SAFETY / "templates" / "safety" / "public" / "help.html")
    assert "Get help now" in msgids
    assert "Helplines where you are: %(country_name)s" in msgids
    assert "Call %(number)s" in python_msgids(SAFETY / "views.py")
