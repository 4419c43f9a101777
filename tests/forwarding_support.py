"""What the forwarding tests share: the real central (server/central) served by cheroot in a
thread over a real SQLite file, restartable on its port; a TCP proxy that cuts a request or its
answer part-way, or swallows connections (a blackholed link); and a wait."""
from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from real_server import free_port

TOKEN = "hall-central-token-0001"  # what the city gave the hall (16+ characters)
HALL_ID = "xuhui-1"


def wait_until(condition, timeout: float = 20.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def central_section(url: str, **more) -> dict:
    return {"url": url, "hall_id": HALL_ID, "token": TOKEN, "interval_s": 0.05, **more}


class LiveCentral:
    """`hallcall central` in this process: its store and app on cheroot, as server/central/server.py
    serves them. stop() and start() again keep the port and the file (a central restarted)."""

    def __init__(self, path: Path):
        # A port of its own from the start: cheroot reuses an address only when it was given
        # one (SO_REUSEADDR), so the central restarted gets it back past TIME_WAIT.
        self.path, self.port = path, free_port()
        self.server = self.store = self.thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveCentral:
        from hallcall.server.central.app import create_app
        from hallcall.server.central.store import CentralStore
        from hallcall.server.wsgi import make_server

        self.store = CentralStore(f"sqlite:///{self.path}")
        self.store.upgrade()
        self.server = make_server(create_app(self.store), "127.0.0.1", self.port, threads=4)
        self.server.expiration_interval = 0.05
        self.server.prepare()
        self.port = self.server.bind_addr[1]
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.thread.join(5)
            self.store.close()
            self.server = None

    def held(self, hall: str = HALL_ID) -> list[dict]:
        """The events the central holds for the hall, by seq, as it received them."""
        with closing(sqlite3.connect(self.path)) as db:
            rows = db.execute("SELECT seq, data FROM hall_events WHERE hall = ? ORDER BY seq",
                              (hall,)).fetchall()
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1)), "a gap at the central"
        return [json.loads(r[1]) for r in rows]

    def last_seq(self, hall: str = HALL_ID) -> int:
        with closing(sqlite3.connect(self.path)) as db:
            row = db.execute("SELECT last_seq FROM halls WHERE id = ?", (hall,)).fetchone()
        return row[0] if row else 0

    def backup_to(self, path: Path) -> None:
        """An online copy of its database, as a city's nightly backup would take it."""
        with closing(sqlite3.connect(self.path)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)

    def restore_from(self, path: Path) -> None:
        """Stopped, its database replaced by the copy, started again on its port."""
        self.stop()
        for extra in ("", "-wal", "-shm"):
            Path(f"{self.path}{extra}").unlink(missing_ok=True)
        shutil.copyfile(path, self.path)
        self.start()


class CutProxy:
    """A TCP proxy in front of `target` (host, port). Normally it relays both ways. Armed with
    `cut_request(n)` it drops the next connection after relaying n bytes of the request; with
    `cut_answer(n)`, after relaying the whole request and n bytes of the answer. With
    `blackhole = True` it accepts connections and never answers (a link that drops packets)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.blackhole = False
        self._cut: tuple[str, int] | None = None
        self.cuts = 0  # connections cut as armed
        self.connections = 0
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut_request(self, after_bytes: int) -> None:
        self._cut = ("request", after_bytes)

    def cut_answer(self, after_bytes: int) -> None:
        self._cut = ("answer", after_bytes)

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            for s in self._open:
                s.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(client)
                cut, self._cut = self._cut, None
            if self.blackhole:
                continue  # held open, never read from nor answered
            threading.Thread(target=self._relay, args=(client, cut), daemon=True).start()

    def _relay(self, client: socket.socket, cut: tuple[str, int] | None) -> None:
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.append(upstream)
        request_limit = cut[1] if cut and cut[0] == "request" else None
        answer_limit = cut[1] if cut and cut[0] == "answer" else None

        def pump(src, dst, limit, closes_both: bool):
            sent = 0
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    if limit is not None and sent + len(data) >= limit:
                        dst.sendall(data[:max(0, limit - sent)])
                        self.cuts += 1
                        break
                    dst.sendall(data)
                    sent += len(data)
            except OSError:
                pass
            finally:
                # The answer's end, or a cut, drops both directions at once (a cut as a link
                # that dies does).
                if closes_both or limit is not None:
                    for s in (client, upstream):
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        s.close()

        threading.Thread(target=pump, args=(client, upstream, request_limit, False),
                         daemon=True).start()
        pump(upstream, client, answer_limit, True)
