"""The feed's protocol over a source the test controls: the snapshot first, then every event
after it, resumed after the last event received when the link breaks (nothing skipped, nothing
twice), and a hub that is not up yet is waited for. The HTTP and in-process sources are driven
for real by the display, kiosk and buttons tests."""
from __future__ import annotations

import queue
import threading
import time

from hallcall.hallclient.feed import Feed


class ScriptedSource:
    """Answers `snapshot` after `down` failures; each `events_after` call plays the next script
    (a list of sequence numbers, then either a broken link or a wait for stop)."""

    def __init__(self, last_event: int, scripts: list[tuple[list[int], bool]], down: int = 0):
        self.last_event, self.scripts, self.down = last_event, list(scripts), down
        self.asked_after: list[int] = []
        self.connected = False

    def snapshot(self) -> dict:
        if self.down:
            self.down -= 1
            raise ConnectionError("hub not reachable")
        return {"last_event": self.last_event, "windows": []}

    def events_after(self, seq: int, stop: threading.Event):
        self.asked_after.append(seq)
        seqs, breaks = self.scripts.pop(0) if self.scripts else ([], False)
        self.connected = True
        for s in seqs:
            yield {"seq": s, "type": "ticket.called"}
        if breaks:
            self.connected = False
            raise ConnectionError("event stream closed")
        stop.wait()

    def interrupt(self) -> None:
        pass

    def release(self) -> None:
        pass


def received(inbox: queue.Queue, count: int) -> list:
    return [inbox.get(timeout=5) for _ in range(count)]


def test_a_broken_stream_resumes_after_the_last_event_received():
    source = ScriptedSource(5, [([6, 7], True), ([8], False)])
    inbox: queue.Queue = queue.Queue()
    feed = Feed(source, inbox, name="test", retry_s=0.01, refresh=False)
    feed.start()
    try:
        got = received(inbox, 4)
    finally:
        feed.close()
    assert got[0] == ("hall", {"last_event": 5, "windows": []})
    assert [e["seq"] for kind, e in got[1:]] == [6, 7, 8]
    assert source.asked_after == [5, 7]  # from the snapshot, then from the last event
    assert inbox.empty()


def test_the_feed_waits_for_a_hub_that_is_not_up_yet():
    source = ScriptedSource(12, [([13], False)], down=3)
    inbox: queue.Queue = queue.Queue()
    feed = Feed(source, inbox, name="test", retry_s=0.01, refresh=False)
    assert not feed.online
    feed.start()
    try:
        got = received(inbox, 2)
        assert feed.online  # the hall is known and the stream is open
    finally:
        feed.close()
    assert got == [("hall", {"last_event": 12, "windows": []}),
                   ("event", {"seq": 13, "type": "ticket.called"})]
    assert source.asked_after == [12]


class HallSource(ScriptedSource):
    """Plays one script of (seq, type) events (or a number: a pause of that many seconds),
    then waits; each snapshot says which it is, and the first `fail` snapshots after the first
    one fail."""

    def __init__(self, script: list[tuple[int, str]], fail: int = 0):
        super().__init__(0, [])
        self.script, self.fail, self.snapshots = script, fail, 0

    def snapshot(self) -> dict:
        if self.snapshots and self.fail:
            self.fail -= 1
            raise ConnectionError("hub not reachable")
        self.snapshots += 1
        return {"last_event": 0, "version": self.snapshots}

    def events_after(self, seq: int, stop: threading.Event):
        self.connected = True
        for step in self.script:
            if isinstance(step, float):
                time.sleep(step)
                continue
            yield {"seq": step[0], "type": step[1]}
        stop.wait()


def messages(inbox: queue.Queue, wait_s: float = 0.3) -> list:
    """What the feed has put in the inbox, waiting `wait_s` for anything late."""
    out = []
    while True:
        try:
            out.append(inbox.get(timeout=wait_s))
        except queue.Empty:
            return out


def test_a_feed_without_refreshes_takes_a_snapshot_at_once_on_hall_changed():
    """The keys' feed: no snapshot for a call, one for a changed hall (a window renamed or
    retired, a service added)."""
    source = HallSource([(1, "ticket.called"), (2, "hall.changed"), (3, "ticket.called")])
    inbox: queue.Queue = queue.Queue()
    feed = Feed(source, inbox, name="test", retry_s=0.01, refresh=False)
    feed.start()
    try:
        got = messages(inbox)
    finally:
        feed.close()
    halls = [m for kind, m in got if kind == "hall"]
    assert halls == [{"last_event": 0, "version": 1}, {"last_event": 0, "version": 2}]
    assert [m["seq"] for kind, m in got if kind == "event"] == [1, 2, 3]
    assert got.index(("hall", halls[1])) > got.index(("event", {"seq": 2, "type": "hall.changed"}))


def test_a_changed_hall_is_fetched_at_once_even_just_after_a_counts_refresh(monkeypatch):
    """Counts are refreshed at most every REFRESH_S; a changed hall does not wait for that."""
    from hallcall.hallclient import feed as feeds
    monkeypatch.setattr(feeds, "REFRESH_S", 30.0)
    source = HallSource([(1, "ticket.issued"), 0.3, (2, "hall.changed")])
    inbox: queue.Queue = queue.Queue()
    feed = Feed(source, inbox, name="test", retry_s=0.01, refresh=True)
    feed.start()
    try:
        got = messages(inbox, wait_s=1.0)
    finally:
        feed.close()
    changed = got.index(("event", {"seq": 2, "type": "hall.changed"}))
    assert [kind for kind, _ in got[changed + 1:]] == ["hall"]  # the changed hall, at once
    # The counts waited out their 30 s, and the changed hall's snapshot holds them.
    assert [m["version"] for kind, m in got if kind == "hall"] == [1, 2]


def test_a_changed_hall_is_fetched_again_when_the_hub_did_not_answer():
    source = HallSource([(1, "hall.changed")], fail=2)
    inbox: queue.Queue = queue.Queue()
    feed = Feed(source, inbox, name="test", retry_s=0.01, refresh=False)
    feed.start()
    try:
        got = messages(inbox)
    finally:
        feed.close()
    assert [m["version"] for kind, m in got if kind == "hall"] == [1, 2]
    assert source.fail == 0
