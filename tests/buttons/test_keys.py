"""The software debounce of one key, on gpiozero's own mock pins (which ignore bounce_time), on
a clock the test moves: a mock pin's edge reaches the key at once, and the settle time passes
only when the test says so."""
from __future__ import annotations

import threading

import pytest

gpiozero = pytest.importorskip("gpiozero")
from gpiozero.pins.mock import MockFactory  # noqa: E402

from hallcall.buttons.keys import MIN_PRESS_S, SETTLE_S, DebouncedKey  # noqa: E402

PIN = 17


@pytest.fixture
def key(key_clock):
    factory = MockFactory()
    presses, holds = [], []
    button = gpiozero.Button(PIN, pull_up=True, hold_time=0.3, pin_factory=factory)
    k = DebouncedKey(button, lambda: presses.append(key_clock.now),
                     lambda: holds.append(key_clock.now), clock=key_clock)
    k.pin, k.clock, k.presses, k.holds = factory.pin(PIN), key_clock, presses, holds
    yield k
    k.close()


def settle(key):
    key.clock.advance(SETTLE_S)


def edge(key, down: bool, at_ms: float):
    """The contact closes (down) or opens `at_ms` after the test began."""
    key.clock.advance(100.0 + at_ms / 1000 - key.clock.now)
    key.pin.drive_low() if down else key.pin.drive_high()


def test_five_bounces_within_50ms_are_one_press(key):
    for i in range(5):  # down/up five times over 45 ms, as a worn contact does
        edge(key, True, i * 10)
        edge(key, False, i * 10 + 5)
    settle(key)
    assert len(key.presses) == 1
    assert key.holds == []


def test_bounce_on_release_is_still_one_press(key):
    edge(key, True, 0)
    # The contact chatters as the finger lifts: up, down, up, down, up within 8 ms.
    for i, t in enumerate((120, 122, 124, 126, 128)):
        edge(key, i % 2 == 1, t)
    settle(key)
    assert len(key.presses) == 1


def test_the_press_counts_once_the_contact_has_stayed_open_for_the_settle_time(key):
    edge(key, True, 0)
    edge(key, False, 100)
    key.clock.advance(SETTLE_S * 0.9)
    assert key.presses == []  # it may still bounce shut
    key.clock.advance(SETTLE_S * 0.1)
    assert key.presses == [100.0 + 0.1 + SETTLE_S]


def test_two_real_presses_are_two(key):
    edge(key, True, 0)
    edge(key, False, 120)
    settle(key)
    edge(key, True, 500)
    edge(key, False, 600)
    settle(key)
    assert len(key.presses) == 2


def test_a_spike_shorter_than_a_finger_is_no_press(key):
    edge(key, True, 0)
    edge(key, False, MIN_PRESS_S * 1000 / 2)  # electrical noise on a long wire
    settle(key)
    assert key.presses == []


def test_the_press_counts_only_once_the_key_is_released(key):
    edge(key, True, 0)
    key.clock.advance(SETTLE_S * 2)
    assert key.presses == []  # still down: it may yet become a hold
    edge(key, False, 150)
    settle(key)
    assert len(key.presses) == 1


def test_holding_fires_hold_once_and_the_release_does_nothing(key):
    # gpiozero's own hold thread times the hold (hold_time 0.3 s, real time): wait for it.
    done = threading.Event()
    key.on_hold = lambda: (key.holds.append(key.clock.now), done.set())
    edge(key, True, 0)
    assert done.wait(3), "when_held did not fire"
    key.button.when_held()  # the same hold reported again: still one
    edge(key, False, 2000)
    settle(key)
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
        settle(key)
    assert len(calls) == 2
