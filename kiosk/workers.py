"""The kiosk's background work, so the screen never freezes on the network or the printer:
asking the hub who this kiosk is, watching the printer, and issuing-and-printing a ticket.
Each reports to the screen through one queue of (kind, ...) tuples, which the shell (app.py)
turns into the state machine's messages. The hall itself comes from hallclient.feed.HubFeed."""
from __future__ import annotations

import logging
import queue
import threading
import time

from hallcall.hallclient import HubClient, HubError

from .printing import Printing
from .state import STORAGE_UNAVAILABLE

log = logging.getLogger(__name__)

RETRY_S = 20.0  # how long a touch keeps trying to reach the hub before telling the citizen


class DeviceQuery(threading.Thread):
    """Asks the hub once who this kiosk is (its staff exit PIN, GET /api/devices/self), again
    every `retry_s` while the hub cannot be reached, and reports ("device", dict)."""

    def __init__(self, url: str, token: str | None, inbox: queue.Queue, retry_s: float = 2.0):
        super().__init__(name="kiosk-device", daemon=True)
        self.url, self.token, self.inbox, self.retry_s = url, token, inbox, retry_s
        self.stopping = threading.Event()

    def run(self) -> None:
        client = HubClient(self.url, self.token, timeout=5)
        try:
            while not self.stopping.is_set():
                try:
                    self.inbox.put(("device", client.whoami()))
                    return
                except HubError as exc:
                    if exc.status:  # the hub answered: asking again gives the same answer
                        log.warning("the hub does not know this kiosk's token: %s", exc.message)
                        return
                self.stopping.wait(self.retry_s)
        finally:
            client.close()

    def close(self) -> None:
        self.stopping.set()


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
                 retry_s: float = RETRY_S, print_lang: str = "zh", job_id: int = 0):
        super().__init__(name="kiosk-issue", daemon=True)
        self.job_id = job_id  # the state machine's number for this touch
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

    def ask(self) -> dict:
        """The request this touch makes, sent again while the hub cannot be reached."""
        return self.client.issue(self.service["id"], lang=self.lang, idempotency_key=self.key)

    def _issue(self) -> dict:
        deadline = time.monotonic() + self.retry_s
        while True:
            try:
                return self.ask()
            except HubError as exc:
                # Unreachable, overloaded or restarting: the same key again is safe. Anything
                # else (closed, full, forbidden) is the hub's answer and final. So is a hub that
                # cannot save (its disk is full): that lasts until staff free space, so the
                # citizen is told at once rather than after 20 s of "connecting", and the
                # screen keeps the key for the next touch (see state.Kiosk._on_IssueFailed).
                again = (exc.status == 0 or exc.status == 429
                         or (exc.status >= 500 and exc.code != STORAGE_UNAVAILABLE))
                if not again or time.monotonic() >= deadline or self.stopping.is_set():
                    raise
                self.inbox.put(("retrying", self, exc.message))
                self.stopping.wait(1.0)

    def close(self) -> None:
        self.stopping.set()


class CheckInJob(IssueJob):
    """An appointment's check-in by its code, then its ticket printed, reporting as IssueJob
    does. Sent again while the hub cannot be reached: a second check-in answers the ticket of
    the first, never a second one."""

    def __init__(self, client: HubClient, printing: Printing, hub_url: str, code: str, hall: dict,
                 inbox: queue.Queue, retry_s: float = RETRY_S, print_lang: str = "zh", job_id: int = 0):
        super().__init__(client, printing, hub_url, {}, None, "", hall, inbox, retry_s=retry_s,
                         print_lang=print_lang, job_id=job_id)
        self.name = "kiosk-check-in"
        self.code = code

    def ask(self) -> dict:
        return self.client.check_in(self.code)
