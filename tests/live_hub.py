"""The hub in-process for device tests: a real hub app on loopback, served by cheroot in a
thread, that kiosk, display, buttons and printer tests talk to over HTTP like any client."""
from __future__ import annotations

import threading


class LiveHub:
    def __init__(self, db_url: str, hall=None, port: int = 0, clock=None):
        from helpers import migrated_copy

        from hallcall.server.bootstrap import build_hub
        from hallcall.server.config import load_config
        from hallcall.server.web import create_app
        from hallcall.server.wsgi import make_server

        # A new file starts as a copy of a migrated one (what a first start leaves, without
        # Alembic's ~0.3 s); an existing one (a restart) is opened as it is.
        self.hub = build_hub(hall or load_config(), migrated_copy(db_url), clock=clock,
                             follow=False)
        self.app = create_app(self.hub)
        self.server = make_server(self.app, "127.0.0.1", port, threads=16)
        # Stopping waits for one turn of the accept loop: 0.5 s by default, per test.
        self.server.expiration_interval = 0.05
        self.server.prepare()
        self.port = self.server.bind_addr[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        self.stopped = False

    def service(self, service_id: str) -> dict:
        """A service as GET /api/hall shows it now, asked over HTTP like any client."""
        from hallcall.hallclient import HubClient
        client = HubClient(self.url)
        try:
            return next(s for s in client.hall()["services"] if s["id"] == service_id)
        finally:
            client.close()

    def printer_status(self, device_id: str = "kiosk-1") -> dict:
        """What a kiosk last reported of its printer, as the staff's overview sees it."""
        from hallcall.server.web.serialize import hall_json
        devices = hall_json(self.hub.snapshot())["devices"]
        return next(d for d in devices if d["id"] == device_id)["status"]["printer"]

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        self.hub.bus.close()
        self.server.stop()
        self.thread.join(5)
        self.hub.stop()
