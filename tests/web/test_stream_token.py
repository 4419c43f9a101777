"""A device opens the event stream with its token, in the Authorization header or as ?token=
(a browser's EventSource cannot send headers): it counts as seen for as long as the stream is
connected. The stream stays public: no token, or a wrong one, is served all the same and not
counted. In-process through the stream's own thread, and under cheroot through the fan-out
writer that takes the socket over."""
from __future__ import annotations

import socket
import threading
import time

import pytest
from helpers import auth

from hallcall.server.fanout import Fanout
from hallcall.server.web import create_app
from hallcall.server.wsgi import make_server


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def opened(client, **kw):
    response = client.get("/api/events", buffered=False, **kw)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    stream = iter(response.response)
    assert b": connected" in next(stream)
    return response


@pytest.mark.parametrize("how", [{"headers": auth("demo-display")},
                                 {"query_string": {"token": "demo-display"}}],
                         ids=["header", "query"])
def test_a_stream_opened_with_a_token_is_its_device_seen_while_connected(app, how):
    hub = app.config["HUB"]
    response = opened(app.test_client(), **how)
    try:
        assert hub.sightings.streaming() == {"display-1"}
    finally:
        response.close()
    assert hub.sightings.streaming() == set()


@pytest.mark.parametrize("how", [{}, {"query_string": {"token": "not-a-token"}},
                                 {"headers": auth("not-a-token")}],
                         ids=["none", "wrong-query", "wrong-header"])
def test_without_a_valid_token_the_stream_is_public_and_counts_nobody(app, how):
    hub = app.config["HUB"]
    response = opened(app.test_client(), **how)
    try:
        assert hub.sightings.streaming() == set()
        hub.flush_seen()
        assert not any(d.online for d in hub.snapshot().devices)
    finally:
        response.close()


def test_two_streams_of_one_device_keep_it_streaming_until_both_end(app):
    hub, client = app.config["HUB"], app.test_client()
    first = opened(client, query_string={"token": "demo-display"})
    second = opened(client, headers=auth("demo-display"))
    first.close()
    assert hub.sightings.streaming() == {"display-1"}
    second.close()
    assert hub.sightings.streaming() == set()


@pytest.fixture
def served(make_hub):
    """The hub under cheroot with the fan-out writer, as `hallcall serve` runs it."""
    hub = make_hub()
    fanout = Fanout(hub.bus, heartbeat_s=30)
    server = make_server(create_app(hub, {"FANOUT": fanout}), "127.0.0.1", 0, threads=4)
    server.expiration_interval = 0.05
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield hub, fanout, server.bind_addr[1]
    finally:
        hub.bus.close()
        server.stop()
        fanout.close()
        thread.join(5)


def raw_stream(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: hub\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b": connected" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200")
    return sock


def test_under_the_fanout_writer_a_stream_counts_until_the_device_hangs_up(served):
    hub, fanout, port = served
    sock = raw_stream(port, "/api/events?token=demo-display")
    try:
        wait_for(lambda: fanout.client_count == 1)  # the writer holds the socket now
        assert hub.sightings.streaming() == {"display-1"}
    finally:
        sock.close()
    wait_for(lambda: hub.sightings.streaming() == set())
    anonymous = raw_stream(port, "/api/events?token=wrong")
    try:
        wait_for(lambda: fanout.client_count == 1)
        assert hub.sightings.streaming() == set()
    finally:
        anonymous.close()
