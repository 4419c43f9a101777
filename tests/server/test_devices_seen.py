"""Devices seen: a request with a device's token, or its event stream while connected, makes it
online; unseen for the hall's device_offline_after_s it goes offline; each change is announced
once (device.status), whichever of the hub processes sharing the database notices it.

The hubs here run on a real SQLite file with a fake clock and no follower thread: the test calls
`flush_seen`, as the follower does every 2 s."""
from __future__ import annotations

import dataclasses
import json

import pytest
from helpers import DISPLAY, KIOSK, FakeClock

from hallcall import events
from hallcall.server.config import load_config
from hallcall.server.web import create_app
from hallcall.server.web.serialize import hall_json


@pytest.fixture
def clock():
    """Still unless moved: the offline time is counted to the second here."""
    return FakeClock(step=0)


def device(hub, device_id: str) -> dict:
    return next(d for d in hall_json(hub.snapshot())["devices"] if d["id"] == device_id)


def announced(hub, device_id: str | None = None) -> list[dict]:
    found = [json.loads(e.data)["device"] for e in hub.events_after(0, 100_000)
             if e.type == events.DEVICE_STATUS]
    return [d for d in found if device_id is None or d["id"] == device_id]


def test_a_device_is_online_after_a_request_and_offline_once_unseen(make_app, clock):
    app = make_app()
    hub, client = app.config["HUB"], app.test_client()
    never = device(hub, "kiosk-1")
    assert never["online"] is False and never["last_seen"] is None

    client.get("/api/devices/self", headers=KIOSK)
    assert device(hub, "kiosk-1")["online"] is True  # before any flush: this process saw it
    hub.flush_seen()
    came = announced(hub)
    assert [(d["id"], d["online"]) for d in came] == [("kiosk-1", True)]
    assert came[0]["last_seen"] is not None
    hub.flush_seen()
    assert len(announced(hub)) == 1  # nothing new seen, nothing changed: said once

    clock.advance(seconds=59)
    hub.flush_seen()
    assert device(hub, "kiosk-1")["online"] is True and len(announced(hub)) == 1
    clock.advance(seconds=2)
    assert device(hub, "kiosk-1")["online"] is False  # the snapshot knows before the flush
    hub.flush_seen()
    hub.flush_seen()
    went = announced(hub)
    assert [(d["id"], d["online"]) for d in went] == [("kiosk-1", True), ("kiosk-1", False)]
    assert went[1]["last_seen"] == came[0]["last_seen"]  # the overview: "offline since" then

    client.get("/api/devices/self", headers=KIOSK)
    hub.flush_seen()
    back = announced(hub)
    assert [d["online"] for d in back] == [True, False, True]
    assert device(hub, "kiosk-1")["online"] is True
    assert device(hub, "display-1")["online"] is False  # only the one that was seen
    assert len(announced(hub, "display-1")) == 0


def test_a_public_request_with_a_token_is_a_sighting_too(make_app):
    """A kiosk's GET /api/hall carries its token (the feed's snapshots)."""
    app = make_app()
    hub, client = app.config["HUB"], app.test_client()
    assert client.get("/api/hall", headers=KIOSK).status_code == 200
    assert device(hub, "kiosk-1")["online"] is True


def test_the_hall_sets_how_long_a_device_may_stay_unseen(make_app, clock):
    hall = dataclasses.replace(load_config(), device_offline_after_s=20)
    app = make_app(HALL=hall)
    hub = app.config["HUB"]
    app.test_client().get("/api/devices/self", headers=DISPLAY)
    hub.flush_seen()
    clock.advance(seconds=21)
    hub.flush_seen()
    assert [d["online"] for d in announced(hub, "display-1")] == [True, False]


def test_a_wrong_token_is_no_sighting(make_app):
    app = make_app()
    hub, client = app.config["HUB"], app.test_client()
    assert client.get("/api/devices/self", headers={"Authorization": "Bearer nope"}).status_code == 401
    hub.flush_seen()
    assert announced(hub) == []
    assert not any(d["online"] for d in hall_json(hub.snapshot())["devices"])


def test_an_event_stream_held_open_keeps_its_device_online(make_app, clock):
    app = make_app()
    hub, client = app.config["HUB"], app.test_client()
    response = client.get("/api/events", query_string={"token": "demo-display"}, buffered=False)
    stream = iter(response.response)
    try:
        next(stream)  # connected
        hub.flush_seen()
        for _ in range(3):  # long past the offline time, with no request but the stream
            clock.advance(seconds=50)
            hub.flush_seen()
            assert device(hub, "display-1")["online"] is True
        assert [d["online"] for d in announced(hub, "display-1")] == [True]
    finally:
        response.close()
    hub.flush_seen()
    clock.advance(seconds=61)
    hub.flush_seen()
    assert [d["online"] for d in announced(hub, "display-1")] == [True, False]
    assert device(hub, "display-1")["online"] is False


def test_a_printer_report_says_online_with_its_paper(make_app):
    app = make_app()
    hub, client = app.config["HUB"], app.test_client()
    r = client.post("/api/devices/status", json={"printer": {"paper": "out", "online": True}},
                    headers=KIOSK)
    assert r.status_code == 200
    got = r.get_json()["device"]
    assert got["online"] is True and got["printer"]["paper"] == "out"
    assert got["status"]["printer"]["paper"] == "out" and got["updated_at"]  # the old fields
    hub.flush_seen()
    said = announced(hub, "kiosk-1")
    assert len(said) == 1 and said[0]["printer"]["paper"] == "out"  # the report said it all
    assert "token" not in said[0] and "token_sha256" not in said[0]


def test_two_hubs_on_one_file_share_what_they_saw_and_announce_once(make_hub, clock):
    first, second = make_hub(), make_hub()  # two processes on the same database
    client = create_app(first).test_client()
    client.get("/api/devices/self", headers=KIOSK)
    assert device(second, "kiosk-1")["online"] is False  # not flushed yet
    first.flush_seen()
    second.flush_seen()
    assert device(second, "kiosk-1")["online"] is True
    assert [d["online"] for d in announced(second, "kiosk-1")] == [True]

    clock.advance(seconds=61)
    second.flush_seen()  # whichever notices first announces it ...
    first.flush_seen()  # ... and the other finds it said
    second.flush_seen()
    assert [d["online"] for d in announced(first, "kiosk-1")] == [True, False]
    assert device(first, "kiosk-1")["online"] is False


def test_offline_counts_from_the_last_sighting_even_one_not_written_at_once(make_hub, clock):
    """A device seen again soon after its stored sighting is not written on every flush (a hall
    of connected devices would write every 2 s); it is still counted from its last sighting."""
    first, second = make_hub(), make_hub()
    client = create_app(first).test_client()
    client.get("/api/devices/self", headers=KIOSK)
    first.flush_seen()
    clock.advance(seconds=5)
    client.get("/api/devices/self", headers=KIOSK)  # seen again, 5 s later
    first.flush_seen()
    assert device(second, "kiosk-1")["last_seen"] < device(first, "kiosk-1")["last_seen"]
    clock.advance(seconds=56)  # 61 s after the first sighting, 56 after the last
    first.flush_seen()
    assert device(second, "kiosk-1")["online"] is True
    assert device(second, "kiosk-1")["last_seen"] == device(first, "kiosk-1")["last_seen"]
    clock.advance(seconds=5)
    first.flush_seen()
    assert [d["online"] for d in announced(second, "kiosk-1")] == [True, False]
