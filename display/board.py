"""The wall board: hall name, date and clock; the latest call large, flashing for a few seconds;
recent calls; each window's current number; waiting counts per service; a scrolling marquee of
the hall's notices; a discreet mark when the hub is unreachable. With `window=ID` it is the small
screen above one window: its name and current number, flashing on a call.

`step()` takes what the hub sent and draws one frame, so tests drive it frame by frame; `run()`
loops it. Only the marquee band is redrawn on frames where nothing else changed (about twice as
fast as full redraws, docs/design.md)."""
from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pygame

from hallcall.hallclient.feed import Feed
from hallcall.hallclient.i18n import gettext_for

from . import render
from .layout import compute
from .state import BoardState

if TYPE_CHECKING:
    from .announcer import Announcer

log = logging.getLogger(__name__)

FLASH_PERIOD_S = 0.5  # the flashing call changes colour this often
PAGE_S = 8.0  # panels with more items than rows turn a page this often
HIGH_CONTRAST_ENV = "HALLCALL_HIGH_CONTRAST"
TRUE_WORDS = ("1", "true", "yes", "on")


class DisplayApp:
    def __init__(self, feed: Feed, size=(1920, 1080), window: str | None = None,
                 windowed: bool = False, make_announcer: Callable[[dict], Announcer] | None = None,
                 clock=time.monotonic, now=None, shots_to: str | None = None,
                 high_contrast: bool | None = None):
        """`feed` (not started) puts the hall into its inbox; `make_announcer`, when given, makes
        the announcer from the first snapshot (display/bootstrap.py wires both). `high_contrast`
        (default: $HALLCALL_HIGH_CONTRAST) draws white and yellow on black (render.py)."""
        pygame.init()
        flags = 0 if windowed else pygame.FULLSCREEN
        self.screen = pygame.display.set_mode(size, flags)
        pygame.display.set_caption("hallcall display")
        pygame.mouse.set_visible(windowed)
        self.size = size
        self.window = window
        self.make_announcer = make_announcer
        self.announcer: Announcer | None = None  # made with the first snapshot: its settings
        self.clock = clock
        self._now = now
        self.layout = compute(size, window_mode=window is not None)
        self.state = BoardState(only_window=window)
        self.feed, self.inbox = feed, feed.inbox
        self.feed.start()
        self.offline = False
        self.running = True
        self.frames = 0
        self.full_frames = 0
        self._drawn_key = None
        if high_contrast is None:
            high_contrast = os.environ.get(HIGH_CONTRAST_ENV, "").strip().lower() in TRUE_WORDS
        self.set_high_contrast(high_contrast)
        # A headless board (hallcall demo --headless, the whole-hall test) shows what it showed
        # by saving the screen each time a new call starts flashing.
        self.shots_to = Path(shots_to) if shots_to else None
        if self.shots_to:
            self.shots_to.mkdir(parents=True, exist_ok=True)
        self._shot_of = None
        self.shots = 0

    def set_high_contrast(self, on: bool) -> None:
        """Switch palettes; the next frame is drawn whole in the new one."""
        self.palette = render.HIGH_CONTRAST if on else render.STANDARD
        self._marquee = render.Marquee(self.layout, self.palette)
        self._drawn_key = None

    # -- what tests and the announcer read ---------------------------------------------------

    @property
    def flashing(self) -> tuple[str, str] | None:
        """(ticket number, window id) of the call flashing now, or None."""
        f = self.state.flash
        return (f["ticket"]["number"], f["window"]["id"]) if f else None

    @property
    def recent(self) -> list[dict]:
        """Recent call events, newest first, one per ticket."""
        return self.state.recent

    @property
    def hall(self) -> dict | None:
        return self.state.hall

    # -- text -----------------------------------------------------------------------------

    def both(self, message: str) -> tuple[str, str]:
        return gettext_for("zh")(message), message

    def now(self) -> datetime:
        if self._now is not None:
            return self._now()
        zone = (self.state.hall or {}).get("timezone")
        return datetime.now(ZoneInfo(zone) if zone else None)

    # -- the loop -------------------------------------------------------------------------

    def receive(self) -> None:
        now = self.clock()
        while True:
            try:
                kind, value = self.inbox.get_nowait()
            except queue.Empty:
                break
            if kind == "hall":
                self.state.apply_snapshot(value)
                if self.make_announcer is not None and self.announcer is None:
                    self.announcer = self.make_announcer(value)
                elif self.announcer is not None and "announcer" in value:
                    self.announcer.follow(value["announcer"])  # changed live by the staff
            elif kind == "event":
                new = self.state.apply_event(value, now)
                # Only news is spoken: a call from the snapshot or a replayed event is history.
                if new and self.announcer is not None and (
                        self.window is None or (value.get("window") or {}).get("id") == self.window):
                    self.announcer.announce_event(value)
        self.state.tick(now)
        self.offline = not self.feed.online

    def step(self) -> None:
        """Take the news and draw one frame. Nothing in here may stop the board."""
        try:
            self.receive()
            self.draw()
            if self.shots_to is not None:
                self._save_shot()
        except Exception:
            log.exception("display step")
            self._drawn_key = None
        self.frames += 1

    def _save_shot(self) -> None:
        flash = self.state.flash
        if flash is None or flash is self._shot_of:
            return
        self._shot_of = flash
        self.shots += 1
        number, window = self.flashing
        name = f"{self.shots:04d}-{number}-window-{window}.png"
        tmp = self.shots_to / f".{name}"
        pygame.image.save(self.screen, str(tmp))
        os.replace(tmp, self.shots_to / name)  # whoever waits for the file never reads half

    def run(self, fps: int = 60) -> None:
        ticker = pygame.time.Clock()
        if threading.current_thread() is threading.main_thread():
            # systemd (and hallcall demo) stop the board with SIGTERM: close cleanly.
            signal.signal(signal.SIGTERM, lambda *_: setattr(self, "running", False))
        while self.running:
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN
                                                 and event.key == pygame.K_ESCAPE):
                    self.running = False
            self.step()
            ticker.tick(fps)
        self.close()

    def close(self) -> None:
        self.feed.close()
        if self.announcer is not None:
            self.announcer.close()
        pygame.quit()

    # -- drawing --------------------------------------------------------------------------

    def flash_phase(self) -> int | None:
        if self.state.flash is None:
            return None
        return int((self.clock() - self.state.flash_started) / FLASH_PERIOD_S) % 2

    def page(self) -> int:
        return int(self.clock() / PAGE_S)

    def draw(self) -> None:
        now = self.now()
        key = (self.state.version, now.strftime("%H:%M:%S"), self.flash_phase(), self.page(),
               self.offline)
        if key != self._drawn_key:
            render.board(self, self.screen, now)
            self._marquee.set_notices(self.state.notices)
            self._marquee.draw(self.screen, self.clock())
            pygame.display.flip()
            self._drawn_key = key
            self.full_frames += 1
        else:
            pygame.display.update(self._marquee.draw(self.screen, self.clock()))
