"""The buttons agent on gpiozero's mock pins against a real hub (cheroot on loopback, a real
SQLite file): presses call and recall, bounces call once, the LED shows the window's state and
blinks when a press failed or the hub is gone, and a failed press is never replayed. The keys
debounce on a clock the test moves (`key_clock`); only gpiozero's hold and blink threads and
the hub run in real time."""
from __future__ import annotations

import socket
import time

import pytest

pytest.importorskip("gpiozero")
from gpiozero.pins.mock import MockFactory  # noqa: E402
from live_hub import LiveHub  # noqa: E402

from hallcall.buttons import ButtonsAgent, HttpLink, start_local  # noqa: E402
from hallcall.buttons.keys import SETTLE_S  # noqa: E402
from hallcall.hallclient import EventStream, HubClient  # noqa: E402

CALL, NO_SHOW, LED = 17, 27, 22  # window 3's keys on buttons-1 in the demo hall
WINDOW = "3"
SERVICE = "company-setup"  # served at window 3
HOLD_S = 0.5


@pytest.fixture
def hub(tmp_path):
    h = LiveHub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield h
    h.stop()


def wiring(hub_obj, device="buttons-1", hold=HOLD_S):
    w = hub_obj.config.gpio.wiring(device)
    w["hold_seconds"] = hold  # the demo's 2 s, shortened to keep the test quick
    return w


@pytest.fixture
def factory():
    return MockFactory()


@pytest.fixture
def agent(hub, factory, key_clock):
    a = ButtonsAgent(wiring(hub.hub), HttpLink(hub.url, "demo-buttons"), pin_factory=factory,
                     clock=key_clock, failed_blink_s=1.0)
    a.start()
    wait_for(lambda: a.online, "the agent did not connect")
    yield a
    a.close()


