"""One key on a GPIO pin, debounced in software.

gpiozero's `bounce_time` is not enough on its own: mock pins ignore it, and on real pins it only
drops edges that come too soon, so a contact that chatters on release can still look like a
second press. Here a press counts once the key has been released and stayed released for
`settle_s`, and only if it was held down for at least `min_press_s` (a spike on a long wire is
not a press). Any re-press inside the settle time is the same press bouncing. Holding the key for
the button's `hold_time` fires `on_hold` instead, and the release that follows does nothing.

The settle time is kept by the key's clock (real time on a Pi), so a test moves time by hand and
never sleeps for it; the hold is timed by gpiozero's own thread.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

SETTLE_S = 0.06  # contacts settle within a few ms; 60 ms covers poor ones
MIN_PRESS_S = 0.02  # shorter than any finger press, longer than electrical noise


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class KeyClock(Protocol):
    """What the keys (and the agent's LEDs) read the time from, and run a deferred action by. One
    object for both, so a test that moves the time also fires what was due by then."""

    def __call__(self) -> float: ...

    def call_later(self, delay: float, action: Callable[[], None]) -> Cancellable: ...


class MonotonicClock:
    """Real time: the monotonic clock, and a deferred action on a timer thread of its own."""

    def __call__(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, action: Callable[[], None]) -> threading.Timer:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        timer.start()
        return timer


class DebouncedKey:
    def __init__(self, button, on_press: Callable[[], None],
                 on_hold: Callable[[], None] | None = None,
                 settle_s: float = SETTLE_S, min_press_s: float = MIN_PRESS_S,
                 clock: KeyClock | None = None):
        self.button = button  # a gpiozero Button (anything with the same callbacks)
        self.on_press, self.on_hold = on_press, on_hold
        self.settle_s, self.min_press_s = settle_s, min_press_s
        self._clock = clock or MonotonicClock()
        self._lock = threading.Lock()
        self._down_since: float | None = None  # first edge of the press being bounced through
        self._held = False  # on_hold fired during this press
        self._settling: Cancellable | None = None
        self._released_at = 0.0
        button.when_pressed = self._pressed
        button.when_released = self._released
        if on_hold is not None:
            button.when_held = self._hold

    def _pressed(self) -> None:
        with self._lock:
            if self._settling is not None:  # back down before settling: a bounce
                self._settling.cancel()
                self._settling = None
            if self._down_since is None:
                self._down_since, self._held = self._clock(), False

    def _released(self) -> None:
        with self._lock:
            if self._down_since is None:
                return
            self._released_at = self._clock()
            if self._settling is not None:
                self._settling.cancel()
            self._settling = self._clock.call_later(self.settle_s, self._settled)

    def _settled(self) -> None:
        with self._lock:
            if self._settling is None or self._down_since is None:
                return
            self._settling = None
            if self.button.is_pressed:  # it went down again and that edge is still to come
                return
            lasted = self._released_at - self._down_since
            held, self._down_since = self._held, None
        if held or lasted < self.min_press_s:
            return
        self._fire(self.on_press)

    def _hold(self) -> None:
        with self._lock:
            if self._down_since is None or self._held:
                return
            self._held = True
        self._fire(self.on_hold)

    def _fire(self, action) -> None:
        try:
            action()
        except Exception:  # a key must keep working whatever one press did
            log.exception("key on %s", self.button.pin)

    def close(self) -> None:
        with self._lock:
            if self._settling is not None:
                self._settling.cancel()
                self._settling = None
        self.button.close()
