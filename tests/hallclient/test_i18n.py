"""The devices' catalogs: every message the code shows has its Chinese translation, placeholders
survive translation, and each committed .mo is its .po compiled."""
from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from hallcall.hallclient.i18n import KEYWORDS, LANGUAGES, gettext_for, locale_dir, ngettext_for

REPO = Path(__file__).resolve().parents[2]
# The packages whose screens take their words from the catalog (a device joins this list when
# its messages are in the catalog).
SOURCES = ("kiosk", "display", "hallclient")


def po_path(lang: str) -> Path:
    return Path(locale_dir()) / lang / "LC_MESSAGES" / "hallcall.po"


def catalog(lang: str):
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def used_messages() -> set:
    used = set()
    for source in SOURCES:
        for found in extract_from_dir(str(REPO / source), keywords=KEYWORDS):
            used.add(found[2])
    return used


def fields(text) -> set[str]:
    texts = text if isinstance(text, (tuple, list)) else (text,)
    return {f for t in texts for f in re.findall(r"\{(\w*)\}", t or "")}


def messages(compiled) -> dict:
    """id -> translation of a compiled catalog (plural forms as tuples)."""
    tup = lambda v: tuple(v) if isinstance(v, (list, tuple)) else v  # noqa: E731
    return {tup(m.id): tup(m.string) for m in compiled if m.id}


def test_every_message_on_a_device_screen_has_a_chinese_translation():
    used = used_messages()
    assert used, "no messages found: the extraction keywords no longer match the code"
    translated = {m.id: m.string for m in catalog("zh") if m.id}
    missing = sorted(map(str, used - set(translated)))
    assert not missing, f"add these to {po_path('zh')} and compile (see hallclient/i18n.py): {missing}"
    empty = sorted(str(m) for m in translated if not all(translated[m] if isinstance(translated[m], tuple)
                                                        else (translated[m],)))
    assert not empty, f"translate these in {po_path('zh')}: {empty}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_their_placeholders(lang):
    for m in catalog(lang):
        if m.id:
            assert fields(m.string) == fields(m.id), f"{lang}: {m.id!r} -> {m.string!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalog_matches_its_source(lang):
    buf = BytesIO()
    write_mo(buf, catalog(lang))
    buf.seek(0)
    fresh = messages(read_mo(buf))
    with po_path(lang).with_suffix(".mo").open("rb") as f:
        shipped = messages(read_mo(f))
    assert shipped == fresh, "compile the catalogs: pybabel compile -d hallclient/locale -D hallcall"


def test_each_language_speaks_its_own():
    assert gettext_for("zh")("Waiting: {n}") == "等候 {n} 人"
    assert gettext_for("en")("Waiting: {n}") == "Waiting: {n}"
    ahead = ("{n} person ahead of you", "{n} people ahead of you")
    assert ngettext_for("en")(*ahead, 1) == "{n} person ahead of you"
    assert ngettext_for("en")(*ahead, 3) == "{n} people ahead of you"
    assert ngettext_for("zh")(*ahead, 3) == "前面还有 {n} 人"
