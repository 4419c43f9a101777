"""The call keys and LEDs of one Pi's windows, driven from the hub's state.

A press becomes one window action, tried once: if it fails (the hub refused it, or did not answer
within a few seconds) the window's LED blinks fast for a while and the press is forgotten. It is
never sent again later, because a late call-next would call a citizen nobody is waiting for.
While the hub cannot be reached every LED blinks slowly. Otherwise a window's LED is lit while
its ticket is called and the citizen has not arrived, so a clerk sees at a glance that the hall
displays are showing their number.

Threads: gpiozero's callbacks only hand a press to a small pool (one press in flight per window,
more presses meanwhile are dropped); one loop thread owns the LEDs and the state they show, fed by
the hub link's feed and the pool's results through a queue.
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hallcall.events import DAY_RESET

from .keys import DebouncedKey, KeyClock, MonotonicClock
from .links import ActionFailed

log = logging.getLogger(__name__)

FAILED_BLINK_S = 4.0  # how long a failed press is shown
# (on, off) seconds: fast for "your press failed", slow for "the hub is unreachable".
BLINK_FAILED = (0.1, 0.1)
BLINK_OFFLINE = (0.5, 0.5)

# What each key does when pressed; `call` also recalls when held (see WindowKeys).
KEY_ACTIONS = {
    "call": ("call-next", None),
    "recall": ("recall", None),
    "no_show": ("no-show", {"requeue": False}),
    "finish": ("finish", None),
    "satisfied": ("rate", {"rating": "satisfied"}),
    "basic": ("rate", {"rating": "basic"}),
    "unsatisfied": ("rate", {"rating": "unsatisfied"}),
}


class WiringError(ValueError):
    """The wiring handed to the agent is unusable (it names the entry)."""


@dataclass
class _Window:
    id: str
    keys: list
    led: object | None
    called: bool = False  # a ticket is called here and not yet started
    failed_until: float = 0.0
    busy: bool = False
    shown: tuple | None = None  # the LED mode last set, so it is set only on a change


class ButtonsAgent:
    """`wiring` is the hall config's keys for this Pi, as the hub describes them:
    {"hold_seconds": 2.0, "pull_up": true, "buttons": [{"window", "pins": {key: pin}, "led_pin"}]}.
    `link` is an HttpLink or LocalLink; `pin_factory` a gpiozero factory (None: gpiozero's choice,
    lgpio on a Pi 4 or 5); `clock` the time the keys debounce by and a failed press blinks by
    (real time unless a test moves it)."""

    def __init__(self, wiring: dict, link, pin_factory=None, clock: KeyClock | None = None,
                 failed_blink_s: float = FAILED_BLINK_S):
        from gpiozero import LED, Button  # here, so the hub imports gpiozero only with --buttons

        self.link, self.failed_blink_s = link, failed_blink_s
        self.clock = clock or MonotonicClock()
        self.inbox: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self.windows: dict[str, _Window] = {}
        self.online = False
        self.seen_seq = 0  # the newest event applied: an older snapshot must not undo it
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="buttons-press")
        hold_s = float(wiring.get("hold_seconds", 2.0))
        pull_up = bool(wiring.get("pull_up", True))
        entries = wiring.get("buttons") or []
        if not entries:
            raise WiringError("no keys are wired to this device in the hall config "
                              "([[gpio.buttons]])")
        try:
            for entry in entries:
                wid = entry["window"]
                keys = []
                for key, pin in entry["pins"].items():
                    if key not in KEY_ACTIONS:
                        raise WiringError(f"window {wid}: unknown key {key!r}")
                    button = Button(pin, pull_up=pull_up, bounce_time=None, hold_time=hold_s,
                                    pin_factory=pin_factory)
                    hold = (lambda w=wid: self.press(w, "recall")) if key == "call" else None
                    keys.append(DebouncedKey(button, lambda w=wid, k=key: self.press(w, k), hold,
                                             clock=self.clock))
                led = (LED(entry["led_pin"], pin_factory=pin_factory)
                       if entry.get("led_pin") is not None else None)
                self.windows[wid] = _Window(wid, keys, led)
        except Exception:
            self._close_devices()
            raise
        self.feed = link.feed(self.inbox)
        self._loop = threading.Thread(target=self._run, name="buttons-leds", daemon=True)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> "ButtonsAgent":
        self.feed.start()
        self._loop.start()
        return self

    def close(self) -> None:
        self.stop_event.set()
        self.inbox.put(("stop", None))
        self.feed.close()
        if self._loop.is_alive():
            self._loop.join(timeout=3)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._close_devices()
        self.link.close()

    def _close_devices(self) -> None:
        for w in self.windows.values():
            for key in w.keys:
                key.close()
            if w.led is not None:
                w.led.close()

    # -- presses --------------------------------------------------------------------------------

    def press(self, window_id: str, key: str) -> bool:
        """A debounced key press; False when dropped because this window's last press is still
        on its way to the hub."""
        w = self.windows[window_id]
        with self._lock:
            if w.busy or self.stop_event.is_set():
                log.info("window %s: %s ignored, the previous press is still in flight",
                         window_id, key)
                return False
            w.busy = True
        self._pool.submit(self._send, w, key)
        return True

    def _send(self, w: _Window, key: str) -> None:
        action, body = KEY_ACTIONS[key]
        try:
            result = self.link.act(w.id, action, body)
        except ActionFailed as exc:
            log.warning("window %s: %s failed: %s", w.id, action, exc.message)
            self.inbox.put(("failed", w.id))
        except Exception:
            log.exception("window %s: %s failed", w.id, action)
            self.inbox.put(("failed", w.id))
        else:
            log.info("window %s: %s -> %s", w.id, action,
                     (result.get("ticket") or {}).get("number", "nobody"))
            self.inbox.put(("window", result.get("window")))
        finally:
            with self._lock:
                w.busy = False

    # -- the LED loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                kind, value = self.inbox.get(timeout=0.1)
            except queue.Empty:
                kind = value = None
            try:
                if kind == "hall" and value.get("last_event", 0) >= self.seen_seq:
                    self.seen_seq = value.get("last_event", 0)
                    for window in value.get("windows", []):
                        self._set_window(window)
                elif kind == "window":
                    self._set_window(value)
                elif kind == "event":
                    self._apply_event(value)
                elif kind == "failed" and value in self.windows:
                    self.windows[value].failed_until = self.clock() + self.failed_blink_s
                self.online = bool(self.feed.online)
                self._show()
            except Exception:
                log.exception("buttons: updating the LEDs")

    def _set_window(self, window: dict | None) -> None:
        if not window or window.get("id") not in self.windows:
            return
        current = window.get("current") or {}
        self.windows[window["id"]].called = current.get("status") == "called"

    def _apply_event(self, event: dict) -> None:
        self.seen_seq = max(self.seen_seq, event.get("seq", 0))
        if event.get("type") == DAY_RESET:
            # The roll-over cancels only waiting tickets: a number called at a window stays
            # there, and so does its lit LED, until the clerk ends it.
            return
        window_id = (event.get("window") or {}).get("id")
        ticket = event.get("ticket")
        if window_id in self.windows and ticket is not None:
            # Every ticket event at a window says what that ticket is now: called there (lit),
            # or started, finished, gone, moved on (not lit).
            self.windows[window_id].called = (ticket.get("status") == "called"
                                              and ticket.get("window") == window_id)

    def led_mode(self, window_id: str) -> tuple:
        w = self.windows[window_id]
        if not self.online:
            return ("blink", *BLINK_OFFLINE)
        if self.clock() < w.failed_until:
            return ("blink", *BLINK_FAILED)
        return ("on",) if w.called else ("off",)

    def _show(self) -> None:
        for w in self.windows.values():
            mode = self.led_mode(w.id)
            if w.led is None or mode == w.shown:
                continue
            if mode[0] == "blink":
                w.led.blink(on_time=mode[1], off_time=mode[2], background=True)
            elif mode[0] == "on":
                w.led.on()
            else:
                w.led.off()
            w.shown = mode  # after the LED took it, so `shown` never runs ahead of the pin
