"""One thread writes every event to every event-stream socket.

With a thread per stream client, each event woke 100 threads that then queued for the interpreter
lock, and the request that caused the event waited behind them (measured: call to every display p99
42-47 ms, issue p99 35 ms). Here the stream's request only sends the headers and any backlog, then
takes the socket from the server (its worker thread goes back to the pool) and hands it to this
writer, which sends each event, encoded once, to all sockets in one loop with non-blocking sends.

A client that stops reading is not allowed to hold the others up: its unsent bytes wait in its own
buffer, and past a limit it is dropped. It reconnects with Last-Event-ID and loses nothing.
"""
from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable

from .bus import EventBus
from .store import StoredEvent

log = logging.getLogger(__name__)

MAX_PENDING = 512 * 1024  # bytes a stalled client may owe before it is dropped
KEEP_ALIVE = b": keep-alive\n\n"
# How long the writer lets new events wait before sending them: the request that committed them
# answers first. Sent at once, 100 displays woke up (here: other processes on the same cores)
# while the kiosk's answer was being made, and it waited for them. Measured at ten times a busy
# hall's peak with 100 displays, 60 s: issue at the hub p50/p99 2.75/7.57 -> 2.39/5.99 ms, the
# kiosk's round trip p50 5.5 -> 4.1 ms; a call to every display p99 17.3 -> 16.9 ms. 2 ms: the
# calls went over their budget (p99 20.0 ms).
YIELD_S = 0.001


def sse_frames(events: list[StoredEvent]) -> bytes:
    """Events as Server-Sent Events frames; the data is the stored wire form, byte for byte."""
    return b"".join(f"id: {e.seq}\nevent: {e.type}\ndata: {e.data}\n\n".encode() for e in events)


class StreamClient:
    def __init__(self, sock: socket.socket, after: int, chunked: bool,
                 on_close: Callable[[], None] | None = None):
        self.sock, self.after, self.chunked = sock, after, chunked
        self.pending = bytearray()
        self.closed = False
        self.on_close = on_close  # e.g. the access log's "stream ended" line

    def frame(self, payload: bytes) -> bytes:
        # cheroot started the response with chunked transfer coding; keep to it.
        return b"%x\r\n%s\r\n" % (len(payload), payload) if self.chunked else payload


class Fanout:
    def __init__(self, bus: EventBus, heartbeat_s: float = 10.0):
        self.bus = bus
        self.heartbeat_s = heartbeat_s
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._arriving: list[StreamClient] = []
        self._clients: dict[int, StreamClient] = {}
        self._seq = bus.last_seq
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="event-fanout", daemon=True)
        self._thread.start()
        bus.listeners.append(self.wake)

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending, or we are closing

    def attach(self, sock: socket.socket, after: int, chunked: bool,
               on_close: Callable[[], None] | None = None) -> StreamClient:
        """Take over a connected stream socket whose client has every event up to `after`;
        `on_close` is called once when the connection ends."""
        sock.setblocking(False)
        client = StreamClient(sock, after, chunked, on_close)
        with self._lock:
            if self._closed:
                self._drop(client)
                return client
            self._arriving.append(client)
        self.wake()
        return client

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.wake()
        self._thread.join(timeout=2)

    # -- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        next_beat = time.monotonic() + self.heartbeat_s
        try:
            while True:
                timeout = max(0.0, next_beat - time.monotonic())
                for key, mask in self._sel.select(timeout):
                    if key.data is None:
                        self._drain_wake()
                        continue
                    client: StreamClient = key.data
                    if mask & selectors.EVENT_READ:
                        self._check_alive(client)
                    if mask & selectors.EVENT_WRITE and not client.closed:
                        self._flush(client)
                with self._lock:
                    closed, arriving, self._arriving = self._closed, self._arriving, []
                if closed or self.bus.closed:
                    break
                self._deliver(arriving)
                if time.monotonic() >= next_beat:
                    for client in list(self._clients.values()):
                        self._send(client, client.frame(KEEP_ALIVE))
                    next_beat = time.monotonic() + self.heartbeat_s
        except Exception:
            log.exception("event fan-out stopped")
        finally:
            for client in list(self._clients.values()) + self._arriving:
                self._drop(client)
            self._sel.close()
            self._wake_r.close()
            self._wake_w.close()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _deliver(self, arriving: list[StreamClient]) -> None:
        fresh = self.bus.events_after(self._seq)
        if fresh:
            if self._clients:
                time.sleep(YIELD_S)
                fresh = self.bus.events_after(self._seq)  # and whatever came meanwhile
            # Encoded once, however many clients it is sent to.
            payload = sse_frames(fresh)
            chunked = b"%x\r\n%s\r\n" % (len(payload), payload)
            for client in list(self._clients.values()):
                if client.after < fresh[0].seq:
                    self._send(client, chunked if client.chunked else payload)
                else:  # it caught up from the store past some of these: never send one twice
                    rest = [e for e in fresh if e.seq > client.after]
                    if rest:
                        self._send(client, client.frame(sse_frames(rest)))
                client.after = fresh[-1].seq
            self._seq = fresh[-1].seq
        for client in arriving:
            # The stream's thread caught up before attaching; the rest is still in memory
            # unless the client fell a whole buffer behind in between, and then it starts over.
            if not self.bus.covers(client.after):
                self._drop(client)
                continue
            self._clients[client.sock.fileno()] = client
            self._sel.register(client.sock, selectors.EVENT_READ, client)
            missed = [e for e in self.bus.events_after(client.after) if e.seq <= self._seq]
            if missed:
                self._send(client, client.frame(sse_frames(missed)))
            client.after = max(client.after, self._seq)

    def _send(self, client: StreamClient, data: bytes) -> None:
        if client.closed:
            return
        if client.pending:
            client.pending += data
        else:
            try:
                sent = client.sock.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._drop(client)
                return
            if sent < len(data):
                client.pending += data[sent:]
                self._sel.modify(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
        if len(client.pending) > MAX_PENDING:
            log.warning("dropping an event-stream client that stopped reading")
            self._drop(client)

    def _flush(self, client: StreamClient) -> None:
        try:
            sent = client.sock.send(client.pending)
        except BlockingIOError:
            return
        except OSError:
            self._drop(client)
            return
        del client.pending[:sent]
        if not client.pending:
            self._sel.modify(client.sock, selectors.EVENT_READ, client)

    def _check_alive(self, client: StreamClient) -> None:
        # A stream client sends nothing after its request: readable means it hung up.
        try:
            data = client.sock.recv(1024)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(client)

    def _drop(self, client: StreamClient) -> None:
        """Close a client's connection; it reconnects with Last-Event-ID and loses nothing."""
        if client.closed:
            return
        client.closed = True
        fd = client.sock.fileno()
        if self._clients.get(fd) is client:
            del self._clients[fd]
            try:
                self._sel.unregister(client.sock)
            except (KeyError, ValueError):
                pass
        try:
            client.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.sock.close()
        if client.on_close is not None:
            try:
                client.on_close()
            except Exception:  # a failing listener must not stop the writer serving the others
                log.exception("event-stream close callback")
