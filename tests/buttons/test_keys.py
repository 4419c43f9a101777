"""The software debounce of one key, on gpiozero's own mock pins (which ignore bounce_time)."""
from __future__ import annotations

import threading
import time

import pytest

gpiozero = pytest.importorskip("gpiozero")
from gpiozero.pins.mock import MockFactory  # noqa: E402

from hallcall.buttons.keys import SETTLE_S, DebouncedKey  # noqa: E402

PIN = 17


class Clock:
    """The key measures how long it was held with this; the settle timer stays real."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def key():
    factory = MockFactory()
    clock = Clock()
    presses, holds = [], []
    button = gpiozero.Button(PIN, pull_up=True, hold_time=0.3, pin_factory=factory)
    k = DebouncedKey(button, lambda: presses.append(clock.now), lambda: holds.append(clock.now),
                     clock=clock)
    k.pin, k.clock, k.presses, k.holds = factory.pin(PIN), clock, presses, holds
    yield k
    k.close()


def settle():
    time.sleep(SETTLE_S * 3)


def edge(key, down: bool, at_ms: float):
    key.clock.now = 100.0 + at_ms / 1000
    key.pin.drive_low() if down else key.pin.drive_high()


def test_five_bounces_within_50ms_are_one_press(key):
    for i in range(5):  # down/up five times over 45 ms, as a worn contact does
        edge(key, True, i * 10)
        edge(key, False, i * 10 + 5)
    settle()
    assert len(key.presses) == 1
    assert key.holds == []


def test_bounce_on_release_is_still_one_press(key):
    edge(key, True, 0)
    # The contact chatters as the finger lifts: up, down, up, down, up within 8 ms.
    for i, t in enumerate((120, 122, 124, 126, 128)):
        edge(key, i % 2 == 1, t)
    settle()
    assert len(key.presses) == 1


def test_two_real_presses_are_two(key):
    edge(key, True, 0)
    edge(key, False, 120)
    settle()
    edge(key, True, 500)
    edge(key, False, 600)
    settle()
    assert len(key.presses) == 2


def test_a_spike_shorter_than_a_finger_is_no_press(key):
    edge(key, True, 0)
    edge(key, False, 3)  # electrical noise on a long wire
    settle()
    assert key.presses == []


def test_the_press_counts_only_once_the_key_is_released(key):
    edge(key, True, 0)
    time.sleep(SETTLE_S * 2)
    assert key.presses == []  # still down: it may yet become a hold
    edge(key, False, 150)
    settle()
    assert len(key.presses) == 1


def test_holding_fires_hold_once_and_the_release_does_nothing(key):
    done = threading.Event()
    key.on_hold = lambda: (key.holds.append(key.clock.now), done.set())
    edge(key, True, 0)
    assert done.wait(3), "when_held did not fire"
    time.sleep(0.5)  # still held: gpiozero must not fire it again (hold_repeat is off)
    edge(key, False, 2000)
    settle()
    assert len(key.holds) == 1
    assert key.presses == []


def test_a_failing_action_does_not_break_the_key(key):
    calls = []

    def boom():
        calls.append(1)
        raise RuntimeError("hub exploded")

    key.on_press = boom
    for start in (0, 500):
        edge(key, True, start)
        edge(key, False, start + 100)
        settle()
    assert len(calls) == 2
