"""The fan-out writer, on real sockets: every reader gets every event once, in order, in HTTP
chunks; a display that stops reading is cut off instead of holding the others up."""
from __future__ import annotations

import socket
import time

import pytest

from hallcall.server import fanout as fanout_mod
from hallcall.server.bus import EventBus
from hallcall.server.fanout import Fanout
from hallcall.server.store import StoredEvent


def event(seq: int, size: int = 10) -> StoredEvent:
    return StoredEvent(seq, "ticket.called", '{"seq": %d, "pad": "%s"}' % (seq, "x" * size))


def read_chunks(sock: socket.socket, want: int, timeout: float = 3.0) -> list[int]:
    """Parse chunked SSE bytes until `want` events were seen; returns their ids."""
    sock.settimeout(timeout)
    buf, seqs = b"", []
    while len(seqs) < want:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
        while b"\r\n" in buf:
            size_line, rest = buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            if len(rest) < size + 2:
                break
            chunk, buf = rest[:size], rest[size + 2:]
            seqs += [int(line[4:]) for line in chunk.split(b"\n") if line.startswith(b"id: ")]
    return seqs


@pytest.fixture
def bus_and_fanout():
    bus = EventBus()
    fan = Fanout(bus, heartbeat_s=30)
    yield bus, fan
    fan.close()


def wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_every_reader_gets_every_event_once_in_order(bus_and_fanout):
    bus, fan = bus_and_fanout
    bus.publish([event(1), event(2)])
    pairs = [socket.socketpair() for _ in range(5)]
    try:
        # Readers that already have event 1 (as after catching up) get 2 and then the live ones.
        for server_end, _ in pairs:
            fan.attach(server_end, after=1, chunked=True)
        wait_for(lambda: fan.client_count == 5)
        bus.publish([event(3)])
        bus.publish([event(4), event(5)])
        for _, client_end in pairs:
            assert read_chunks(client_end, 4) == [2, 3, 4, 5]
    finally:
        for _, client_end in pairs:
            client_end.close()


def test_a_reader_that_hangs_up_is_forgotten(bus_and_fanout):
    bus, fan = bus_and_fanout
    server_end, client_end = socket.socketpair()
    fan.attach(server_end, after=0, chunked=True)
    wait_for(lambda: fan.client_count == 1)
    client_end.close()
    wait_for(lambda: fan.client_count == 0)


def test_a_stalled_reader_is_cut_off_and_others_keep_up(bus_and_fanout, monkeypatch):
    monkeypatch.setattr(fanout_mod, "MAX_PENDING", 64 * 1024)
    bus, fan = bus_and_fanout
    stalled_server, stalled_client = socket.socketpair()
    live_server, live_client = socket.socketpair()
    for s in (stalled_server, stalled_client):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        fan.attach(stalled_server, after=0, chunked=True)
        fan.attach(live_server, after=0, chunked=True)
        wait_for(lambda: fan.client_count == 2)
        n = 120  # 120 x ~1 KB: more than the stalled socket's buffers and its allowance
        got = []
        for seq in range(1, n + 1):
            bus.publish([event(seq, size=1000)])
            if seq % 20 == 0:
                got += read_chunks(live_client, seq - len(got))
        assert got == list(range(1, n + 1))
        wait_for(lambda: fan.client_count == 1)  # the stalled one was dropped
        stalled_client.settimeout(3)
        data = b""
        while chunk := stalled_client.recv(65536):  # ends: its connection was closed
            data += chunk
        assert len(data) < n * 1000
    finally:
        stalled_client.close()
        live_client.close()


def test_plain_http_10_stream_is_not_chunked(bus_and_fanout):
    bus, fan = bus_and_fanout
    server_end, client_end = socket.socketpair()
    try:
        fan.attach(server_end, after=0, chunked=False)
        wait_for(lambda: fan.client_count == 1)
        bus.publish([event(1)])
        client_end.settimeout(3)
        assert client_end.recv(4096).startswith(b"id: 1\nevent: ticket.called\n")
    finally:
        client_end.close()


def test_idle_streams_get_a_heartbeat_comment():
    bus = EventBus()
    fan = Fanout(bus, heartbeat_s=0.1)
    server_end, client_end = socket.socketpair()
    try:
        fan.attach(server_end, after=0, chunked=True)
        client_end.settimeout(3)
        assert client_end.recv(4096) == b"e\r\n: keep-alive\n\n\r\n"  # one HTTP chunk
    finally:
        fan.close()
        client_end.close()
