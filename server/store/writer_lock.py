"""The writer lock the hub processes sharing one SQLite file queue by, ahead of SQLite's own.

SQLite lets one connection write at a time. A writer that finds the file locked is put to sleep
by SQLite's busy handler for a guessed while (1, 2, 5, 10 … 100 ms) and tries again, so two busy
hub processes on one file slept more than they wrote: in bench/hub.py two processes sustained
fewer tickets a second than one, and a ticket waited up to 0.8 s for the lock. Each process's
writers already queue on a mutex of their own (group_commit.Turns); the one writer of a process
that holds it also takes an exclusive `flock` on a file next to the database before BEGIN
IMMEDIATE, and lets it go once its group is committed. The kernel wakes a process waiting for
the flock the moment it is released, and the blocked thread holds no GIL.

It only orders writers: SQLite's lock still guards the file, so a program that does not take this
lock (the sqlite3 shell, an older hub) is still safe, it just waits the old way. Where the file
cannot be made (a read-only folder) or the database is in memory, there is no lock to take. The
file stays when the hub stops: removing it could let two processes lock two different files.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = "-writer"  # beside SQLite's own -wal and -shm


class WriterLock:
    """An exclusive flock on `<database>-writer`, taken and given back by one thread at a time."""

    def __init__(self, database: Path | None):
        self.path = None if database is None else database.with_name(database.name + SUFFIX)
        self._fd: int | None = None
        self._unusable = self.path is None

    def acquire(self) -> bool:
        """Wait for the lock; False if there is none to take (then SQLite's alone orders us)."""
        if self._unusable:
            return False
        if self._fd is None:
            try:
                # Read access is all flock needs: a file made by a command run as root still serves.
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                self._unusable = True
                log.warning("cannot open the writer lock %s (%s); hub processes sharing the "
                            "database wait for each other by SQLite's busy handler instead",
                            self.path, exc.strerror)
                return False
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks in the kernel, without the GIL
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # also lets go of a lock still held
            self._fd = None
