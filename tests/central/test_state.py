"""GET /api/central/halls: each hall's live state from what it forwarded (waiting today, open
windows, longest wait), its lag growing while nothing arrives, offline after 30 s unheard."""
from __future__ import annotations

from central.support import forward
from reports.support import DAY1, DAY2, at, report_hall


def test_a_halls_live_state_from_its_events(make_hub, clock, central):
    hub = make_hub(config=report_hall())
    at(clock, DAY1, "16:00")
    hub.issue("a")  # yesterday's: cancelled at the roll-over, never counted today
    at(clock, DAY2, "09:00")
    for service in ("a", "a", "b"):
        hub.issue(service)
    for window in ("1", "2", "3"):  # (the hub's windows start open, without an event)
        hub.act(window, "close")
        hub.act(window, "open")
    at(clock, DAY2, "09:05")
    hub.act("1", "call-next")  # A001 of today
    hub.act("3", "pause")
    central.now_us = int(clock.now.timestamp() * 1_000_000) + 60_000_000  # the hall's 09:06
    assert forward(central, hub, "hall-1") == hub.bus.last_seq
    hall = central.halls()["hall-1"]
    assert hall["name"] == {"zh": "测试大厅", "en": "Test hall"}
    assert (hall["day"], hall["issued_today"], hall["waiting"], hall["open_windows"]) == (
        DAY2, 3, 2, 2)
    assert hall["longest_wait_s"] == 6 * 60.0  # the oldest waiting, issued 09:00
    assert hall["last_at"] == f"{DAY2}T09:05:00+08:00"
    assert (hall["lag_s"], hall["online"]) == (0.0, True)

    central.advance(31)  # nothing heard: the lag grows, and the hall is offline
    hall = central.halls()["hall-1"]
    assert (hall["lag_s"], hall["online"]) == (31.0, False)
    assert hall["longest_wait_s"] == 6 * 60.0 + 31

    # Heard again but still catching up, or not saying (a hub's first post after its start):
    # online, and the lag still counts from the last catch-up.
    central.post("hall-1", [], pending=120)
    central.advance(1)
    central.post("hall-1", [])
    hall = central.halls()["hall-1"]
    assert (hall["lag_s"], hall["online"]) == (32.0, True)
    central.post("hall-1", [], pending=0)
    assert central.halls()["hall-1"]["lag_s"] == 0.0


def test_windows_no_event_told_of_are_as_the_halls_database_says(make_hub, central):
    """A hall's windows start as its config says, with no event: the first post's info carries
    their status, so a hall that just began forwarding does not show every window closed; the
    events, in order, win after."""
    from hallcall.server.forwarding import hall_info

    hub = make_hub(config=report_hall())
    hub.act("3", "pause")

    def info():
        with hub.store.read(hub.config) as tx:
            return hall_info(hub.config, {w.id: w.status for w in tx.window_states().values()})

    assert central.post("hall-1", [], info=info()).status_code == 200
    assert central.halls()["hall-1"]["open_windows"] == 2  # 1 and 2; 3 is paused
    forward(central, hub, "hall-1")
    hub.act("3", "resume")
    hub.act("1", "close")
    forward(central, hub, "hall-1")
    assert central.halls()["hall-1"]["open_windows"] == 2  # 2 and 3
    assert central.post("hall-1", [], info={"windows": [{"id": "1", "status": 5}]}).status_code == 400
