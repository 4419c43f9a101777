"""Thermal tickets: layout, ESC/POS in text (GB18030) or image mode, printers by URL, status.

    printer = open_printer("tcp://10.0.0.9:9100", mode="text", paper_mm=80)
    if printer.status().can_print:
        printer.print_ticket(from_api(issued, hall, hub_url, lang="zh"))
"""
from __future__ import annotations

import threading

# connect, text_mode and image_mode (python-escpos, the printer extra) are imported by the
# printer's methods, not with the package: `hallcall` imports printer.commands on every machine.
from .errors import PrintError
from .layout import layout
from .status import PrinterStatus, from_cups, query
from .ticket import TicketPrint, from_api

MODES = ("text", "image")
# Bytes per write: a timeout then means "no progress for that long", so a slow serial line
# printing a 40 KB image is not cut off while a printer that stopped taking data is.
CHUNK = 4096

__all__ = ["open_printer", "TicketPrinter", "PrintError", "PrinterStatus", "TicketPrint", "from_api"]


class TicketPrinter:
    """One printer, opened per job: a printer that was switched off and on again just works.
    Jobs and status queries on one TicketPrinter take turns (most printers take one
    connection at a time)."""

    def __init__(self, url: str, mode: str = "text", paper_mm: int = 80, width_dots: int | None = None):
        if mode not in MODES:
            raise PrintError(f"mode must be text or image, not {mode!r}", "打印模式配置有误")
        if paper_mm not in (58, 80):
            raise PrintError(f"paper must be 58 or 80 mm, not {paper_mm}", "纸宽配置有误")
        if width_dots is not None and not 64 <= width_dots <= 2048:
            raise PrintError(f"width must be 64-2048 dots, not {width_dots}", "纸宽配置有误")
        from . import connect, image_mode

        self.url, self.mode, self.paper_mm, self.width_dots = url, mode, paper_mm, width_dots
        self.address = connect.parse(url)
        connect.check_driver(self.address)
        if mode == "image":
            image_mode.check_font()
        self._lock = threading.Lock()
        # The dummy keeps what it was sent across jobs, like paper coming out of a printer.
        self.dummy = connect.AnsweringDummy(*self.address.target) if self.address.scheme == "dummy" else None

    def render(self, ticket: TicketPrint) -> bytes:
        """The bytes of one ticket, without touching the printer (pure but for the font)."""
        from . import image_mode, text_mode

        blocks = layout(ticket, self.paper_mm)
        if self.mode == "image":
            return image_mode.render(blocks, self.paper_mm, self.width_dots)
        return text_mode.render(blocks, self.paper_mm)

    def print_ticket(self, ticket: TicketPrint) -> int:
        """Send one ticket; returns the bytes sent, or raises PrintError (never hangs: every
        step has a timeout; its `partial` says whether some of the ticket may be on paper)."""
        from . import connect

        data = self.render(ticket)
        with self._lock:
            device = connect.open_device(self.address, self.dummy)
            sent = 0
            try:
                for start in range(0, len(data), CHUNK):
                    device._raw(data[start:start + CHUNK])
                    sent = min(len(data), start + CHUNK)
                device.finish()
            except Exception as exc:
                # Once writing began, part of the ticket may be on paper (a roll ending half-way,
                # a link dropping): the error says so, and the job is never sent again.
                partial = None if getattr(device, "all_or_nothing", False) else sent
                raise PrintError(f"The printer {self.url} did not take the ticket: "
                                 f"{exc or type(exc).__name__}",
                                 "打印失败，请记下您的号码", partial) from exc
            finally:
                self._close(device)
        return len(data)

    def status(self) -> PrinterStatus:
        """Paper and online state; "unknown" when the printer does not say (never a guess)."""
        from . import connect

        with self._lock:
            try:
                device = connect.open_device(self.address, self.dummy)
            except PrintError as exc:
                return PrinterStatus("unknown", False, exc.message)
            try:
                if isinstance(device, connect.CupsQueue):
                    return from_cups(device.attributes())
                if not getattr(device, "answers", True):
                    return PrinterStatus("unknown", None, f"{self.url} cannot report a status")
                return query(device)
            except Exception as exc:  # CUPS not answering
                return PrinterStatus("unknown", None, f"no status: {exc}")
            finally:
                self._close(device)

    @property
    def printed(self) -> bytes:
        """What a dummy: printer has received (empty for real printers)."""
        return bytes(self.dummy.output) if self.dummy is not None else b""

    def close(self) -> None:
        pass  # connections are per job

    def _close(self, device) -> None:
        if device is self.dummy:
            return
        try:
            device.close()
        except Exception:
            pass  # the job's outcome is already decided; closing must not turn it into an error


def open_printer(url: str, mode: str = "text", paper_mm: int = 80,
                 width_dots: int | None = None) -> TicketPrinter:
    """A printer by URL (see printer.connect); raises PrintError for a URL or setting that
    cannot work, before any ticket."""
    return TicketPrinter(url, mode, paper_mm, width_dots)
