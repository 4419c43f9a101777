"""The Chinese catalog: complete for every message the devices show, and compiled."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from hallclient.i18n import gettext_for, locale_dir

REPO = Path(__file__).resolve().parents[2]
PO = Path(locale_dir()) / "zh" / "LC_MESSAGES" / "hallcall.po"
MO = PO.with_suffix(".mo")


def catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


def test_every_message_on_a_device_screen_has_a_chinese_translation():
    used = {msgid for _file, _line, msgid, _comments, _context in
            extract_from_dir(str(REPO / "kiosk"), keywords={"t": None, "both": None})}
    translated = {m.id: m.string for m in catalog() if m.id}
    assert used, "no messages found: the extraction keywords no longer match the code"
    missing = sorted(used - set(translated))
    assert not missing, f"add these to {PO} and run pybabel compile: {missing}"
    assert all(translated[m] for m in used)


def test_the_compiled_catalog_matches_its_source():
    buf = BytesIO()
    write_mo(buf, catalog())
    buf.seek(0)
    fresh = {m.id: m.string for m in read_mo(buf) if m.id}
    with MO.open("rb") as f:
        shipped = {m.id: m.string for m in read_mo(f) if m.id}
    assert shipped == fresh, "run: pybabel compile -d hallclient/locale -D hallcall"


def test_english_falls_back_to_the_message_itself():
    assert gettext_for("zh")("Waiting: {n}") == "等候 {n} 人"
    assert gettext_for("en")("Waiting: {n}") == "Waiting: {n}"