def wait_for(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def tap(pin, clock, down_s=0.08):
    """A finger on the key for `down_s`; the press reaches the agent once the contact settled."""
    pin.drive_low()
    clock.advance(down_s)
    pin.drive_high()
    clock.advance(SETTLE_S)


def spy_presses(agent) -> list:
    """The debounced presses that reach the agent, as (window, key)."""
    presses, press = [], agent.press
    agent.press = lambda w, k: presses.append((w, k)) or press(w, k)
    return presses


def spy_actions(agent) -> list:
    """The window actions the agent sends to the hub, as (window, action), answered or not."""
    sent, act = [], agent.link.act
    agent.link.act = lambda w, a, body=None: sent.append((w, a)) or act(w, a, body)
    return sent


def shown(agent, wid=WINDOW) -> tuple | None:
    """The mode the agent has set the window's LED to (led_mode is what it is about to set)."""
    return agent.windows[wid].shown


def snapshot(url):
    c = HubClient(url)
    try:
        return c.hall()
    finally:
        c.close()


def window(url, wid=WINDOW):
    return next(w for w in snapshot(url)["windows"] if w["id"] == wid)


def stream_from_now(url):
    stream = EventStream(url, after=snapshot(url)["last_event"], timeout=5)
    stream.connect()
    return stream


def issue(url, n=1):
    c = HubClient(url, "demo-kiosk")
    try:
        return [c.issue(SERVICE)["ticket"]["number"] for _ in range(n)]
    finally:
        c.close()


def led_samples(factory, pin=LED, seconds=1.3):
    seen = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen.add(factory.pin(pin).state)
        time.sleep(0.02)
    return seen


def current_number(url):
    return (window(url)["current"] or {}).get("number")


def test_a_press_calls_the_next_ticket_and_the_hall_hears_it(hub, factory, agent, key_clock):
    first, _ = issue(hub.url, 2)
    stream = stream_from_now(hub.url)
    try:
        tap(factory.pin(CALL), key_clock)
        event = next(e for e in stream.events() if e.type == "ticket.called")
    finally:
        stream.close()
    assert event.data["ticket"]["number"] == first
    assert event.data["window"]["id"] == WINDOW
    wait_for(lambda: factory.pin(LED).state == 1, "the LED did not light for the called ticket")


def test_five_bounces_within_50ms_call_one_ticket(hub, factory, agent, key_clock):
    first, second = issue(hub.url, 2)
    presses = spy_presses(agent)
    pin = factory.pin(CALL)
    pin.drive_low()
    key_clock.advance(0.03)  # the finger's press; then the contact chatters as it opens
    for _ in range(5):  # five bounces back to back
        pin.drive_high()
        key_clock.advance(0.004)
        pin.drive_low()
        key_clock.advance(0.004)
    pin.drive_high()
    key_clock.advance(SETTLE_S * 4)
    assert presses == [(WINDOW, "call")]  # one press reached the agent, not six
    wait_for(lambda: current_number(hub.url) == first, "the bounced press called nobody")
    assert current_number(hub.url) == first
    svc = next(s for s in snapshot(hub.url)["services"] if s["id"] == SERVICE)
    assert svc["waiting"] == 1, f"{second} should still be waiting"


def test_holding_the_call_key_recalls(hub, factory, agent, key_clock):
    (number,) = issue(hub.url)
    tap(factory.pin(CALL), key_clock)
    wait_for(lambda: current_number(hub.url) == number, "the press did not call")
    presses = spy_presses(agent)
    stream = stream_from_now(hub.url)
    try:
        factory.pin(CALL).drive_low()  # gpiozero's hold thread fires after HOLD_S, real time
        event = next(stream.events())
    finally:
        stream.close()
    factory.pin(CALL).drive_high()
    key_clock.advance(SETTLE_S * 3)
    assert (event.type, event.data["ticket"]["number"]) == ("ticket.recalled", number)
    assert presses == [(WINDOW, "recall")]  # the release did not also call the next one
    assert current_number(hub.url) == number


def test_the_led_follows_the_window_whoever_acts(hub, factory, agent, key_clock):
    issue(hub.url, 2)
    console = HubClient(hub.url, "demo-console")
    led = factory.pin(LED)
    try:
        assert led.state == 0
        console.window(WINDOW, "call-next")  # from the console, not a key: the stream tells
        wait_for(lambda: led.state == 1, "LED not lit while a ticket is called")
        console.window(WINDOW, "start")
        wait_for(lambda: led.state == 0, "LED still lit after the citizen arrived")
        tap(factory.pin(CALL), key_clock)  # the key: finishes the one being served, calls the next
        wait_for(lambda: led.state == 1, "LED not lit for the next call")
        tap(factory.pin(NO_SHOW), key_clock)
        wait_for(lambda: led.state == 0, "LED still lit after a no-show")
    finally:
        console.close()
    assert window(hub.url)["current"] is None


def test_the_led_stays_lit_through_the_day_roll_over(hub, factory, agent, key_clock):
    """The citizen called before the roll-over is still walking to the window: the key's LED
    keeps saying so until the clerk ends the visit."""
    called, waiting = issue(hub.url, 2)
    led = factory.pin(LED)
    tap(factory.pin(CALL), key_clock)
    wait_for(lambda: led.state == 1, "LED not lit while a ticket is called")
    stream = stream_from_now(hub.url)
    try:
        hub.hub.close_day()  # what the roll-over does at the day's start
        event = next(e for e in stream.events() if e.type == "day.reset")
    finally:
        stream.close()
    wait_for(lambda: agent.seen_seq >= event.seq, "the agent did not get the roll-over")
    assert led.state == 1, "the roll-over darkened the LED of a citizen still called"
    assert current_number(hub.url) == called
    tap(factory.pin(NO_SHOW), key_clock)
    wait_for(lambda: led.state == 0, "LED still lit after the clerk ended the visit")


def test_a_refused_press_blinks_fast_then_the_led_shows_the_state_again(hub, factory, agent,
                                                                         key_clock):
    tap(factory.pin(NO_SHOW), key_clock)  # nothing is called: the hub answers 409
    wait_for(lambda: agent.led_mode(WINDOW)[0] == "blink", "a failed press was not shown")
    assert led_samples(factory, seconds=0.6) == {0, 1}
    key_clock.advance(0.9)
    assert agent.led_mode(WINDOW)[0] == "blink", "the failed press was shown too briefly"
    key_clock.advance(0.1)  # failed_blink_s is up
    wait_for(lambda: shown(agent) == ("off",), "the LED did not return to its state")
    assert led_samples(factory, seconds=0.3) == {0}


def test_hub_down_blinks_and_nothing_is_called_when_it_returns(tmp_path, factory, key_clock):
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    with socket.socket() as s:  # a fixed port, so the restarted hub may bind it again at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hub = LiveHub(db, port=port)
    issue(hub.url, 1)
    agent = ButtonsAgent(wiring(hub.hub), HttpLink(hub.url, "demo-buttons"), pin_factory=factory,
                         clock=key_clock, failed_blink_s=1.0)
    sent = spy_actions(agent)
    agent.start()
    try:
        wait_for(lambda: agent.online, "the agent did not connect")
        hub.stop()
        wait_for(lambda: not agent.online, "the agent did not notice the hub going away")
        assert led_samples(factory) == {0, 1}, "the LED does not blink with the hub gone"
        tap(factory.pin(CALL), key_clock)  # a clerk presses anyway
        wait_for(lambda: not agent.windows[WINDOW].busy, "the press while down never ended")
        assert sent == [(WINDOW, "call-next")]

        hub = LiveHub(db, port=port)
        wait_for(lambda: agent.online, "the agent did not reconnect", timeout=10)
        key_clock.advance(1.0)  # the failed press's blink is over
        wait_for(lambda: shown(agent) == ("off",), "the LED kept blinking")
        assert led_samples(factory, seconds=0.5) == {0}
        assert window(hub.url)["current"] is None, "the press made while the hub was down was replayed"
        tap(factory.pin(CALL), key_clock)  # and a press now works
        wait_for(lambda: current_number(hub.url) is not None, "a press after the return did not call")
        assert sent == [(WINDOW, "call-next")] * 2  # the one made while down was never resent
    finally:
        agent.close()
        hub.stop()


def test_keys_on_the_hubs_own_pi_run_in_its_process_with_rating_keys(hub, factory, key_clock):
    """`serve --buttons`: window 1's keys in the demo hall, with the citizen's rating keys."""
    call, finish, satisfied, unsatisfied, led = 17, 22, 5, 13, 26
    agent = start_local(hub.hub, pin_factory=factory, clock=key_clock)
    try:
        wait_for(lambda: factory.pin(led).state == 0 and agent.online, "local agent not running")
        c = HubClient(hub.url, "demo-kiosk")
        first = c.issue("company-name")["ticket"]["number"]
        second = c.issue("company-name")["ticket"]["number"]
        c.close()
        tap(factory.pin(call), key_clock)
        wait_for(lambda: (window(hub.url, "1")["current"] or {}).get("number") == first, "no call")
        wait_for(lambda: factory.pin(led).state == 1, "local LED not lit")
        tap(factory.pin(finish), key_clock)  # the clerk ends the visit ...
        wait_for(lambda: window(hub.url, "1")["current"] is None, "finish key did nothing")
        tap(factory.pin(satisfied), key_clock)  # ... and the citizen rates it
        wait_for(lambda: ratings(hub.url)["satisfied"] == 1, "the rating key rated nothing")
        tap(factory.pin(call), key_clock)
        wait_for(lambda: (window(hub.url, "1")["current"] or {}).get("number") == second, "no 2nd call")
        tap(factory.pin(unsatisfied), key_clock)  # rating while called: it also finishes the visit
        wait_for(lambda: window(hub.url, "1")["current"] is None, "rating key did not finish")
    finally:
        agent.close()
    assert ratings(hub.url) == {"satisfied": 1, "basic": 0, "unsatisfied": 1}
    # The audit log names the hub Pi's own keys for each of these presses.
    pressed = [(e.actor.kind, e.actor.id, e.action) for e in hub.hub.audit_log(limit=1000)
               if e.target == "window:1"]
    assert pressed and all((kind, who) == ("device", "hub-keys") for kind, who, _ in pressed)
    assert ("device", "hub-keys", "window.call-next") in pressed


def ratings(url, wid="1"):
    c = HubClient(url, "demo-admin")
    try:
        return next(w for w in c.stats()["windows"] if w["id"] == wid)["ratings"]
    finally:
        c.close()
