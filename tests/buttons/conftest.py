"""The keys' clock, moved by the test: debouncing and the failed-press blink then take exactly
the time the test says, however busy the machine is."""
from __future__ import annotations

import threading

import pytest


class ManualClock:
    """A KeyClock (hallcall.buttons.keys) that moves only in `advance`, which runs every deferred
    action that has come due, in order, in the test's own thread."""

    def __init__(self, now: float = 100.0):
        self.now = now
        self._due: list[list] = []  # [when, order, action, cancelled]
        self._order = 0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, action):
        with self._lock:
            self._order += 1
            entry = [self.now + delay, self._order, action, False]
            self._due.append(entry)
        return _Handle(entry)

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while True:
            with self._lock:
                ready = sorted((e for e in self._due if e[0] <= end and not e[3]),
                               key=lambda e: (e[0], e[1]))
                if not ready:
                    self._due = [e for e in self._due if not e[3]]
                    break
                entry = ready[0]
                self._due.remove(entry)
                self.now = max(self.now, entry[0])
            entry[2]()
        self.now = end


class _Handle:
    def __init__(self, entry: list):
        self._entry = entry

    def cancel(self) -> None:
        self._entry[3] = True


@pytest.fixture
def key_clock():
    return ManualClock()
