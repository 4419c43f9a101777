"""For kiosk tests and bench/kiosk.py: a real hub on loopback (cheroot in a thread), and
stepping a headless kiosk with posted touches."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

SHOTS = Path(os.environ.get("HALLCALL_SHOTS", "/tmp/kiosk-shots"))


class LiveHub:
    def __init__(self, db_url: str, hall=None, port: int = 0, clock=None):
        from server.web import create_app
        from server.wsgi import make_server
        settings = {"DATABASE": db_url, "FOLLOW": False}
        if hall is not None:
            settings["HALL"] = hall
        if clock is not None:
            settings["CLOCK"] = clock
        self.app = create_app(settings)
        self.server = make_server(self.app, "127.0.0.1", port, threads=16)
        self.server.prepare()
        self.url = f"http://127.0.0.1:{self.server.bind_addr[1]}"
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        self.hub = self.app.config["HUB"]

    def stop(self):
        self.hub.bus.close()
        self.server.stop()
        self.thread.join(5)
        self.hub.stop()


def step_until(app, predicate, timeout=8.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"kiosk stuck on {app.screen_name}: {app.message}"
        app.step()
        time.sleep(0.01)
    app.step()


def touch(app, rect, twice=False):
    import pygame
    for _ in range(2 if twice else 1):
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=rect.center, button=1))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=rect.center, button=1))


def shot(app, name):
    import pygame
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pygame.image.save(app.screen, str(path))
    return path
