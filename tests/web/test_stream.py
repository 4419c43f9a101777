"""The event stream's protocol, in-process: position, backlog, heartbeats, bad input.
(The real-socket behaviour is in tests/server/test_real_server.py.)"""
from __future__ import annotations

import json

from helpers import BUTTONS, KIOSK

from hallcall.server.bus import EventBus


def events_in(chunk: str) -> list[dict]:
    out = []
    for block in chunk.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
                     and ": " in line)
        if "data" in lines:
            data = json.loads(lines["data"])
            assert int(lines["id"]) == data["seq"] and lines["event"] == data["type"]
            out.append(data)
    return out


def open_stream(client, **kw):
    response = client.get("/api/events", buffered=False, **kw)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    return response, iter(response.response)


def chunk(it) -> str:
    c = next(it)
    return c.decode() if isinstance(c, bytes) else c


def test_new_client_gets_only_new_events(client):
    client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    response, it = open_stream(client)
    try:
        assert ": connected" in chunk(it)
        client.post("/api/windows/1/call-next", headers=BUTTONS)
        got = events_in(chunk(it))
        assert [e["type"] for e in got] == ["ticket.called"]
        assert got[0]["seq"] == 2 and got[0]["ticket"]["number"] == "A001"
        assert got[0]["window"] == {"id": "1", "name": {"zh": "1号窗口", "en": "Window 1"}}
        assert "token" not in got[0]["ticket"]
    finally:
        response.close()


def test_resume_after_position_from_memory_and_from_the_store(client, app):
    for _ in range(5):
        client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    hub = app.config["HUB"]
    for bus_capacity in (None, 2):  # 2: events 1-3 are gone from memory, read back from SQLite
        if bus_capacity:
            hub.bus = EventBus(bus_capacity)
            hub.bus.reset(0)
            hub.bus.publish(hub.events_after(3))
        for kw in ({"headers": {"Last-Event-ID": "1"}}, {"query_string": {"after": "1"}}):
            response, it = open_stream(client, **kw)
            try:
                chunk(it)
                seqs = []
                while len(seqs) < 4:
                    seqs += [e["seq"] for e in events_in(chunk(it))]
                assert seqs == [2, 3, 4, 5]
            finally:
                response.close()


def test_after_a_restart_displays_resume_from_memory(make_app):
    """Every display reconnects at once when a hub restarts: the recent past is loaded into
    memory at start, so none of them waits for its own read of the store."""
    first = make_app()
    c = first.test_client()
    for _ in range(5):
        c.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    first.config["HUB"].stop()

    second = make_app()  # the restarted hub, on the same file
    hub = second.config["HUB"]
    read_back = []
    real = hub.events_after
    hub.events_after = lambda *a, **kw: read_back.append(a) or real(*a, **kw)
    response, it = open_stream(second.test_client(), headers={"Last-Event-ID": "1"})
    try:
        chunk(it)
        seqs = []
        while len(seqs) < 4:
            seqs += [e["seq"] for e in events_in(chunk(it))]
    finally:
        response.close()
    assert seqs == [2, 3, 4, 5]
    assert read_back == []


def test_heartbeat_comment_while_idle(make_app):
    app = make_app(SSE_HEARTBEAT_S=0.05)
    response, it = open_stream(app.test_client())
    try:
        chunk(it)
        assert chunk(it).startswith(": keep-alive")
    finally:
        response.close()


def test_bad_position_is_a_json_400(client):
    r = client.get("/api/events", headers={"Last-Event-ID": "abc"})
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
