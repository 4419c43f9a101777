"""The kiosk's background work, so the screen never freezes on the network or the printer:
following the hall through the hub, watching the printer, and issuing-and-printing a ticket.
Each reports to the screen through one queue of (kind, ...) tuples."""
from __future__ import annotations

import logging
import queue
import threading
import time

from hallcall.hallclient import EventStream, HubClient, HubError

from .printing import Printing

log = logging.getLogger(__name__)

RETRY_S = 20.0  # how long a touch keeps trying to reach the hub before telling the citizen
STORAGE_UNAVAILABLE = "storage_unavailable"  # the hub's 503 when it cannot write (disk full)


class HubSync:
    """Keeps the screen's copy of the hall (services, waiting counts, open or not) current.

    One thread reads the event stream and only marks the copy stale; another fetches the
    snapshot when it is stale, a moment later so a burst of events costs one fetch, and at
    least every `refresh_s` (a service opening at 08:30 sends no event). A broken link is
    reported as ("offline", reason) and retried every `retry_s` until the hub answers.
    """

    def __init__(self, url: str, token: str | None, inbox: queue.Queue, retry_s: float = 2.0,
                 debounce_s: float = 0.25, refresh_s: float = 30.0):
        self.url, self.token, self.inbox = url, token, inbox
        self.retry_s, self.debounce_s, self.refresh_s = retry_s, debounce_s, refresh_s
        self.stopping = threading.Event()
        self.stale = threading.Event()
        self.after: int | None = None  # the stream resumes after this event
        self.synced = threading.Event()  # a snapshot arrived: the stream may start
        self.stream: EventStream | None = None
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._fetch, name="kiosk-hall", daemon=True),
                        threading.Thread(target=self._read, name="kiosk-events", daemon=True)]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _fetch(self) -> None:
        client = HubClient(self.url, self.token, timeout=5)
        device = None
        away = False
        try:
            while not self.stopping.is_set():
                self.stale.clear()
                try:
                    snapshot = client.hall()
                except HubError as exc:
                    # Said once per outage, not every retry_s for as long as it lasts.
                    (log.debug if away else log.warning)("hub unreachable: %s", exc.message)
                    away = True
                    self.inbox.put(("offline", exc.message))
                    self.stopping.wait(self.retry_s)
                    continue
                if away:
                    log.warning("hub reachable again")
                away = False
                if device is None:  # who this kiosk is (its staff PIN): asked once
                    try:
                        device = client.whoami()
                        self.inbox.put(("device", device))
                    except HubError as exc:
                        log.warning("the hub does not know this kiosk's token: %s", exc.message)
                        device = {} if exc.status else None  # unreachable: ask again next time
                if self.after is None:
                    self.after = snapshot.get("last_event")
                self.inbox.put(("hall", snapshot))
                self.synced.set()
                if self.stale.wait(self.refresh_s) and not self.stopping.is_set():
                    self.stopping.wait(self.debounce_s)
        finally:
            client.close()

    def _read(self) -> None:
        while not self.stopping.is_set():
            self.synced.wait(1.0)
            if not self.synced.is_set():
                continue
            stream = EventStream(self.url, after=self.after, timeout=20, reconnect=False)
            with self._lock:
                if self.stopping.is_set():
                    return
                self.stream = stream
            try:
                # The hub sends a comment at least every 15 s: 20 s of silence is a dead link.
                for event in stream.events(heartbeats=True):
                    if event is not None:
                        self.after = event.seq
                        self.stale.set()
            except Exception as exc:
                if self.stopping.is_set():
                    return
                log.info("event stream broke: %s", exc)
                # Fetch now: it tells the screen whether the hub is away, and catches up.
                self.stale.set()
                self.stopping.wait(self.retry_s)
            finally:
                stream.close()

    def close(self) -> None:
        self.stopping.set()
        self.stale.set()
        self.synced.set()
        with self._lock:
            stream = self.stream
        if stream is not None:
            stream.close()  # wakes the reader at once

    def join(self, timeout: float = 3.0) -> None:
        for t in self.threads:
            if t.is_alive():
                t.join(timeout)


