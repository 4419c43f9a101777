"""Every call into printer/ from the kiosk, in one place: ask the printer how it is, print a ticket,
and tell the hub how the printer is (the hall staff see "kiosk-1: out of paper" on the overview).
Called from background threads only: a printer may take seconds to answer."""
from __future__ import annotations

import logging
import threading

from hallcall.hallclient import HubClient, HubError
from hallcall.printer import PrintError, PrinterStatus, open_printer
from hallcall.printer.ticket import from_api

log = logging.getLogger(__name__)


class Printing:
    def __init__(self, url: str, client: HubClient, mode: str = "text", paper_mm: int = 80):
        # Raises PrintError for a URL or setting that cannot work, before the kiosk starts.
        self.printer = open_printer(url, mode, paper_mm)
        self.client = client
        self._lock = threading.Lock()
        self._reported: dict | None = None

    def check(self) -> PrinterStatus:
        """The printer's state now, also told to the hub when it changed."""
        status = self._query()
        self.report(status.as_dict())
        return status

    def _query(self) -> PrinterStatus:
        try:
            return self.printer.status()
        except Exception as exc:  # status() answers "unknown" itself; a bug must not stop a ticket
            log.exception("printer status")
            return PrinterStatus("unknown", None, f"no status: {exc}")

    def report(self, status: dict) -> None:
        with self._lock:
            if status == self._reported:
                return
            try:
                self.client.report_status(printer=status)
                self._reported = status
            except HubError as exc:  # the hub hears at the next check; printing goes on
                log.info("could not report the printer's status: %s", exc.message)

    def print_issued(self, issued: dict, hall: dict, hub_url: str,
                     lang: str) -> tuple[bool, str | None, PrinterStatus]:
        """Check, print once, check again. (printed, problem, status): problem is "paper_out",
        "offline" or "failed" when nothing was printed, "incomplete" when the job broke off or
        the printer stopped right after it (the roll ended mid-ticket): the citizen is told to
        note the number down. A ticket is never printed twice: half a ticket and a whole one
        would be two papers with one number."""
        status = self.check()
        if not status.can_print:
            return False, "paper_out" if status.paper == "out" else "offline", status
        number = (issued.get("ticket") or {}).get("number")
        try:
            self.printer.print_ticket(from_api(issued, hall, hub_url, lang))
        except PrintError as exc:
            log.warning("ticket %s: print failed%s: %s", number,
                        f" after {exc.sent} bytes" if exc.partial else "", exc.message)
            after = self._query()
            if after.can_print:  # it answers as if fine, yet took no ticket: warn the next citizen
                after = PrinterStatus(after.paper, False, exc.message[:200])
            self.report(after.as_dict())
            return False, "incomplete" if exc.partial else "failed", after
        if status.online is None:
            # It gave no status before the job and will give none now: asking again would only
            # hold the citizen 0.5 s (STATUS_TIMEOUT_S) for nothing.
            return True, None, status
        # The printer took every byte into its buffer; a roll ending while it prints shows now.
        after = self.check()
        if not after.can_print:
            log.warning("ticket %s: the printer stopped right after the job (%s): it may be incomplete",
                        number, after.detail)
            return False, "incomplete", after
        return True, None, after

    @property
    def printed(self) -> bytes:
        """What a `dummy:` printer has received (tests and the benchmark read it)."""
        return self.printer.printed

    def close(self) -> None:
        self.printer.close()
