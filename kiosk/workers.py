"""The kiosk's background work, so the screen never freezes: following the hall through the hub,
and issuing-and-printing a ticket. Each reports to the screen through one queue."""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid

from hallclient import EventStream, HubClient, HubError

from .printing import Printing

log = logging.getLogger(__name__)

RETRY_S = 20.0  # how long a touch keeps trying to reach the hub before telling the citizen


class HubSync(threading.Thread):
    """Keeps the screen's copy of the hall (services, waiting counts) current: a snapshot, then
    the event stream; on a broken link it says so and starts over."""

    def __init__(self, url: str, inbox: queue.Queue, retry_s: float = 2.0):
        super().__init__(name="kiosk-hub-sync", daemon=True)
        self.client = HubClient(url, timeout=5)
        self.url, self.inbox, self.retry_s = url, inbox, retry_s
        self.stop = threading.Event()
        self.stream: EventStream | None = None

    def run(self) -> None:
        try:
            self._follow()
        finally:
            self.client.close()  # its connection belongs to this thread

    def _follow(self) -> None:
        while not self.stop.is_set():
            try:
                snapshot = self.client.hall()
                self.inbox.put(("hall", snapshot))
                self.stream = EventStream(self.url, after=snapshot["last_event"], timeout=20,
                                          reconnect=False)
                last_fetch = time.monotonic()
                for event in self.stream.events(heartbeats=True):
                    if self.stop.is_set():
                        return
                    # Counts change with almost every event; refetch at most twice a second.
                    if event is not None and time.monotonic() - last_fetch > 0.5:
                        self.inbox.put(("hall", self.client.hall()))
                        last_fetch = time.monotonic()
            except Exception as exc:  # the hub is away: tell the screen, try again shortly
                if self.stop.is_set():
                    return
                log.info("hub unreachable: %s", exc)
                self.inbox.put(("offline", str(exc)))
                self.stop.wait(self.retry_s)
            finally:
                if self.stream is not None:
                    self.stream.close()

    def close(self) -> None:
        self.stop.set()
        if self.stream is not None:
            self.stream.close()


class IssueJob(threading.Thread):
    """One touch: issue with one Idempotency-Key (so retries never make a second ticket), then
    print. Reports ("issued", result) or ("refused", error) to the screen."""

    def __init__(self, client: HubClient, printing: Printing, hub_url: str, service: str,
                 lang: str, hall: dict, inbox: queue.Queue, retry_s: float = RETRY_S):
        super().__init__(name="kiosk-issue", daemon=True)
        self.client, self.printing, self.hub_url = client, printing, hub_url
        self.service, self.lang, self.hall, self.inbox = service, lang, hall, inbox
        self.key = uuid.uuid4().hex
        self.retry_s = retry_s

    def run(self) -> None:
        try:
            try:
                issued = self._issue()
            except HubError as exc:
                self.inbox.put(("refused", exc))
                return
            printed, problem = self.printing.print_issued(issued, self.hall, self.hub_url, self.lang)
            self.inbox.put(("issued", {"issued": issued, "printed": printed, "problem": problem}))
        finally:
            self.client.close()  # this thread's connection; the client serves other threads too

    def _issue(self) -> dict:
        deadline = time.monotonic() + self.retry_s
        while True:
            try:
                return self.client.issue(self.service, lang=self.lang, idempotency_key=self.key)
            except HubError as exc:
                if exc.status != 0 or time.monotonic() >= deadline:
                    raise
                self.inbox.put(("retrying", exc.message))
                time.sleep(1.0)
