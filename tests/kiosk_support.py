"""For kiosk tests: a proxy that loses the hub's answers on purpose, a hub whose disk is full,
halls of any size, stepping a headless kiosk and saving what it shows. The hub itself is
live_hub.LiveHub; the touches and the movable clock are hallcall.kiosk.driving's."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from live_hub import LiveHub

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

SHOTS = Path(os.environ.get("HALLCALL_SHOTS", "/tmp/kiosk-shots"))


class StorageFull:
    """The hub's disk full, as the kiosk meets it: while `full`, POST /api/tickets answers 503
    storage_unavailable. `saved=True` lets the request reach the hub first (its answer is lost,
    replaced by the 503), the worst case for a retry. `keys` is every Idempotency-Key sent."""

    BODY = {"error": {"code": "storage_unavailable", "message": "The hub cannot save: its disk is full",
                      "message_zh": "服务器存储空间不足，暂时无法保存"}}

    def __init__(self, hub: LiveHub, saved: bool = False):
        self.full, self.saved, self.keys = True, saved, []
        self.inner = hub.app.wsgi_app
        hub.app.wsgi_app = self  # Flask calls its wsgi_app attribute for each request

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/api/tickets":
            return self.inner(environ, start_response)
        self.keys.append(environ.get("HTTP_IDEMPOTENCY_KEY"))
        if not self.full:
            return self.inner(environ, start_response)
        if self.saved:
            answer = self.inner(environ, lambda *a, **k: (lambda data: None))
            try:
                for _ in answer:
                    pass
            finally:
                getattr(answer, "close", lambda: None)()
        import json
        body = json.dumps(self.BODY).encode()
        start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                                   ("Content-Length", str(len(body)))])
        return [body]


class LossyProxy:
    """A TCP proxy in front of a hub that, `lose` times, passes a ticket request on and then
    drops the connection instead of the hub's answer: the ticket exists, the kiosk never hears."""

    def __init__(self, target_port: int, lose: int = 0):
        self.target_port, self.lose = target_port, lose
        self.lost = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.socks += [client, upstream]
            state = {"ticket": False}
            threading.Thread(target=self._pump, args=(client, upstream, state, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, state, False), daemon=True).start()

    def _pump(self, src, dst, state, to_hub):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if to_hub and b"POST /api/tickets" in data:
                    state["ticket"] = True
                elif not to_hub and state["ticket"]:
                    state["ticket"] = False
                    with self.lock:
                        drop = self.lost < self.lose
                        self.lost += drop
                    if drop:
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.listener.close()
        with self.lock:
            for s in self.socks:
                s.close()


def hall_data(services: int = 3, departments: int = 1, daily_limit: int | None = None) -> dict:
    """A hall config (for server.config.parse_config) with this many services spread over this
    many departments, open around the clock; the demo kiosk's token and PIN."""
    deps = [{"id": f"d{i}", "name": {"zh": f"第{i + 1}部门", "en": f"Department {i + 1}"}}
            for i in range(departments)]
    svcs = []
    for i in range(services):
        svc = {"id": f"s{i}", "prefix": _prefix(i), "department": f"d{i % departments}",
               "name": {"zh": f"业务{i + 1}号", "en": f"Service number {i + 1}"},
               "materials": [{"zh": "身份证原件及复印件", "en": "ID card and a copy"}]}
        if daily_limit is not None:
            svc["daily_limit"] = daily_limit
        svcs.append(svc)
    return {
        "hall": {"name": {"zh": "测试大厅", "en": "Test hall"}, "day_starts_at": "04:00"},
        "departments": deps,
        "services": svcs,
        "windows": [{"id": "1", "services": [s["id"] for s in svcs]}],
        "devices": [{"id": "kiosk-1", "role": "kiosk", "token": "demo-kiosk", "exit_pin": "2468"}],
    }


def _prefix(i: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return letters[i] if i < len(letters) else letters[i // len(letters) - 1] + letters[i % len(letters)]


def step_until(app, predicate, timeout=8.0):
    """Step a device's loop (a kiosk's or a board's) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"stuck: {_where(app)}"
        app.step()
        time.sleep(0.005)
    app.step()


def _where(app) -> str:
    state = getattr(app, "state", None)
    if hasattr(state, "screen"):  # a kiosk
        return f"kiosk on {state.screen}: {state.message}"
    return type(app).__name__


def shot(app, name, tmp_path=None):
    """Save what the kiosk shows to tmp_path (when given) and to SHOTS for looking at."""
    import pygame
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pygame.image.save(app.screen, str(path))
    if tmp_path is not None:
        shutil.copy(path, Path(tmp_path) / path.name)
    return path
