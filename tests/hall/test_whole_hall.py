"""The whole hall, end to end, as real processes: `hallcall demo --headless` runs the hub server
process, a headless kiosk that takes numbers by posted touches and prints to a file, call keys on
gpiozero mock pins driven by the real buttons agent, and the hall board and window 3's screen as
their own headless processes, the board's announcer writing WAVs.

Every link of the chain is then checked from the outside, from what each part left behind: the
printer's bytes, the hub's SQLite file, the screens' screenshots (read back by OCR) and the WAVs.
"""
from __future__ import annotations

import json
import math
import sqlite3
import struct
import wave

import pytest
from demo_run import headless_demo
from escpos_decode import decode
from ocr import needs_tesseract, read_png, read_region

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """The session's demo hall run (tests/demo_run.py: it starts with two small past days,
    which tests/demo checks); every test below reads what its live part left."""
    out, _ = headless_demo(tmp_path_factory)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    return out, summary


def numbers(summary) -> list[tuple[str, str]]:
    return [(c["number"], c["window"]) for c in summary["citizens"]]


def files_of_the_calls(summary, suffix: str) -> list[str]:
    """What the board and the announcer name each call: the two calls, then the recall."""
    (first, w1), (second, w2) = numbers(summary)
    calls = [(first, w1), (second, w2), (first, w1)]
    return [f"{i:04d}-{n}-window-{w}{suffix}" for i, (n, w) in enumerate(calls, 1)]


def test_two_citizens_got_printed_tickets(hall):
    out, summary = hall
    printed = decode((out / "printer.escpos").read_bytes())
    assert printed.commands.count("CUT") == 2  # one ticket each, no reprint
    big = [text for text, size in printed.lines if size >= 3]  # the number is printed large
    assert big == [n for n, _ in numbers(summary)]
    assert len(printed.qr) == 2 and all("/t/" in q for q in printed.qr)
    assert any("企业名称预先核准" in line for line in printed.text)  # the service, in Chinese


def test_the_keys_called_them_and_the_held_key_recalled(hall):
    out, summary = hall
    (first, w1), (second, w2) = numbers(summary)
    db = sqlite3.connect(out / "hall.db")
    try:
        # Today's: the days before it are the run's history (tests/demo checks them).
        today = "(SELECT max(day) FROM tickets)"
        rows = dict((n, (status, window, calls)) for n, status, window, calls in db.execute(
            f"SELECT number, status, window, calls FROM tickets WHERE day = {today}"))
        ids = {i for (i,) in db.execute(f"SELECT id FROM tickets WHERE day = {today}")}
        events = [(t, data["ticket"]["number"]) for t, data in (
            (t, json.loads(d)) for t, d in db.execute(
                "SELECT type, data FROM events WHERE type IN ('ticket.called', "
                "'ticket.recalled') ORDER BY seq")) if data["ticket"]["id"] in ids]
    finally:
        db.close()
    assert rows == {first: ("called", w1, 2), second: ("called", w2, 1)}
    assert events == [("ticket.called", first), ("ticket.called", second),
                      ("ticket.recalled", first)]


def test_every_call_was_spoken(hall):
    out, summary = hall
    wavs = sorted((out / "speech").glob("*.wav"))
    assert [p.name for p in wavs] == files_of_the_calls(summary, ".wav")
    for path in wavs:
        with wave.open(str(path)) as w:
            frames = w.readframes(w.getnframes())
            seconds = w.getnframes() / w.getframerate()
        samples = struct.unpack(f"<{len(frames) // 2}h", frames)
        rms = math.sqrt(sum(s * s for s in samples) / len(samples))
        # A chime, then the Chinese and the English sentence: seconds of sound, not silence.
        assert seconds > 3 and rms > 300, (path.name, seconds, rms)


@needs_tesseract
def test_every_call_was_shown_on_the_board_and_above_its_window(hall, tmp_path):
    import pygame

    from hallcall.display.layout import compute

    out, summary = hall
    (first, _), _ = numbers(summary)
    board = sorted((out / "board").glob("*.png"))
    assert [p.name for p in board] == files_of_the_calls(summary, ".png")
    hero = compute((1920, 1080)).hero  # where the board shows the call it is making
    for path in board[:2]:
        number = path.name.split("-")[1]
        text = read_region(pygame.image.load(str(path)), hero, tmp_path / f"hero-{path.name}")
        assert number in text and "号窗口" in text, text
    above = sorted((out / "window-3").glob("*.png"))
    assert [p.name for p in above] == [f"0001-{first}-window-3.png", f"0002-{first}-window-3.png"]
    assert first in read_png(above[0])


@needs_tesseract
def test_the_kiosk_showed_each_citizen_their_number(hall, tmp_path):
    import pygame

    out, summary = hall
    shots = sorted((out / "kiosk").glob("*.png"))
    assert len(shots) == 2
    for shot, (number, _) in zip(shots, numbers(summary), strict=True):
        image = pygame.image.load(str(shot))
        w, h = image.get_size()
        card = pygame.Rect(0, h * 12 // 100, w * 47 // 100, h * 76 // 100)  # "您的号码" and below
        text = read_region(image, card, tmp_path / shot.name, max_height=300, psm=11)
        assert number in text and "您的号码" in text, text


def test_the_leds_show_which_windows_are_calling(hall):
    _, summary = hall
    # Windows 1 and 3 called and nobody has arrived yet; windows 2 and 4 called nobody.
    assert summary["leds"] == {"1": True, "2": False, "3": True, "4": False}