class PrinterWatch(threading.Thread):
    """Asks the printer how it is every `every_s` (and sooner when poked), so the menu can say
    "printing unavailable" before a citizen touches a service; the hub hears every change."""

    def __init__(self, printing: Printing, inbox: queue.Queue, every_s: float = 15.0):
        super().__init__(name="kiosk-printer", daemon=True)
        self.printing, self.inbox, self.every_s = printing, inbox, every_s
        self.stopping = threading.Event()
        self.poked = threading.Event()
        self._due = 0.0  # time.monotonic() of the next check

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.poked.clear()
                if time.monotonic() >= self._due:
                    self._due = time.monotonic() + self.every_s
                    self.inbox.put(("printer", self.printing.check()))
                self.poked.wait(max(0.0, self._due - time.monotonic()))
        finally:
            self.printing.client.close()  # this thread's connection to the hub

    def poke(self, after_s: float = 0.0) -> None:
        """Check within `after_s` (a check already due sooner stays sooner)."""
        self._due = min(self._due, time.monotonic() + after_s)
        self.poked.set()

    def close(self) -> None:
        self.stopping.set()
        self.poked.set()


class IssueJob(threading.Thread):
    """One touch: issue with one Idempotency-Key, retried with the same key while the hub cannot
    be reached (so however often it is sent, the hub issues one ticket), then print.

    Reports ("issued", job, answer) as soon as the hub answers, so the number is on the screen
    while it prints, then ("printed", job, (printed, problem, status)); or ("refused", job,
    HubError); ("retrying", job, reason) while it waits for the hub."""

    def __init__(self, client: HubClient, printing: Printing, hub_url: str, service: dict,
                 lang: str | None, key: str, hall: dict, inbox: queue.Queue,
                 retry_s: float = RETRY_S, print_lang: str = "zh"):
        super().__init__(name="kiosk-issue", daemon=True)
        self.client, self.printing, self.hub_url = client, printing, hub_url
        self.service, self.lang, self.key, self.hall, self.inbox = service, lang, key, hall, inbox
        self.retry_s, self.print_lang = retry_s, print_lang
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            try:
                issued = self._issue()
            except HubError as exc:
                self.inbox.put(("refused", self, exc))
                return
            self.inbox.put(("issued", self, issued))
            try:
                outcome = self.printing.print_issued(issued, self.hall, self.hub_url, self.print_lang)
            except Exception as exc:  # a bug in a layout must still leave the number on screen
                log.exception("printing")
                from hallcall.printer import PrinterStatus
                outcome = (False, "failed", PrinterStatus("unknown", None, str(exc)[:200]))
            self.inbox.put(("printed", self, outcome))
        finally:
            self.client.close()  # this thread's connection; the client serves other threads too

    def _issue(self) -> dict:
        deadline = time.monotonic() + self.retry_s
        while True:
            try:
                return self.client.issue(self.service["id"], lang=self.lang, idempotency_key=self.key)
            except HubError as exc:
                # Unreachable, overloaded or restarting: the same key again is safe. Anything
                # else (closed, full, forbidden) is the hub's answer and final. So is a hub that
                # cannot save (its disk is full): that lasts until staff free space, so the
                # citizen is told at once rather than after 20 s of "connecting", and the
                # screen keeps the key for the next touch (see KioskApp.refused).
                again = (exc.status == 0 or exc.status == 429
                         or (exc.status >= 500 and exc.code != STORAGE_UNAVAILABLE))
                if not again or time.monotonic() >= deadline or self.stopping.is_set():
                    raise
                self.inbox.put(("retrying", self, exc.message))
                self.stopping.wait(1.0)

    def close(self) -> None:
        self.stopping.set()
