"""kill -9 with 100 displays connected: after the restart each display resumes with exactly the
events it missed (issue 11).

A real hub process, 100 event-stream clients in threads (hallclient.EventStream, reconnecting by
itself with Last-Event-ID, as the wall displays do), a kiosk and a window acting all along; the
hub is killed -9 in the middle, the hall goes on through another hub on the file while it is
down, and it is started again on the same file and port. Every client's list of events must
then be the events table itself: none missed, none repeated, in order.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid

import pytest
from helpers import auth

from hallcall.hallclient import HubClient, HubError
from hallcall.hallclient.feed import StoppableStream

pytestmark = pytest.mark.slow

DISPLAYS = 100
KIOSK, BUTTONS = "demo-kiosk", "demo-buttons"
WAIT_S = 30.0  # generous upper bounds for a busy machine; nothing here is timed


class Display:
    """One wall display: follows the stream in its own thread and records every event."""

    def __init__(self, url: str, after: int):
        self.stop = threading.Event()
        self.stream = StoppableStream(url, after=after, timeout=20, reconnect=True, retry_s=0.1,
                             stop=self.stop)
        self.got: list[tuple[int, str, str | None]] = []  # (seq, type, ticket number)
        self.connected = threading.Event()
        self.until: int | None = None  # stop once this seq is seen
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            # Heartbeats too: the ": connected" comment of every (re)connection lets the thread
            # notice `stop` even when no event comes.
            for event in self.stream.events(heartbeats=True):
                self.connected.set()
                if event is not None:
                    self.got.append((event.seq, event.type, event.data.get("ticket", {}).get("number")))
                if self.stop.is_set() or (self.until is not None and self.got
                                          and self.got[-1][0] >= self.until):
                    return
        except ConnectionError:  # the hub went away after the test ended
            pass
        finally:
            self.stream.close()


def wait_for(condition, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


class Hall:
    """A kiosk issuing and window 1 calling, one after the other, until stopped; a refused or
    unanswered request (the hub is down) is simply tried again later, with the same
    Idempotency-Key for an issue, as a kiosk does."""

    def __init__(self, url: str):
        self.kiosk, self.buttons = HubClient(url, KIOSK, timeout=3), HubClient(url, BUTTONS, timeout=3)
        self.acted = 0  # successful requests, each one committing events
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        key = None
        try:
            while not self.stop.is_set():
                try:
                    if self.acted % 3 == 2:
                        self.buttons.call_next("1")
                    else:
                        key = key or uuid.uuid4().hex
                        self.kiosk.issue("company-name", idempotency_key=key)
                        key = None
                    self.acted += 1
                except HubError as exc:
                    if exc.status != 0:
                        raise
                    self.stop.wait(0.05)  # the hub is down: the next try finds it back
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)
        finally:
            self.kiosk.close()
            self.buttons.close()


def stored_events(db, after: int) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT seq, type, data FROM events WHERE seq > ? ORDER BY seq",
                            (after,)).fetchall()
    return [(seq, kind, json.loads(data).get("ticket", {}).get("number")) for seq, kind, data in rows]


def test_displays_resume_with_exactly_the_missed_events_after_kill_9(real_server, make_app, hub_db):
    probe = real_server.client()
    try:
        base = probe.hall()["last_event"]
    finally:
        probe.close()
    displays = [Display(real_server.url, base) for _ in range(DISPLAYS)]
    hall = Hall(real_server.url)
    try:
        for d in displays:
            d.thread.start()
        wait_for(lambda: all(d.connected.is_set() for d in displays), "every display connected")

        hall.thread.start()
        wait_for(lambda: hall.acted >= 30, "events before the kill")
        wait_for(lambda: all(len(d.got) >= 20 for d in displays), "displays following live")
        port = real_server.port
        real_server.kill()  # SIGKILL while events flow and every display is connected
        acted_at_kill = hall.acted

        # While the displays' hub is down, the hall goes on through another hub on the same
        # file (in this process: what matters is the file), so every display has events to
        # catch up on from the store when it is back (not only the live ones, which a restart
        # alone might leave untested by luck of timing).
        other = make_app(CLOCK=None)
        web = other.test_client()
        missed = [web.post("/api/tickets", json={"service": "company-name"},
                           headers=auth(KIOSK)).get_json()["ticket"]["number"] for _ in range(5)]
        missed.append(web.post("/api/windows/2/call-next",
                               headers=auth(BUTTONS)).get_json()["ticket"]["number"])
        other.config["HUB"].stop()
        assert all(d.got[-1][0] < stored_events(hub_db, base)[-1][0] for d in displays)

        real_server.start(port=port)  # the same file and address the displays know
        wait_for(lambda: hall.acted >= acted_at_kill + 30, "events after the restart")
        hall.stop.set()
        hall.thread.join(WAIT_S)
        assert not hall.errors, hall.errors

        expected = stored_events(hub_db, base)
        last = expected[-1][0]
        for d in displays:
            d.until = last
        wait_for(lambda: all(d.got and d.got[-1][0] >= last for d in displays),
                 "every display caught up")
    finally:
        hall.stop.set()
        for d in displays:
            d.stop.set()
        real_server.kill()  # ends every stream still open; the displays then stop reconnecting
        for d in displays:
            d.thread.join(5)
        assert not any(d.thread.is_alive() for d in displays), "display threads hung"

    assert len(expected) >= 60 + len(missed)
    assert {(kind, number) for _, kind, number in expected} >= {("ticket.issued", n) for n in missed}
    for i, d in enumerate(displays):
        assert d.got == expected, f"display {i} differs from the events table"
