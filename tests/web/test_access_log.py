"""The access log: one line per request on `hallcall.access` saying method, path, status, time and
who, and never a secret (a device token, a ticket's token, a password, a cookie)."""
from __future__ import annotations

import logging

import pytest
from helpers import ADMIN, BUTTONS, KIOSK

from .test_console import COOKIE, login, signed_in
from .test_proxy_lockout import demo_hall_behind, via

ACCESS = "hallcall.access"


@pytest.fixture
def access(caplog):
    caplog.set_level(logging.INFO, logger=ACCESS)
    caplog.clear()

    def lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == ACCESS]
    return lines


def test_one_line_per_request_with_method_path_status_time_and_device(client, access):
    client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    client.post("/api/windows/1/call-next", headers=BUTTONS)
    client.get("/api/hall")
    client.get("/api/nothing-here")
    records = access()
    assert [(r.method, r.path, r.status, r.who) for r in records] == [
        ("POST", "/api/tickets", 201, "kiosk-1"),
        ("POST", "/api/windows/1/call-next", 200, "buttons-1"),
        ("GET", "/api/hall", 200, "-"),
        ("GET", "/api/nothing-here", 404, "-"),
    ]
    assert all(r.levelno == logging.INFO and r.ms >= 0 and r.client == "127.0.0.1" for r in records)
    first = records[0].getMessage()
    assert first.startswith("POST /api/tickets 201 ") and " ms kiosk-1 127.0.0.1" in first


def test_a_refused_request_is_logged_with_its_status(client, access):
    client.post("/api/tickets", json={"service": "company-name"})  # no token
    client.post("/api/tickets", json={"service": "company-name"}, headers=ADMIN)
    client.put("/api/notices", json={"notices": []}, headers=KIOSK)  # a kiosk may not
    assert [(r.status, r.who) for r in access()] == [(401, "-"), (201, "admin"), (403, "kiosk-1")]


def test_a_signed_in_clerk_is_named(client, access):
    csrf = signed_in(client, "w3", "3")
    client.post("/api/windows/3/call-next", headers={"X-CSRF-Token": csrf})
    records = access()
    assert [(r.method, r.path, r.status) for r in records[-2:]] == [
        ("GET", "/console/3", 200), ("POST", "/api/windows/3/call-next", 200)]
    assert [r.who for r in records[-2:]] == ["clerk:w3", "clerk:w3"]


def test_the_address_is_the_one_behind_a_trusted_proxy(make_app, access):
    app = make_app(HALL=demo_hall_behind("10.0.0.1"))
    via(app, "10.0.0.1", "192.168.1.5").get("/api/hall")
    via(app, "10.0.0.2", "192.168.1.5").get("/api/hall")  # not a listed proxy
    assert [r.client for r in access()] == ["192.168.1.5", "10.0.0.2"]


def test_no_secret_ever_reaches_the_log(client, access, caplog):
    ticket = client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK).json
    token = ticket["ticket"]["token"]
    client.get(f"/t/{token}")
    client.get(f"/api/tickets/{token}")
    client.get(f"/api/tickets/{token}/cancel")  # 405: no route matched, masked all the same
    client.post(f"/api/tickets/{token}/cancel")
    client.get(f"/api/stats?token={token}", headers={"Authorization": "Bearer demo-display"})
    client.get("/api/hall", headers={"Authorization": "Bearer not-a-device-token"})
    login(client, "w3", "s3cret-wrong-pass")
    assert login(client, "w3", "demo").status_code == 303
    cookie = client.get_cookie(COOKIE).value
    client.get("/console/3")
    records = access()
    assert len(records) >= 10
    assert {r.path for r in records} >= {"/t/***", "/api/tickets/***", "/api/tickets/***/cancel"}
    everything = caplog.text + "\n".join(repr(vars(r)) for r in caplog.records)
    for secret in (token, "demo-kiosk", "demo-display", "not-a-device-token", "s3cret-wrong-pass",
                   cookie, "Bearer"):
        assert secret not in everything
    assert "password" not in everything.lower()


def test_a_control_character_in_the_path_cannot_forge_a_line(client, access):
    client.get("/x%0A2026-12-01 INFO forged")
    (record,) = access()
    assert "\n" not in record.getMessage() and record.status == 404


def test_an_event_stream_logs_when_it_opens_and_when_it_ends(make_app, access):
    client = make_app(SSE_HEARTBEAT_S=0.05).test_client()
    response = client.get("/api/events?after=0", buffered=False, headers=BUTTONS)
    it = iter(response.response)
    assert b": connected" in next(it)
    opened = access()
    assert len(opened) == 1 and opened[0].getMessage().startswith("GET /api/events 200 ")
    assert "stream opened" in opened[0].getMessage() and opened[0].who == "buttons-1"
    response.close()
    ended = access()[1:]
    assert len(ended) == 1 and "stream ended after" in ended[0].getMessage()
    assert ended[0].who == "buttons-1" and ended[0].seconds >= 0



@pytest.mark.slow
def test_a_stream_served_by_the_fanout_writer_logs_its_end(tmp_path):
    """Under cheroot the stream's socket goes to the fan-out writer: the end is still logged."""
    import socket
    import time

    from real_server import RealServer

    hub = RealServer(tmp_path / "h.db", tmp_path / "hub.log").start()
    try:
        with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as sock:
            sock.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b": connected" not in got:  # the headers and the first line may come apart
                chunk = sock.recv(4096)
                assert chunk, got
                got += chunk
        deadline = time.monotonic() + 10
        while "stream ended after" not in hub.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        hub.stop()
    lines = [ln for ln in hub.log.read_text().splitlines() if "GET /api/events" in ln]
    assert len(lines) == 2 and "stream opened" in lines[0] and "stream ended after" in lines[1], lines
