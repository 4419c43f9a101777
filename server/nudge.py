"""The nudge: a hub process that committed wakes the other hub processes on the same SQLite file.

Each hub process's follower (Hub._follow) looks at the file every 100 ms for what other processes
committed, so with several workers a display whose stream is on another worker than the window's
call saw it up to 100 ms late (the budget: call to every display, p99 under 20 ms). So each
following process binds a UNIX datagram socket in a folder beside the database,
`<database>-nudge/<pid>` (the folder 0700; `<pid>-2` … for more hubs in one process, as in a
test), and its follower waits on it, with the tick's timeout,
instead of sleeping. After each commit with events the committing process sends one small
non-blocking datagram to every other socket there; the one woken drains its socket and fetches
at once. The folder is listed again about once a second; a socket whose process is gone (the
send is refused) is removed. The datagram carries nothing: the file holds what to fetch.

Nothing here is needed for correctness: a lost nudge (a peer's full queue, a folder that cannot
be made, a path too long for AF_UNIX) only leaves that process to its 100 ms polling, which is
said once in the log. PostgreSQL has no file beside which to meet: no nudge there, polling as
before. A process that does not follow (a command such as `config import`) only rings.
"""
from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Collection
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = "-nudge"  # beside SQLite's -wal and -shm and the writer lock's -writer
REFRESH_S = 1.0  # how often the folder is listed again for new and gone processes
MAX_PATH = 107  # AF_UNIX's sun_path holds 108 bytes with the closing NUL
_made = itertools.count(1)  # this process's nudges so far: each its own socket
POLLING = "other processes' events reach this one by its follower's 100 ms polling instead"


def _pid_of(path: str) -> int | None:
    """The pid a socket of the folder is named by (`<pid>`, `<pid>-2`, …)."""
    name = os.path.basename(path).split("-", 1)[0]
    return int(name) if name.isdigit() else None


class Nudge:
    """One process's socket in `<database>-nudge/` (when `listen`), and its ring to the others."""

    def __init__(self, database: Path | None, listen: bool = True):
        self.folder = None if database is None else database.with_name(database.name + SUFFIX)
        self.path: str | None = None  # this process's own socket, when it listens
        self._inbox: socket.socket | None = None
        self._poll: select.poll | None = None
        self._outbox: socket.socket | None = None
        self._peers: list[str] = []
        self._listed = -REFRESH_S  # monotonic time of the last listing
        self._changed = 0  # the folder's mtime then: a process came or went since if it differs
        self._lock = threading.Lock()  # one ring at a time (its list of peers)
        if self.folder is None:
            return
        try:
            self._outbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._outbox.setblocking(False)
        except OSError as exc:  # no AF_UNIX at all (a sandbox's RestrictAddressFamilies)
            log.warning("cannot make the nudge's socket (%s); %s", exc.strerror, POLLING)
            self.folder = None
            return
        if listen:
            self._bind()

    @property
    def listening(self) -> bool:
        """Whether this process has a socket to be woken on (else its follower sleeps)."""
        return self._inbox is not None

    def _bind(self) -> None:
        n = next(_made)
        path = os.path.join(self.folder, str(os.getpid()) + ("" if n == 1 else f"-{n}"))
        if len(os.fsencode(path)) > MAX_PATH:
            log.warning("the nudge socket %s would be longer than a UNIX socket's path may be "
                        "(%d bytes); %s", path, MAX_PATH, POLLING)
            return
        inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.folder, 0o700)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # a gone process's of this pid: the pid is ours now
            inbox.bind(path)
            inbox.setblocking(False)
        except OSError as exc:
            inbox.close()
            log.warning("cannot make the nudge socket %s (%s); %s", path, exc.strerror, POLLING)
            return
        self._inbox, self.path = inbox, path
        self._poll = select.poll()
        self._poll.register(inbox, select.POLLIN)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a nudge (the caller listens); every nudge waiting
        is taken, so one wake-up answers all. Whether one came."""
        if not self._poll.poll(timeout * 1000):
            return False
        while True:
            try:
                self._inbox.recv(64)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:  # closed under us by close(): the hub is stopping
                return True

    def ring(self, quiet: Collection[int] = ()) -> None:
        """Wake every other process with a socket in the folder, without ever blocking; but not
        the processes `quiet` (pids), which hear of the commit otherwise (write_service.py)."""
        if self.folder is None:
            return
        with self._lock:
            now = time.monotonic()
            try:
                changed = os.stat(self.folder).st_mtime_ns
            except OSError:  # no folder yet: no process listens
                changed = 0
            # Listed again at once when a process came or went (the folder's time changed), so a
            # worker that just started is woken from its first commit on; and once a second in
            # case the file system's times are coarse.
            if changed != self._changed or now - self._listed >= REFRESH_S:
                self._listed, self._changed = now, changed
                try:
                    names = os.listdir(self.folder)
                except OSError:
                    names = []
                self._peers = [p for p in (os.path.join(self.folder, n) for n in names)
                               if p != self.path]
            for peer in list(self._peers):
                if not quiet or _pid_of(peer) not in quiet:
                    self._send(peer)

    def _send(self, peer: str) -> None:
        try:
            self._outbox.sendto(b"!", peer)
        except (BlockingIOError, InterruptedError):
            pass  # its queue is full: it has nudges waiting already
        except OSError as exc:
            self._peers.remove(peer)  # until the next listing
            if exc.errno == errno.ECONNREFUSED:  # nobody bound there: a process gone for good
                with contextlib.suppress(OSError):
                    os.unlink(peer)

    def interrupt(self) -> None:
        """Wake this process's own wait (the hub stopping)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                self._outbox.sendto(b"!", self.path)

    def close(self) -> None:
        """Give up the socket; the folder stays (other processes may be in it)."""
        with self._lock:
            if self._inbox is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
                self._inbox.close()
            if self._outbox is not None:
                self._outbox.close()
            self.folder = None
