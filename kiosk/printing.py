"""Every call into printer/ from the kiosk, in one place: check the paper, print, and tell the hub
how the printer is (the hall staff see "kiosk-1: out of paper" on the overview)."""
from __future__ import annotations

import logging

from hallclient import HubClient, HubError
from printer import PrintError, open_printer
from printer.ticket import from_api

log = logging.getLogger(__name__)


class Printing:
    def __init__(self, url: str, client: HubClient, mode: str = "text", paper_mm: int = 80):
        self.printer = open_printer(url, mode, paper_mm)
        self.client = client
        self._reported: dict | None = None

    def check(self):
        status = self.printer.status()
        self.report(status.as_dict())
        return status

    def report(self, status: dict) -> None:
        if status == self._reported:
            return
        try:
            self.client.report_status(printer=status)
            self._reported = status
        except HubError as exc:  # the hub will hear next time; printing must go on
            log.info("could not report the printer's status: %s", exc)

    def print_issued(self, issued: dict, hall: dict, hub_url: str, lang: str) -> tuple[bool, str | None]:
        """(printed, problem): problem is "paper_out", "offline" or "failed" when not printed."""
        status = self.check()
        if not status.can_print:
            return False, "paper_out" if status.paper == "out" else "offline"
        try:
            self.printer.print_ticket(from_api(issued, hall, hub_url, lang))
        except PrintError as exc:
            log.warning("print failed: %s", exc.message)
            self.report({"paper": status.paper, "online": False, "detail": exc.message[:200]})
            return False, "failed"
        return True, None
