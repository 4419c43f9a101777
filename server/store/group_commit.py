"""Group commit: the writers that queue while a commit is under way share the next one.

The database has one writer at a time (BEGIN IMMEDIATE on SQLite, the hub's advisory lock on
PostgreSQL) and a durable commit waits for the disk. With one commit per request every writer
waited behind each other writer's fsync, and the hub topped out at a few hundred tickets a second.
So the writers of one process take turns inside one open transaction, each in a savepoint of its
own, and a writer that finishes while another is waiting for its turn leaves the transaction open
for it: the last writer of such a run commits for all of them, and each answers only once that
commit is durable. A group is bounded (members, and how long it has been open), so nobody waits
long behind a big one; without a writer waiting it is committed at once, as before.

This module holds the bookkeeping; Store.write (repo.py) runs the transaction.
"""
from __future__ import annotations

import logging
import threading
import time

from .. import timing
from .events import StoredEvent

log = logging.getLogger(__name__)

# A writer hands the open transaction on only while the group has fewer members than this and
# its first answer has been held back for less than this: a member waits for the members after
# it (a few tenths of a millisecond each on an idle machine, more on a busy one).
MAX_MEMBERS = 12
MAX_HELD_S = 0.01


class Group:
    """One open write transaction and the writers whose work is in it."""

    __slots__ = ("conn", "transaction", "file_locked", "members", "written", "cache",
                 "held_since", "done", "failure", "closing", "db_s")

    def __init__(self, conn, transaction, file_locked: bool = False):
        self.conn, self.transaction = conn, transaction
        self.file_locked = file_locked  # it holds the processes' writer lock (writer_lock.py)
        self.members = 0  # writers whose work is in it (a refused one is rolled back, not counted)
        self.written: list[StoredEvent] = []  # their events, in sequence order
        # What stays true from one member to the next under the write lock (the newest event's
        # seq and time, …): read once per group, not once per request (see Tx).
        self.cache: dict = {}
        self.held_since = 0.0  # when its first member finished (and began to wait for it)
        self.done = threading.Event()  # set once committed, or undone
        self.failure: str | None = None  # why it was undone (a storage failure's name)
        self.closing = False  # a member asked that what it wrote be committed before anyone reads it
        self.db_s = 0.0  # how long the database's own COMMIT took (its writes and fsync)

    def may_grow(self) -> bool:
        return (not self.closing and 0 < self.members < MAX_MEMBERS
                and time.perf_counter() - self.held_since < MAX_HELD_S)

    def join(self, written: list[StoredEvent], cache: dict, closing: bool) -> None:
        """A member's work is done (its savepoint released): count it in."""
        if not self.members:
            self.held_since = time.perf_counter()
        self.members += 1
        self.written += written
        self.cache = cache
        self.closing |= closing


class Turns:
    """The lock the writers of this process take turns by, and how many wait for it (a writer
    that finishes leaves its group open only while somebody waits)."""

    def __init__(self):
        self.lock = threading.Lock()
        self._counting = threading.Lock()
        self.waiting = 0

    def take(self) -> None:
        if self.lock.acquire(blocking=False):
            return
        with self._counting:
            self.waiting += 1
        try:
            self.lock.acquire()
        finally:
            with self._counting:
                self.waiting -= 1

    def release(self) -> None:
        self.lock.release()

    def __enter__(self):
        self.take()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Op:
    """One write handed to the store's writer thread (Store.run), and its answer."""

    __slots__ = ("config", "work", "on_done", "submitted", "started", "ran", "result", "error",
                 "group", "_done")

    def __init__(self, config, work, on_done=None):
        self.config, self.work, self.on_done = config, work, on_done
        self.submitted = time.perf_counter()
        self.started = self.ran = 0.0  # when its work began and ended, in the writer thread
        self.result = self.error = None
        self.group: Group | None = None  # the group it joined
        self._done = threading.Event()

    def finish(self, error: BaseException | None = None) -> None:
        self.error = error
        self._done.set()
        if self.on_done is not None:
            try:
                self.on_done(self)
            except Exception:  # the writer thread that answers it must go on
                log.exception("could not answer a write")

    def timings(self) -> dict[str, float]:
        """Once finished: its wait for the turn and, if its work ran, from then to now (the
        group's commit), and of that the database's own COMMIT (`db`; the rest is the members
        after it, telling the world and handing the answer back), in seconds, as Server-Timing
        names them."""
        out = {}
        if self.started:
            out["lock"] = self.started - self.submitted
        if self.ran:
            out["commit"] = time.perf_counter() - self.ran
            if self.group is not None and self.group.db_s:
                out["db"] = self.group.db_s
        return out

    def answer(self):
        """Wait until committed or undone: its result, or raise its error."""
        self._done.wait()
        for name, seconds in self.timings().items():
            timing.record(name, seconds)
        if self.error is not None:
            raise self.error
        return self.result
