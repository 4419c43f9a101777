"""The writer process of `serve --workers N` on SQLite: every worker's issuing and window actions,
written by one process.

With each worker writing itself, the workers took turns on the file (server/store/writer_lock.py),
and each turn lasted twice the work in it: every SQLite call lets go of the interpreter lock, and
the writer then waited to get it back behind the requests its own process was serving. Measured
on 2 cores, flat out: two workers 813 tickets/s, four 890, with a third of the CPU idle while
the turn went round. So the supervisor starts one more process, which serves no HTTP: it runs the
writes that come in crowds (Hub.issue, Hub.act) for all the workers, through its store's writer
thread (Store.submit: one group, one fsync, for all that queue meanwhile), and nothing in it
competes with that thread. Every other write (an admin's change, a citizen's cancel) is still
made by the worker that serves it, taking its turn on the file as before.

A worker sends the use case's name and arguments over a UNIX stream socket in a folder only the
hub's user can open (the supervisor makes it and passes its path to every process), and waits for
the answer: the result, or the exception to raise (a refusal is a DomainError, as in-process),
with the writer's account of its wait and its commit for Server-Timing. Frames are a 4-byte length
and a pickle; pickle is safe here because only processes of the hub's own user can reach the socket.
An answer comes only once the write is durable, as in-process. If the writer process is gone, every
write waiting for it gets StorageUnavailable (503): the same request may be sent again with the
same Idempotency-Key, and nothing is issued twice. The supervisor then stops the hub for systemd
to restart it whole, as when a worker dies.

The events the writer commits go to every worker on the same connection, ahead of the answers,
and each worker publishes them to its displays as it reads them (Hub.take_events), with no read
of its own; the writer nudges only the other processes on the file (server/nudge.py).
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import socket
import struct
import threading
import time

from . import timing
from .store.errors import StorageUnavailable

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
CONNECT_WAIT_S = 30.0  # how long a worker starting with the writer waits for its socket
RECONNECT_WAIT_S = 2.0  # later, when the connection was lost
SEND_TIMEOUT_S = 5  # the writer's longest wait to hand a worker an answer or events


def _frame(payload: object) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _send(sock: socket.socket, lock: threading.Lock, payload: object) -> None:
    frame = _frame(payload)  # pickled before the lock: a payload that cannot be sends nothing
    with lock:
        sock.sendall(frame)


def _receive(stream) -> object | None:
    """The next frame's object, None at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    size = _LENGTH.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _wait_until_empty(lock: threading.Lock, collection, timeout: float) -> None:
    """Wait until `collection()` (read under `lock`) is empty, for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            if not collection():
                return
        time.sleep(0.02)


def _end(conn: socket.socket) -> None:
    """End a connection from any thread (its reader then closes it): a frame may have been
    half sent, so nothing more can go on it."""
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# -- in the writer process --------------------------------------------------------------------

def _send_timeout(conn: socket.socket, seconds: int) -> None:
    """SO_SNDTIMEO (a struct timeval: two longs, or two 64-bit fields where time_t is wider)."""
    for layout in ("ll", "qq"):
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack(layout, seconds, 0))
            return
        except OSError:
            continue


def _peer_pid(conn: socket.socket) -> int | None:
    """The pid of the process at the other end (Linux's SO_PEERCRED), None where unknown."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (AttributeError, OSError):
        return None
    return struct.unpack("3i", creds)[0]


class WriterService:
    """Answers the workers' writes on the socket at `path`, through `hub`'s store."""

    def __init__(self, hub, path: str):
        self.hub = hub
        # The use cases a worker may ask for: each gives (config, work) for Store.submit.
        self._writes = {"issue": hub.issue_write, "act": hub.act_write}
        self.path = path
        self._closed = threading.Event()
        # Each worker's connection: its lock for sending, and its pid (not nudged: _committed).
        self._connections: dict[socket.socket, tuple[threading.Lock, int | None]] = {}
        self._lock = threading.Lock()
        hub.store.on_commit = self._committed
        if os.path.exists(path):  # left by a writer that was killed
            os.unlink(path)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        os.chmod(path, 0o600)
        self._listener.listen(64)
        self._thread = threading.Thread(target=self._accept, name="write-service", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            # A worker that stops reading (stopped, swapped out) must not hold every other
            # worker's writes up: a send that cannot finish within this ends its connection.
            _send_timeout(conn, SEND_TIMEOUT_S)
            send_lock = threading.Lock()
            with self._lock:
                self._connections[conn] = (send_lock, _peer_pid(conn))
            threading.Thread(target=self._serve, args=(conn, send_lock),
                             name="write-service-worker", daemon=True).start()

    def _committed(self, written: list) -> None:
        """The store committed `written` (its on_commit, in the writer thread, before the
        writers are answered): every worker gets the events on its connection, ahead of the
        answers, and publishes them to its displays as it reads them (Hub.take_events), with
        no read of its own; the hub then nudges only the other processes on the file."""
        frame = _frame((0, True, written, {}))  # once, for every worker
        with self._lock:
            connections = list(self._connections.items())
        told = set()
        for conn, (send_lock, pid) in connections:
            try:
                with send_lock:
                    conn.sendall(frame)
            except OSError:
                _end(conn)  # gone, or not reading: its worker's waiting writes answer 503
                continue
            if pid is not None:
                told.add(pid)
        self.hub.committed(written, quiet=told)

    def _serve(self, conn: socket.socket, send_lock: threading.Lock) -> None:
        """One worker's connection: each request is handed to the store's writer thread, which
        answers it (on this socket) once it is durable; the next is read meanwhile."""
        stream = conn.makefile("rb")

        def answer(call_id: int, ok: bool, value: object, timings: dict) -> None:
            try:
                _send(conn, send_lock, (call_id, ok, value, timings))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                _send(conn, send_lock, (call_id, False, RuntimeError(
                    f"the writer process could not send its answer: {type(exc).__name__}: {exc}"), {}))
            except OSError:
                _end(conn)  # gone, or not reading: its worker's waiting writes answer 503

        try:
            while True:
                request = _receive(stream)
                if request is None:
                    return
                call_id, name, args, kwargs = request
                try:
                    config, work = self._writes[name](*args, **kwargs)
                except BaseException as exc:  # noqa: BLE001 - refused before writing: its answer
                    answer(call_id, False, exc, {})
                    continue
                self.hub.store.submit(config, work, lambda op, call_id=call_id: answer(
                    call_id, op.error is None, op.result if op.error is None else op.error,
                    op.timings()))
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.pop(conn, None)
            stream.close()
            conn.close()

    def wait_for_workers(self, timeout: float) -> None:
        """Wait until every worker has closed its connection (they do once they have stopped
        serving), for at most `timeout` s: under systemd every process of the hub hears
        SIGTERM at once, and the workers' last requests still write through this one."""
        _wait_until_empty(self._lock, lambda: self._connections, timeout)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for conn in list(self._connections):
                _end(conn)
        try:
            os.unlink(self.path)
        except OSError:
            pass


# -- in each worker -----------------------------------------------------------------------------

class _Call:
    __slots__ = ("done", "ok", "value", "timings")

    def __init__(self):
        self.done = threading.Event()
        self.ok, self.value, self.timings = False, None, {}


GONE = "the hub's writer process is not reachable"


class WriterClosed(StorageUnavailable):
    """The worker is stopping (WriterClient.close): its last requests write themselves."""

    def __init__(self):
        super().__init__("the worker's link to the writer process is closed")


class WriterClient:
    """A worker's line to the writer process: `call(name, *args, **kwargs)` is what the hub's
    own `name` (issue, act) returns or raises, written there."""

    def __init__(self, path: str, on_events=None):
        self.path = path
        # Called (in its reader thread) with the events the writer committed, before the
        # answers of the writes that made them: Hub.take_events.
        self.on_events = on_events
        self._lock = threading.Lock()  # the connection, the pending calls, sending
        self._sock: socket.socket | None = None
        self._pending: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._closed = False

    def connect(self, wait: float = CONNECT_WAIT_S) -> None:
        """Connect now (a worker starting beside its writer): raises StorageUnavailable if the
        writer's socket does not answer within `wait` seconds."""
        with self._lock:
            self._connected(wait)

    def _connected(self, wait: float) -> socket.socket:
        if self._closed:
            raise WriterClosed()
        if self._sock is not None:
            return self._sock
        deadline = time.monotonic() + wait
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
                break
            except OSError as exc:
                sock.close()
                if time.monotonic() >= deadline:
                    raise StorageUnavailable(f"{GONE}: {exc.strerror or exc}") from None
                time.sleep(0.05)
        self._sock = sock
        threading.Thread(target=self._read, args=(sock,), name="writer-client", daemon=True).start()
        return sock

    def call(self, name: str, *args, **kwargs):
        call = _Call()
        call_id = next(self._ids)  # atomic: itertools.count under the interpreter lock
        frame = _frame((call_id, name, args, kwargs))
        with self._lock:
            sock = self._connected(RECONNECT_WAIT_S)
            self._pending[call_id] = call
            try:
                sock.sendall(frame)
            except OSError as exc:
                self._pending.pop(call_id, None)
                self._lost(sock)
                raise StorageUnavailable(f"{GONE}: {exc.strerror or exc}") from None
        call.done.wait()
        for metric, seconds in call.timings.items():
            timing.record(metric, seconds)
        if not call.ok:
            raise call.value
        return call.value

    def _read(self, sock: socket.socket) -> None:
        stream = sock.makefile("rb")
        try:
            while True:
                try:
                    answer = _receive(stream)
                except OSError:
                    answer = None
                if answer is None:
                    return
                call_id, ok, value, timings = answer
                if call_id == 0:  # not an answer: the events of a commit
                    if self.on_events is not None:
                        self.on_events(value)
                    continue
                with self._lock:
                    call = self._pending.pop(call_id, None)
                if call is not None:
                    call.ok, call.value, call.timings = ok, value, timings
                    call.done.set()
        finally:
            stream.close()
            with self._lock:
                self._lost(sock)

    def _lost(self, sock: socket.socket) -> None:
        """The connection `sock` is over (the lock is held): every call waiting on it fails, and
        the next call connects again. Whether those writes were made is unknown to this side;
        each may be sent again (an issue with its Idempotency-Key is never issued twice)."""
        try:
            sock.close()
        except OSError:
            pass
        if self._sock is not sock:
            return  # told already (a failed send), and maybe connected again since
        self._sock = None
        if not self._closed:
            log.error("%s; the writes waiting for it answer 503", GONE)
        pending, self._pending = self._pending, {}
        for call in pending.values():
            call.ok, call.value = False, StorageUnavailable(GONE)
            call.done.set()

    def close(self, wait: float = 5.0) -> None:
        """No more calls (each raises WriterClosed); those under way are answered first, for at
        most `wait` s, then the connection ends."""
        with self._lock:
            self._closed = True
        _wait_until_empty(self._lock, lambda: self._pending, wait)
        with self._lock:
            if self._sock is not None:
                _end(self._sock)
