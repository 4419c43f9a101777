"""A device's live copy of the hall, kept in background threads so a screen or a key never waits
on the hub: a snapshot, then every event after it (resumed after the last one received whenever
the link drops, so no call is skipped or repeated), and fresh snapshots for what the events do
not carry: at once on `hall.changed` (the staff changed the hall: a service added or retired,
a window renamed), and for the counts a screen shows. Everything reaches the device's loop
through one queue as ("hall", snapshot) or ("event", dict).

The protocol is written once, in `Feed`; where the hall comes from is its source: the hub over
HTTP (`HttpSource`, for every device on the LAN) or the hub in the same process
(hallcall.buttons.links.HubSource, for keys wired to the hub's own Pi)."""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from hallcall.events import HALL_CHANGED
from hallcall.hallclient import EventStream, HubClient

log = logging.getLogger(__name__)

REFRESH_S = 0.5  # snapshots (waiting counts) at most this often


class FeedSource(Protocol):
    """Where a feed reads the hall from."""

    @property
    def connected(self) -> bool:
        """Whether events reach the feed now."""

    def snapshot(self) -> dict:
        """The hall as GET /api/hall gives it (its `last_event` is where its events start);
        raises while the hub cannot be reached. Called from the feed's two threads."""

    def events_after(self, seq: int, stop: threading.Event) -> Iterator[dict]:
        """Every event after `seq`, as /api/events sends them, until `stop` is set (or the hub
        ends). May raise: the feed then asks again after the last event it received."""

    def interrupt(self) -> None:
        """Wake a reader blocked in `events_after`, once `stop` is set."""

    def release(self) -> None:
        """Let go of what the calling thread holds (its connection to the hub)."""


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


class HttpSource:
    """The hub over its HTTP API: GET /api/hall, and /api/events resumed with Last-Event-ID.
    The stream's read times out when the hub's 15 s heartbeat stops (a dead link), and it
    reconnects. `token`: the device's, sent with both, so the staff see the device online for
    as long as its stream is connected."""

    def __init__(self, url: str, timeout: float = 20.0, retry_s: float = 1.0,
                 token: str | None = None):
        self.url, self.timeout, self.retry_s, self.token = url, timeout, retry_s, token
        self.stream: StoppableStream | None = None
        self._client = HubClient(url, token, timeout=5)  # a connection per thread

    @property
    def connected(self) -> bool:
        return self.stream is not None and self.stream.connected

    def snapshot(self) -> dict:
        try:
            return self._client.hall()
        except Exception:
            self._client.close()  # the next try opens a fresh connection
            raise

    def events_after(self, seq: int, stop: threading.Event) -> Iterator[dict]:
        self.stream = StoppableStream(self.url, after=seq, timeout=self.timeout, reconnect=True,
                                      retry_s=self.retry_s, stop=stop, token=self.token)
        try:
            for event in self.stream.events():
                yield event.data
        finally:
            self.stream.close()

    def interrupt(self) -> None:
        if self.stream is not None:
            self.stream.reconnect = False
            self.stream.close()

    def release(self) -> None:
        self._client.close()


