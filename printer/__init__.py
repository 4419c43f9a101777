"""Thermal tickets: layout, ESC/POS in text (GB18030) or image mode, printers by URL, status.

    printer = open_printer("tcp://10.0.0.9:9100", mode="text", paper_mm=80)
    if printer.status().can_print:
        printer.print_ticket(from_api(issued, hall, hub_url, lang="zh"))
"""
from __future__ import annotations

from . import connect, image_mode, text_mode
from .connect import AnsweringDummy
from .errors import PrintError
from .layout import layout
from .status import PrinterStatus, query
from .ticket import TicketPrint, from_api

MODES = ("text", "image")

__all__ = ["open_printer", "TicketPrinter", "PrintError", "PrinterStatus", "TicketPrint", "from_api"]


class TicketPrinter:
    """One printer, opened per job: a printer that was switched off and on again just works."""

    def __init__(self, url: str, mode: str = "text", paper_mm: int = 80, width_dots: int | None = None):
        if mode not in MODES:
            raise PrintError(f"mode must be text or image, not {mode!r}", "打印模式配置有误")
        if paper_mm not in (58, 80):
            raise PrintError(f"paper must be 58 or 80 mm, not {paper_mm}", "纸宽配置有误")
        self.url, self.mode, self.paper_mm, self.width_dots = url, mode, paper_mm, width_dots
        self.scheme, self.target = connect.parse(url)
        # The dummy keeps what it was sent across jobs, like paper coming out of a printer.
        self.dummy = AnsweringDummy(self.target) if self.scheme == "dummy" else None

    def render(self, ticket: TicketPrint) -> bytes:
        blocks = layout(ticket, self.paper_mm)
        if self.mode == "image":
            return image_mode.render(blocks, self.paper_mm, self.width_dots)
        return text_mode.render(blocks, self.paper_mm)

    def print_ticket(self, ticket: TicketPrint) -> int:
        """Send one ticket; returns the bytes sent, or raises PrintError."""
        data = self.render(ticket)
        device = connect.open_device(self.scheme, self.target, self.dummy)
        try:
            device._raw(data)
            if hasattr(device, "flush"):
                device.flush()
        except PrintError:
            raise
        except Exception as exc:
            raise PrintError(f"Printing failed: {exc}", "打印失败，请记下您的号码") from exc
        finally:
            if device is not self.dummy:
                _close(device)
        return len(data)

    def status(self) -> PrinterStatus:
        try:
            device = connect.open_device(self.scheme, self.target, self.dummy)
        except PrintError as exc:
            return PrinterStatus("unknown", False, exc.message)
        try:
            sock = getattr(device, "device", None)
            if self.scheme == "tcp" and sock is not None:
                sock.settimeout(connect.STATUS_TIMEOUT_S)
            elif self.scheme == "serial" and sock is not None:
                sock.timeout = connect.STATUS_TIMEOUT_S
            return query(device)
        finally:
            if device is not self.dummy:
                _close(device)

    @property
    def printed(self) -> bytes:
        """What a dummy: printer has received (empty for real printers)."""
        return bytes(self.dummy.output) if self.dummy is not None else b""

    def close(self) -> None:
        pass  # connections are per job


def _close(device) -> None:
    try:
        device.close()
    except Exception:
        pass


def open_printer(url: str, mode: str = "text", paper_mm: int = 80,
                 width_dots: int | None = None) -> TicketPrinter:
    return TicketPrinter(url, mode, paper_mm, width_dots)
