"""How the keys reach the hub: over HTTP from a Pi by the windows, or by direct calls when the
keys are wired to the hub's own Pi. Both give the agent the same two things: `act` (one window
action, tried once) and a feed of ("hall", snapshot) / ("event", dict) messages with `online`
(hallclient.feed's, over HTTP or over the hub itself). The keys show no waiting counts, so their
feed takes no snapshots after the first: the events say all an LED shows."""
from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator

from hallcall.hallclient import HubClient, HubError
from hallcall.hallclient.feed import Feed, HubFeed

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
        # With the token: the staff see the keys online while their stream is connected.
        return HubFeed(self.url, inbox, name="buttons", refresh=False, token=self.token)

    def close(self) -> None:
        self.client.close()


class LocalLink:
    """The hub in this process (`hallcall serve --buttons`): no network between key and queue."""

    def __init__(self, hub):
        self.hub = hub

    def act(self, window_id: str, action: str, body: dict | None = None) -> dict:
        from hallcall.server.audit import Actor
        from hallcall.server.engine.model import DomainError
        from hallcall.server.web.serialize import act_json

        body = body or {}
        try:
            # The audit log names the hub Pi's own keys as such, not as a command line.
            result = self.hub.act(window_id, action, actor=Actor("device", HUB_KEYS),
                                  rating=body.get("rating"),
                                  requeue=bool(body.get("requeue")), service=body.get("service"))
        except DomainError as exc:
            raise ActionFailed(exc.code, exc.message) from None
        return act_json(result)  # what the API would answer

    def feed(self, inbox: queue.Queue) -> Feed:
        return Feed(HubSource(self.hub), inbox, name="buttons", refresh=False)

    def close(self) -> None:
        pass


HUB_KEYS = "hub-keys"  # the audit log's name for the keys wired to the hub's own Pi


class HubSource:
    """The hub in this process as a feed's source (hallclient.feed): its snapshot, and its
    event bus, or its store for what the bus no longer holds."""

    connected = True  # the hub is this process

    def __init__(self, hub):
        self.hub = hub

    def snapshot(self) -> dict:
        from hallcall.server.web.serialize import hall_json

        return hall_json(self.hub.snapshot())  # as GET /api/hall gives it

    def events_after(self, seq: int, stop: threading.Event) -> Iterator[dict]:
        bus = self.hub.bus
        while not stop.is_set():
            if bus.covers(seq):
                stored = bus.wait_after(seq, 1.0)
                if stored is None:  # the hub is shutting down
                    return
            else:
                stored = self.hub.events_after(seq)
            for e in stored:
                seq = e.seq
                yield json.loads(e.data)

    def interrupt(self) -> None:
        pass  # the bus's wait ends within a second, and `stop` is seen then

    def release(self) -> None:
        pass