class Feed:
    """The hall from `source` into `inbox`. Every feed takes a fresh snapshot at once after a
    `hall.changed` event. `refresh`: also after other events (at most every REFRESH_S), for the
    counts a screen shows; `refresh_s`: and at least this often, events or not (what changes
    with the clock alone, such as a service opening at 08:30, sends no event). `retry_s`: the
    wait before asking an unreachable hub again."""

    def __init__(self, source: FeedSource, inbox: queue.Queue, *, name: str, retry_s: float = 1.0,
                 refresh: bool = True, refresh_s: float | None = None):
        self.source, self.inbox, self.name = source, inbox, name
        self.retry_s, self.refresh, self.refresh_s = retry_s, refresh, refresh_s
        self.stop = threading.Event()
        self._due = threading.Condition()  # guards the two below; notified when one is set
        self._counts_due = False  # an event came: the counts may have changed
        self._hall_due = False  # hall.changed came: the hall itself changed
        self.snapshot_ok = False
        self._follower = threading.Thread(target=self._follow, name=f"{name}-events", daemon=True)
        # Started once the first snapshot is in, so no refresh ever comes before it.
        self._refresher = threading.Thread(target=self._refresh, name=f"{name}-snapshots",
                                           daemon=True)

    def start(self) -> None:
        self._follower.start()

    @property
    def online(self) -> bool:
        """Whether the hall is known and its events reach this device now."""
        return self.snapshot_ok and self.source.connected

    def _first_snapshot(self) -> dict | None:
        try:
            while not self.stop.is_set():
                try:
                    return self.source.snapshot()
                except Exception as exc:
                    log.info("%s: hub unreachable: %s", self.name, exc)
                    self.stop.wait(self.retry_s)
            return None
        finally:
            self.source.release()  # later snapshots are the refresher's

    def _follow(self) -> None:
        snap = self._first_snapshot()
        if snap is None:
            return
        seq = snap["last_event"]
        self.snapshot_ok = True
        self.inbox.put(("hall", snap))
        self._refresher.start()
        while not self.stop.is_set():
            try:
                for event in self.source.events_after(seq, self.stop):
                    if self.stop.is_set():
                        return
                    seq = event.get("seq", seq)
                    self.inbox.put(("event", event))
                    if event.get("type") == HALL_CHANGED:
                        self._ask(hall=True)
                    elif self.refresh:
                        self._ask()
                return  # the hub in this process is shutting down
            except Exception:
                if self.stop.is_set():
                    return
                # Resumed after the last event received: nothing skipped, nothing twice.
                log.exception("%s: event stream", self.name)
                self.stop.wait(self.retry_s)

    def _ask(self, hall: bool = False) -> None:
        with self._due:
            if hall:
                self._hall_due = True
            else:
                self._counts_due = True
            self._due.notify()

    def _wait_due(self, last: float) -> bool | None:
        """Wait until a snapshot is due (`last`: when the latest was taken); whether it is for
        the hall (True) or the counts (False), None once stopped. A changed hall is fetched at
        once; counts at most every REFRESH_S."""
        with self._due:
            while not self.stop.is_set():
                wait = None
                if self._hall_due:
                    self._hall_due = self._counts_due = False
                    return True
                if self.refresh:
                    since = time.monotonic() - last
                    if self._counts_due:
                        wait = REFRESH_S - since
                    elif self.refresh_s is not None:
                        wait = self.refresh_s - since
                    if wait is not None and wait <= 0:
                        self._counts_due = False
                        return False
                self._due.wait(wait)
            return None

    def _refresh(self) -> None:
        last = time.monotonic()  # the first snapshot has just been taken
        try:
            while (hall := self._wait_due(last)) is not None:
                try:
                    snap = self.source.snapshot()
                except Exception as exc:
                    log.info("%s: snapshot: %s", self.name, exc)
                    self._ask(hall=hall)  # try again once the hub answers
                    self.stop.wait(self.retry_s)
                    continue
                last = time.monotonic()
                self.inbox.put(("hall", snap))
        finally:
            self.source.release()

    def close(self) -> None:
        self.stop.set()
        with self._due:
            self._due.notify_all()
        self.source.interrupt()
        for t in (self._follower, self._refresher):
            if t is not None and t.is_alive():
                t.join(timeout=3)


class HubFeed(Feed):
    """The hall from the hub at `url`, over HTTP, as the device `token` (None: anonymously)."""

    def __init__(self, url: str, inbox: queue.Queue, retry_s: float = 1.0, timeout: float = 20.0,
                 name: str = "display", refresh: bool = True, refresh_s: float | None = None,
                 token: str | None = None):
        super().__init__(HttpSource(url, timeout=timeout, retry_s=retry_s, token=token), inbox,
                         name=name, retry_s=retry_s, refresh=refresh, refresh_s=refresh_s)
