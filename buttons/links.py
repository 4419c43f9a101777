"""How the keys reach the hub: over HTTP from a Pi by the windows, or by direct calls when the
keys are wired to the hub's own Pi. Both give the agent the same two things: `act` (one window
action, tried once) and a feed of ("hall", snapshot) / ("event", dict) messages with `online`."""
from __future__ import annotations

import json
import logging
import queue
import threading

from hallcall.hallclient import HubClient, HubError
from hallcall.hallclient.feed import HubFeed

log = logging.getLogger(__name__)

ACT_TIMEOUT_S = 3.0  # a press that gets no answer in this time is reported as failed


class ActionFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class HttpLink:
    """The hub over its HTTP API, as the device `token`."""

    def __init__(self, url: str, token: str, timeout: float = ACT_TIMEOUT_S):
        self.url, self.token = url, token
        self.client = HubClient(url, token, timeout=timeout)

    def act(self, window_id: str, action: str, body: dict | None = None) -> dict:
        # A fresh connection for every press: a kept-alive one the hub has since closed would
        # fail the press, and a window action is never sent twice (it could call two tickets).
        self.client.close()
        try:
            return self.client.window(window_id, action, body)
        except HubError as exc:
            raise ActionFailed(exc.code, exc.message) from None
        finally:
            self.client.close()

    def feed(self, inbox: queue.Queue) -> HubFeed:
        return HubFeed(self.url, inbox, name="buttons")

    def close(self) -> None:
        self.client.close()


class LocalLink:
    """The hub in this process (`hallcall serve --buttons`): no network between key and queue."""

    def __init__(self, hub):
        self.hub = hub

    def act(self, window_id: str, action: str, body: dict | None = None) -> dict:
        from hallcall.server.engine.model import DomainError
        from hallcall.server.web.serialize import act_json

        body = body or {}
        try:
            result = self.hub.act(window_id, action, rating=body.get("rating"),
                                  requeue=bool(body.get("requeue")), service=body.get("service"))
        except DomainError as exc:
            raise ActionFailed(exc.code, exc.message) from None
        return act_json(result)  # what the API would answer

    def feed(self, inbox: queue.Queue) -> "LocalFeed":
        return LocalFeed(self.hub, inbox)

    def close(self) -> None:
        pass


class LocalFeed:
    """The hub's own event bus, delivered like HubFeed delivers the stream."""

    online = True  # the hub is this process

    def __init__(self, hub, inbox: queue.Queue):
        self.hub, self.inbox = hub, inbox
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="buttons-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _follow(self) -> None:
        from hallcall.server.web.serialize import hall_json

        bus = self.hub.bus
        snapshot = hall_json(self.hub.snapshot())  # as GET /api/hall gives it
        seq = snapshot["last_event"]
        self.inbox.put(("hall", snapshot))
        while not self.stop.is_set():
            try:
                if bus.covers(seq):
                    events = bus.wait_after(seq, 1.0)
                    if events is None:  # the hub is shutting down
                        return
                else:
                    events = self.hub.events_after(seq)
            except Exception:
                log.exception("buttons: reading the hub's events")
                self.stop.wait(1.0)
                continue
            for e in events:
                seq = e.seq
                self.inbox.put(("event", json.loads(e.data)))

    def close(self) -> None:
        self.stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
