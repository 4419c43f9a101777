"""A Server-Sent Events client for /api/events that resumes where it left off."""
from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class HubEvent:
    seq: int
    type: str
    data: dict


class EventStream:
    """Iterate over hub events; on a broken link it reconnects with Last-Event-ID, so nothing is
    skipped or repeated. `after=None` starts with new events only. `token`: the device's, so
    the hub counts it as seen (online) while the stream is connected; the stream itself is
    public."""

    def __init__(self, base_url: str, after: int | None = None, timeout: float = 30.0,
                 reconnect: bool = True, retry_s: float = 1.0, token: str | None = None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 8080
        self.token = token
        self.last_id = after
        self.timeout, self.reconnect, self.retry_s = timeout, reconnect, retry_s
        self.connected = False
        self._conn: http.client.HTTPConnection | None = None
        self._resp = None

    def connect(self) -> None:
        """Open the stream; returns once the hub has answered with its headers."""
        self.close()
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Accept": "text/event-stream"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self._conn.request("GET", "/api/events", headers=headers)
        self._resp = self._conn.getresponse()
        if self._resp.status != 200:
            raise ConnectionError(f"event stream answered {self._resp.status}")
        if self._conn.sock is None:  # an empty answer, e.g. from a hub shutting down
            raise ConnectionError("event stream closed at once")
        self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected = True

    def close(self) -> None:
        """Close the stream; a thread blocked reading it wakes up at once (shutdown, not just
        close, interrupts a recv in progress)."""
        self.connected = False
        # Another thread may be closing it too (a reader on its way out): take it once.
        conn, self._conn, self._resp = self._conn, None, None
        if conn is None:
            return
        try:
            if conn.sock is not None:
                conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            conn.close()
        except OSError:
            pass

    def _frames(self) -> Iterator[HubEvent | None]:
        """Events as they arrive; None for a comment (heartbeat), so callers can notice life."""
        fields: dict[str, str] = {}
        data: list[str] = []
        while True:
            raw = self._resp.readline()
            if not raw:
                raise ConnectionError("event stream closed")
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if data:
                    seq = int(fields.get("id", "0") or 0)
                    self.last_id = seq
                    yield HubEvent(seq, fields.get("event", "message"), json.loads("\n".join(data)))
                fields, data = {}, []
            elif line.startswith(":"):
                yield None
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    data.append(value)
                elif name in ("id", "event"):
                    fields[name] = value

    def events(self, heartbeats: bool = False) -> Iterator[HubEvent | None]:
        while True:
            try:
                if not self.connected:
                    self.connect()
                for item in self._frames():
                    if item is not None or heartbeats:
                        yield item
            except (OSError, http.client.HTTPException, ConnectionError, ValueError):
                self.close()
                if not self.reconnect:
                    raise
                time.sleep(self.retry_s)

    def __iter__(self) -> Iterator[HubEvent]:
        return self.events()
