"""A device's live copy of the hall, kept in background threads so a screen or a key never waits
on the network: a snapshot, then the event stream (resumed with Last-Event-ID after any drop, so
no call is skipped or repeated), and fresh snapshots for what the events do not carry. Everything
reaches the device's loop through one queue as ("hall", snapshot) or ("event", dict)."""
from __future__ import annotations

import logging
import queue
import threading

from hallcall.hallclient import EventStream, HubClient

log = logging.getLogger(__name__)

REFRESH_S = 0.5  # snapshots (waiting counts) at most this often


class StoppableStream(EventStream):
    """Reconnects by itself (with Last-Event-ID), but never once `stop` is set: closing it from
    another thread instead would race with the reading one inside http.client."""

    def __init__(self, *args, stop: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self._stop = stop

    def connect(self) -> None:
        if self._stop.is_set():
            self.reconnect = False  # so events() ends instead of trying again
            raise ConnectionError("the stream is being stopped")
        super().connect()


class HubFeed:
    def __init__(self, url: str, inbox: queue.Queue, retry_s: float = 1.0, timeout: float = 20.0,
                 name: str = "display", refresh_s: float | None = None):
        self.url, self.inbox, self.retry_s, self.timeout = url, inbox, retry_s, timeout
        # A fresh snapshot at least this often, events or not (None: only after events): what
        # changes with the clock alone, such as a service opening at 08:30, sends no event.
        self.refresh_s = refresh_s
        self.stop = threading.Event()
        self.dirty = threading.Event()  # an event came: the counts may have changed
        self.stream: EventStream | None = None
        self.snapshot_ok = False
        self._threads = [threading.Thread(target=self._follow, name=f"{name}-events", daemon=True),
                         threading.Thread(target=self._refresh, name=f"{name}-snapshots",
                                          daemon=True)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    @property
    def online(self) -> bool:
        """Whether the stream is connected now (a dead link is noticed by the hub's 15 s heartbeat
        missing: the read times out and the stream reconnects)."""
        return self.snapshot_ok and self.stream is not None and self.stream.connected

    def _follow(self) -> None:
        client = HubClient(self.url, timeout=5)
        try:
            while not self.stop.is_set():
                try:
                    snap = client.hall()
                    break
                except Exception as exc:
                    log.info("hub unreachable: %s", exc)
                    self.stop.wait(self.retry_s)
            else:
                return
        finally:
            client.close()
        self.snapshot_ok = True
        self.inbox.put(("hall", snap))
        self.stream = StoppableStream(self.url, after=snap["last_event"], timeout=self.timeout,
                              reconnect=True, retry_s=self.retry_s, stop=self.stop)
        try:
            while not self.stop.is_set():
                try:
                    for event in self.stream.events():
                        if self.stop.is_set():
                            return
                        self.inbox.put(("event", event.data))
                        self.dirty.set()
                except Exception:
                    if self.stop.is_set():
                        return
                    # The stream keeps its position: the next connection resumes after it.
                    log.exception("event stream")
                    self.stream.close()
                    self.stop.wait(self.retry_s)
        finally:
            self.stream.close()

    def _refresh(self) -> None:
        client = HubClient(self.url, timeout=5)
        try:
            while not self.stop.is_set():
                self.dirty.wait(self.refresh_s)
                if self.stop.is_set():
                    return
                self.dirty.clear()
                try:
                    self.inbox.put(("hall", client.hall()))
                except Exception as exc:
                    log.info("snapshot: %s", exc)
                    self.dirty.set()  # try again once the hub answers
                    client.close()
                    self.stop.wait(self.retry_s)
                self.stop.wait(REFRESH_S)
        finally:
            client.close()

    def close(self) -> None:
        self.stop.set()
        self.dirty.set()
        if self.stream is not None:
            self.stream.reconnect = False
            self.stream.close()
        for t in self._threads:
            if t.is_alive():
                t.join(timeout=3)
