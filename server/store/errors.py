"""Storage failures: the database telling the hub it cannot keep what it is asked to write.

A full disk, an I/O error, a file system remounted read-only (what an SD card does after errors)
or a database file that cannot be opened are not the request's fault and not a bug: they are one
condition of the hall's hardware. On PostgreSQL the same conditions are the server's: it cannot
be reached (stopped, restarting, the network down), its disk is full, it fails to read or write,
or it has become a read-only standby. The store turns each into `StorageUnavailable` (503
`storage_unavailable`), and `StorageHealth` logs the condition once when it starts, a reminder
while it lasts and once when it clears, however many requests meet it.
"""
from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from ..engine.model import DomainError

log = logging.getLogger(__name__)

# SQLite's primary result codes (an extended code such as SQLITE_IOERR_FSYNC keeps its primary
# code in the low byte). SQLITE_BUSY is not here: a locked database is waited for, not a fault.
SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 8, 10, 13, 14
STORAGE_CODES = frozenset({SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN})
# PostgreSQL's SQLSTATE classes of the same conditions: 08 connection exception, 53 insufficient
# resources (53100 disk full), 58 system error (I/O), 57P operator intervention (the server
# shutting down or starting); and 25006, a write to a read-only server (a standby). Not 57014
# (a cancelled query) nor 40xxx (a serialization failure: the hub's writers never meet one).
PG_STORAGE_CLASSES = ("08", "53", "58", "57P")
PG_READ_ONLY = "25006"

MESSAGE = "The hub cannot save tickets right now; staff have been alerted"
MESSAGE_ZH = "系统暂时无法保存，请稍候或联系工作人员"
REMIND_EVERY_S = 300.0


class StorageUnavailable(DomainError):
    """A write the database could not make durable. Nothing of it was kept; the same request may be
    sent again (with the same Idempotency-Key) once storage works."""

    status = 503

    def __init__(self, reason: str):
        super().__init__("storage_unavailable", MESSAGE, MESSAGE_ZH)
        self.reason = reason  # the database's name for it, e.g. SQLITE_FULL, for the log


def storage_failure(exc: BaseException) -> str | None:
    """The database's name for the storage failure behind `exc` (e.g. SQLite's
    'SQLITE_IOERR_SHMSIZE', PostgreSQL's 'PG_53100_DiskFull'), or None when `exc` is anything
    else (a constraint, a locked database, a bug)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc  # SQLAlchemy wraps the driver's error
    if not isinstance(orig, sqlite3.Error):
        return _pg_failure(orig, exc)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is None or code & 0xFF not in STORAGE_CODES:
        return None
    return getattr(orig, "sqlite_errorname", None) or f"SQLite error {code}"


def _pg_failure(orig: BaseException, exc: BaseException) -> str | None:
    psycopg = sys.modules.get("psycopg")  # loaded only by a PostgreSQL engine
    if psycopg is None or not isinstance(orig, psycopg.Error):
        return None
    code = orig.sqlstate
    if code is None:
        # No SQLSTATE: libpq's own failure, the connection lost or never made.
        if isinstance(orig, psycopg.OperationalError) or (
                isinstance(exc, DBAPIError) and exc.connection_invalidated):
            return "PG_CONNECTION_LOST"
        return None
    if code == PG_READ_ONLY or code.startswith(PG_STORAGE_CLASSES):
        return f"PG_{code}_{type(orig).__name__}"
    return None


class StorageHealth:
    """Whether the last attempt at `what` (writing, checkpointing) worked, and the log of it.

    A fault is logged at ERROR when it starts and again every `remind_every_s` while it lasts
    (with how many attempts failed meanwhile), so a full disk during a busy morning is a few log
    lines, not one per touch of a kiosk. Its end is logged once, at WARNING.
    """

    def __init__(self, what: str, meanwhile: str, remind_every_s: float = REMIND_EVERY_S,
                 clock: Callable[[], float] = time.monotonic):
        self.what, self.meanwhile = what, meanwhile  # what fails, and what that means for the hall
        self.remind_every_s, self._clock = remind_every_s, clock
        self._lock = threading.Lock()
        self._since: float | None = None  # when the current fault started (clock time)
        self._failures = 0
        self._reminded_at = 0.0

    @property
    def available(self) -> bool:
        return self._since is None

    def failed(self, reason: str, exc: BaseException) -> None:
        now = self._clock()
        with self._lock:
            first = self._since is None
            if first:
                self._since, self._failures, self._reminded_at = now, 0, now
            self._failures += 1
            remind = not first and now - self._reminded_at >= self.remind_every_s
            if remind:
                self._reminded_at = now
            failures, since = self._failures, self._since
        if first:
            words = exc.orig if isinstance(exc, DBAPIError) else exc  # SQLite's, without SQL
            log.error("storage unavailable: %s failed (%s: %s); %s", self.what, reason, words,
                      self.meanwhile)
        elif remind:
            log.error("storage still unavailable after %.0f s: %s failed %d times (%s)",
                      now - since, self.what, failures, reason)

    def succeeded(self) -> None:
        if self._since is None:  # the normal case, without taking the lock
            return
        now = self._clock()
        with self._lock:
            if self._since is None:
                return
            since, failures = self._since, self._failures
            self._since, self._failures = None, 0
        log.warning("storage available again: %s works after %.0f s and %d failures",
                    self.what, now - since, failures)
