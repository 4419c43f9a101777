"""The feed's protocol over a source the test controls: the snapshot first, then every event
after it, resumed after the last event received when the link breaks (nothing skipped, nothing
twice), and a hub that is not up yet is waited for. The HTTP and in-process sources are driven
for real by the display, kiosk and buttons tests."""
from __future__ import annotations

import queue
import threading

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
