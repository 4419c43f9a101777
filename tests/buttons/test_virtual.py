"""The virtual key panel of `hallcall demo`: a click or a number key drives the same mock pin a
real key would, and the real agent calls the ticket and lights the panel's LED."""
from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("gpiozero")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
pygame = pytest.importorskip("pygame")

from live_hub import LiveHub  # noqa: E402

from hallcall.buttons.keys import SETTLE_S  # noqa: E402
from hallcall.buttons.virtual import KeyPanel, VirtualKeys, panel_labels  # noqa: E402
from hallcall.hallclient import HubClient  # noqa: E402


@pytest.fixture
def hub(tmp_path):
    h = LiveHub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield h
    h.stop()


@pytest.fixture
def panel(hub, key_clock):
    config = hub.hub.config
    keys = VirtualKeys(hub.url, "demo-buttons",
                       [config.gpio.wiring(None), config.gpio.wiring("buttons-1")],
                       clock=key_clock).start()
    surface = pygame.Surface((1280, 560))
    yield KeyPanel(keys, surface, panel_labels(config))
    keys.close()


def wait_for(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def issue(url, service="company-name"):
    c = HubClient(url, "demo-kiosk")
    try:
        return c.issue(service)["ticket"]["number"]
    finally:
        c.close()


def current(url, window):
    c = HubClient(url)
    try:
        return next(w for w in c.hall()["windows"] if w["id"] == window)["current"]
    finally:
        c.close()


def test_the_panel_shows_each_wired_window_and_what_it_serves(panel):
    assert panel.keys.windows == ["1", "2", "3", "4"]  # the demo hall's wired windows
    assert panel.keys.keys("1") == ["call", "no_show", "finish", "satisfied", "basic", "unsatisfied"]
    assert panel.keys.keys("3") == ["call", "no_show"]
    assert panel.labels["3"] == ("3号窗口", "工商局")


def test_a_click_on_a_call_key_calls_and_lights_its_led(hub, panel, key_clock):
    wait_for(lambda: panel.keys.online, "the keys did not reach the hub")
    number = issue(hub.url)
    center = panel.rects["3", "call"].center
    panel.handle(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=center, button=1))
    key_clock.advance(0.1)
    panel.handle(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=center, button=1))
    key_clock.advance(SETTLE_S)
    wait_for(lambda: (current(hub.url, "3") or {}).get("number") == number, "no call at window 3")
    wait_for(lambda: panel.keys.led("3"), "window 3's LED is not lit")
    assert not panel.keys.led("1")
    panel.draw()  # and the panel draws it without trouble


def test_number_keys_hold_a_windows_call_key(hub, panel, key_clock):
    wait_for(lambda: panel.keys.online, "the keys did not reach the hub")
    issue(hub.url)
    panel.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_1))
    assert panel.keys.pins["1", "call"].state == 0  # held down (pulled-up pin driven low)
    key_clock.advance(0.1)
    panel.handle(pygame.event.Event(pygame.KEYUP, key=pygame.K_1))
    assert panel.keys.pins["1", "call"].state == 1
    key_clock.advance(SETTLE_S)
    wait_for(lambda: current(hub.url, "1") is not None, "key 1 did not call at window 1")
