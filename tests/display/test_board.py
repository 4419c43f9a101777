"""The wall board, headless, against a real hub on loopback: calls flash and are listed once,
a dropped stream catches up without replaying anything. Screenshots go to tmp_path and
/tmp/display-shots (HALLCALL_DISPLAY_SHOTS)."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from kiosk_support import step_until
from ocr import read_region

SHOTS = Path(os.environ.get("HALLCALL_DISPLAY_SHOTS", "/tmp/display-shots"))


class BoardClock:
    """The board's monotonic clock, moved only by the test (flashes and their colours follow it)."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def make_display():
    from hallcall.display.bootstrap import build_board
    apps = []

    def make(url, **kw):
        kw.setdefault("windowed", True)
        kw.setdefault("clock", BoardClock())
        apps.append(build_board(url, retry_s=0.2, **kw))
        return apps[-1]

    yield make
    for app in apps:
        app.close()


def shot(app, tmp_path, name):
    import pygame
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{name}.png"
    pygame.image.save(app.screen, str(path))
    shutil.copy(path, SHOTS / path.name)
    return path


def ocr_finds(app, rect, tmp_path, name, wanted) -> bool:
    """Whether tesseract reads `wanted` in a region of the screen, in either colour of the flash
    (the board's clock is moved on to the other one); skips the test without tesseract."""
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed: the number on the screen cannot be read back")
    from hallcall.display.board import FLASH_PERIOD_S
    text = ""
    for attempt in range(3):
        text = read_region(app.screen, rect, tmp_path / f"{name}-{attempt}-ocr.png")
        if wanted in text:
            return True
        app.clock.advance(FLASH_PERIOD_S)
        app.step()
    print(text)
    return False


def call(hub, window, service="company-name", issue=True):
    if issue:
        hub.hub.issue(service)
    ticket = hub.hub.act(window, "call-next").ticket
    return ticket.number


def numbers(app):
    return [c["ticket"]["number"] for c in app.recent]


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720), (800, 480)])
def test_a_call_flashes_large_and_is_listed(live_hub, make_display, tmp_path, size):
    hub = live_hub()
    old = call(hub, "1")  # before the board starts: history, never flashed
    for service in ("company-name", "company-setup", "social-insurance", "foreign-trade", "company-name"):
        hub.hub.issue(service)
    app = make_display(hub.url, size=size)
    step_until(app, lambda: app.hall is not None and not app.offline)
    assert numbers(app) == [old] and app.flashing is None
    new = call(hub, "3", issue=False)
    step_until(app, lambda: app.flashing is not None)
    assert app.flashing == (new, "3")
    assert numbers(app) == [new, old]
    step_until(app, lambda: app.state.windows["3"]["current"]["number"] == new)
    step_until(app, lambda: app.state.waiting())  # the counts arrived with a snapshot
    app.step()
    shot(app, tmp_path, f"board-{size[0]}x{size[1]}")
    assert ocr_finds(app, app.layout.hero, tmp_path, f"board-{size[0]}x{size[1]}", new)
    assert app.state.flashed == [(new, "3")]


def test_window_mode_shows_its_number_and_flashes_only_its_calls(live_hub, make_display, tmp_path):
    hub = live_hub()
    app = make_display(hub.url, size=(800, 480), window="3")
    step_until(app, lambda: app.hall is not None and not app.offline)
    other = call(hub, "1")
    mine = call(hub, "3")
    step_until(app, lambda: app.flashing is not None)
    assert app.flashing == (mine, "3") and other in numbers(app)
    shot(app, tmp_path, "window-3-800x480")
    assert ocr_finds(app, app.layout.hero, tmp_path, "window-3", mine)
    assert app.state.flashed == [(mine, "3")]


def test_after_a_dropped_stream_every_call_shows_once(live_hub, make_display, tmp_path):
    with socket.socket() as s:  # a fixed port, so the restarted hub may bind it again at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hub = live_hub(port=port)
    now = [1000.0]
    app = make_display(hub.url, size=(1280, 720), clock=lambda: now[0])
    step_until(app, lambda: app.hall is not None and not app.offline)
    before = [call(hub, w) for w in ("1", "2")]
    step_until(app, lambda: len(app.recent) == 2)
    hub.stop()  # the link drops; calls go on at a hub restarted on the same file and port
    step_until(app, lambda: app.offline)
    shot(app, tmp_path, "offline-1280x720")
    hub = live_hub(port=port)
    during = [call(hub, w) for w in ("3", "4", "1")]
    step_until(app, lambda: len(app.recent) == 5 and not app.offline, timeout=10)
    after = [call(hub, "2")]
    step_until(app, lambda: len(app.recent) == 6)
    everything = before + during + after
    assert sorted(numbers(app)) == sorted(everything) and len(set(numbers(app))) == 6
    while app.flashing is not None:  # let every queued flash have its turn
        now[0] += 2.5
        app.step()
    # Each call flashed exactly once, in calling order; the two from before the drop were not
    # replayed when the stream resumed.
    assert [n for n, _w in app.state.flashed] == everything
    assert numbers(app) == everything[::-1]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_the_board_speaks_new_calls_only_in_order(live_hub, make_display, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    hub = live_hub()
    call(hub, "1")  # before the board starts: history, never spoken
    spoken = tmp_path / "spoken"
    app = make_display(hub.url, size=(800, 480), speak_to=str(spoken))
    step_until(app, lambda: app.hall is not None and app.announcer is not None)
    first = call(hub, "2")
    second = call(hub, "3")
    hub.hub.act("2", "recall")
    last = hub.hub.bus.last_seq
    step_until(app, lambda: app.state.seen >= last)  # the recall has reached the board
    assert app.announcer.wait_idle(60)
    said = [(s.number, s.path.name.split("-window-")[1]) for s in app.announcer.spoken]
    assert said == [(first, "2.wav"), (second, "3.wav"), (first, "2.wav")]
    assert len(list(spoken.glob("*.wav"))) == 3
