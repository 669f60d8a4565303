"""The translation catalogues: complete for the five languages besides English, current with
the code, compiled (and the compiled files committed, so a machine without GNU gettext shows
the translations)."""

import os
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import to_locale

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# What a translation must carry over from its English: %(name)s, %s, %d, and {{ var }}.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]|\{\{ *[a-z_0-9.]+ *\}\}")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(LOCALE / to_locale(language) / "LC_MESSAGES" / "django.po")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    assert len(po) > 500
    empty = [entry.msgid for entry in po if not entry.translated() and not entry.obsolete]
    fuzzy = [entry.msgid for entry in po if entry.fuzzy]
    assert not empty, f"{len(empty)} untranslated in {language}: {empty[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language):
    wrong = []
    for entry in catalogue(language):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            # A plural form for "one" may say the number in words, without %(counter)s.
            got = sorted(PLACEHOLDER.findall(text))
            if entry.msgid_plural and set(got) <= set(wanted):
                continue
            if got != wanted:
                wrong.append(f"{entry.msgid!r} -> {text!r}")
    assert not wrong, f"{len(wrong)} in {language}:\n" + "\n".join(wrong[:10])


# How many plural forms each language has (CLDR; Spanish and Russian as gettext or CLDR count).
PLURAL_FORMS = {"fr": {2}, "es": {2, 3}, "ar": {6}, "ru": {3, 4}, "zh-hans": {1}}


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_follow_the_language(language):
    po = catalogue(language)
    forms = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))
    assert forms in PLURAL_FORMS[language]
    short = [
        entry.msgid for entry in po if entry.msgid_plural and len(entry.msgstr_plural) != forms
    ]
    assert not short, f"{language}: entries without {forms} plural forms: {short[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_compiled_catalogue_is_current(language):
    po = catalogue(language)
    mo = polib.mofile(LOCALE / to_locale(language) / "LC_MESSAGES" / "django.mo")
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in mo}
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in po
        if entry.translated() and not entry.obsolete
    }
    assert compiled == source, "run `make messages` and commit the .mo files"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_every_marked_string_is_in_the_catalogues(tmp_path):
    """Extract again from a copy of the code: nothing marked may be missing from the
    committed catalogues (a string marked after the last `make messages` would show in
    English)."""
    root = Path(settings.BASE_DIR)
    for name in ("manage.py",):
        shutil.copy(root / name, tmp_path / name)
    for folder in (
        "config",
        "clusters",
        "commitments",
        "missions",
        "reports",
        "formats",
        "templates",
    ):
        shutil.copytree(
            root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    env = {
        **os.environ,
        "ICSM_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "-v", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = polib.pofile(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    committed = {(entry.msgctxt, entry.msgid) for entry in catalogue("fr") if not entry.obsolete}
    missing = [entry.msgid for entry in extracted if (entry.msgctxt, entry.msgid) not in committed]
    assert not missing, f"{len(missing)} marked strings not in the catalogues: {missing[:10]}"


MARKERS = {"_", "gettext", "pgettext", "ngettext", "gettext_lazy", "pgettext_lazy"}
MARKED = re.compile(rf"\b({'|'.join(MARKERS)})\(")
F_STRING = re.compile(r"(?i)[rb]*f")


def _marked_in_f_strings(path: Path) -> list[str]:
    """Where an f-string of `path` holds a marked string."""
    found, depth = [], 0  # depth: 3.12 and later give an f-string's parts tokens of their own
    with tokenize.open(path) as source:
        for token in tokenize.generate_tokens(source.readline):
            if token.type == getattr(tokenize, "FSTRING_START", None):
                depth += 1
            elif token.type == getattr(tokenize, "FSTRING_END", None):
                depth -= 1
            elif (depth and token.type == tokenize.NAME and token.string in MARKERS) or (
                # 3.11: the f-string is one token.
                token.type == tokenize.STRING
                and F_STRING.match(token.string)
                and MARKED.search(token.string)
            ):
                found.append(f"{path}:{token.start[0]}")
    return found


def test_no_string_is_marked_inside_an_f_string():
    """xgettext (0.21) reads no f-string: a string marked inside one never reaches the
    catalogues, and shows in English in every language."""
    found = []
    for folder in ("config", "clusters", "commitments", "missions", "reports", "formats"):
        for path in (Path(settings.BASE_DIR) / folder).rglob("*.py"):
            found += _marked_in_f_strings(path)
    assert not found, found
