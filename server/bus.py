"""The in-process fan-out of committed events to event-stream clients.

Every stream client is a thread waiting on one condition; a commit appends its events and wakes
them all. The buffer keeps the recent past, so a client that reconnects after a short gap is served
from memory; an older position is read back from the store by the caller.
"""
from __future__ import annotations

import threading
from collections import deque

from .store import StoredEvent


class EventBus:
    # About 1 KB an event (its JSON; frames are made per batch as it is sent): 1024 cover several
    # minutes of a busy hall, more than a display's reconnect takes, within the memory budget.
    def __init__(self, capacity: int = 1024):
        self._cond = threading.Condition()
        self._events: deque[StoredEvent] = deque(maxlen=capacity)
        self.last_seq = 0
        self.closed = False
        # Called (outside the lock) after every publish and on close; must be quick and not raise.
        self.listeners: list = []

    @property
    def capacity(self) -> int:
        return self._events.maxlen or 0

    def reset(self, last_seq: int, recent: list[StoredEvent] = ()) -> None:
        """Start at `last_seq`, holding `recent` (the newest events up to it, in order) so the
        displays that reconnect after a restart are served from memory, not each from SQL."""
        with self._cond:
            self._events.clear()
            self._events.extend(e for e in recent if e.seq <= last_seq)
            self.last_seq = last_seq

    def publish(self, events: list[StoredEvent]) -> None:
        if not events:
            return
        with self._cond:
            for e in events:
                if e.seq > self.last_seq:  # never deliver one twice or out of order
                    self._events.append(e)
                    self.last_seq = e.seq
            self._cond.notify_all()
        self._notify()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
        self._notify()

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()

    def covers(self, seq: int) -> bool:
        """Whether every event after `seq` is still in memory."""
        with self._cond:
            return seq >= self.last_seq or (bool(self._events) and self._events[0].seq <= seq + 1)

    def events_after(self, seq: int) -> list[StoredEvent]:
        """Events after `seq` still in memory, without waiting."""
        with self._cond:
            return self._after(seq)

    def _after(self, seq: int) -> list[StoredEvent]:
        # Scan from the newest end: a live client is nearly always a handful behind.
        out = []
        for e in reversed(self._events):
            if e.seq <= seq:
                break
            out.append(e)
        out.reverse()
        return out

    def wait_after(self, seq: int, timeout: float) -> list[StoredEvent] | None:
        """Events after `seq`, waiting up to `timeout` for one; [] on time-out, None once closed.

        The caller must have checked `covers(seq)` (or caught up from the store) first.
        """
        with self._cond:
            if self.last_seq <= seq and not self.closed:
                self._cond.wait(timeout)
            if self.closed:
                return None
            return self._after(seq)
