"""Printers by URL, every one with bounded timeouts: nothing may hold a kiosk forever.

    usb://04b8:0202   serial:///dev/ttyUSB0?baudrate=19200   tcp://10.0.0.9:9100
    file:///dev/usb/lp0 (any path)   cups://QUEUE   dummy: (records bytes; ?paper=near_end|out|silent)
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import socket

from escpos.printer import Dummy, Network

from .errors import PrintError

# Seconds to connect, to write, and to wait for a status answer.
TIMEOUT_S = 3.0
STATUS_TIMEOUT_S = 0.8

# What the fake answers to DLE EOT 1 (printer status) and DLE EOT 4 (roll paper sensor).
DUMMY_ANSWERS = {"ok": (b"\x16", b"\x12"), "near_end": (b"\x16", b"\x1e"),
                 "out": (b"\x16", b"\x72"), "offline": (b"\x1e", b"\x12"), "silent": (b"", b"")}


class AnsweringDummy(Dummy):
    """python-escpos's Dummy, which records what is sent, answering status queries like a
    printer would (or not at all), so tests and demos exercise the same code as real devices."""

    def __init__(self, paper: str = "ok"):
        super().__init__()
        self.answers = DUMMY_ANSWERS[paper]
        self._pending = b""

    def _raw(self, msg: bytes) -> None:
        if msg == b"\x10\x04\x01":
            self._pending = self.answers[0]
        elif msg == b"\x10\x04\x04":
            self._pending = self.answers[1]
        else:
            super()._raw(msg)

    def _read(self) -> bytes:
        answer, self._pending = self._pending, b""
        return answer


def parse(url: str) -> tuple[str, object]:
    """Check a printer URL without touching the device: (scheme, what open() needs)."""
    parts = urlsplit(url)
    scheme = parts.scheme
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        if scheme == "usb":
            vid, pid = (parts.netloc or parts.path).split(":")
            return scheme, (int(vid, 16), int(pid, 16))
        if scheme == "serial":
            if not parts.path:
                raise ValueError("no device path")
            return scheme, (parts.path, int(query.get("baudrate", 9600)))
        if scheme == "tcp":
            if not parts.hostname:
                raise ValueError("no host")
            return scheme, (parts.hostname, parts.port or 9100)
        if scheme == "file":
            if not parts.path:
                raise ValueError("no path")
            return scheme, parts.path
        if scheme == "cups":
            if not parts.netloc:
                raise ValueError("no queue name")
            return scheme, parts.netloc
        if scheme == "dummy":
            paper = query.get("paper", "ok")
            if paper not in DUMMY_ANSWERS:
                raise ValueError(f"paper must be one of {', '.join(DUMMY_ANSWERS)}")
            return scheme, paper
    except ValueError as exc:
        raise PrintError(f"Printer URL {url!r} is not usable: {exc}", "打印机地址配置有误") from None
    raise PrintError(f"Printer URL {url!r}: unknown kind {scheme!r} (usb, serial, tcp, file, cups, dummy)",
                     "打印机地址配置有误")


class _Network(Network):
    """python-escpos's network printer, but a refused connection does not leak its socket."""

    def open(self, raise_not_found: bool = True) -> None:
        self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)


def _make(scheme: str, target):
    if scheme == "tcp":
        return _Network(*target, timeout=TIMEOUT_S)
    if scheme == "file":
        from escpos.printer import File
        return File(target)
    if scheme == "usb":
        from escpos.printer import Usb  # needs pyusb, imported only for USB printers
        return Usb(*target, timeout=int(TIMEOUT_S * 1000))
    if scheme == "serial":
        from escpos.printer import Serial
        return Serial(target[0], baudrate=target[1], timeout=TIMEOUT_S)
    if scheme == "cups":
        try:
            from escpos.printer import CupsPrinter
        except ImportError:
            raise PrintError("cups:// printers need pycups (pip install pycups)",
                             "系统缺少 CUPS 打印支持") from None
        return CupsPrinter(printer_name=target)
    raise PrintError(f"unknown printer kind {scheme!r}", "打印机配置有误")


def open_device(scheme: str, target, dummy: AnsweringDummy | None = None):
    """An open python-escpos printer (python-escpos opens lazily; here failures surface now,
    as PrintError). The caller closes it."""
    if scheme == "dummy":
        return dummy
    device = _make(scheme, target)
    try:
        device.open()
    except Exception as exc:
        # python-escpos keeps the half-opened socket or port after a failed open: close it.
        half_open = getattr(device, "_device", None)
        if hasattr(half_open, "close"):
            half_open.close()
        raise PrintError(f"Cannot reach the printer {scheme}://…: {exc}",
                         "无法连接打印机，请联系工作人员") from exc
    return device
