"""Printers by URL, every one with bounded timeouts: nothing may hold a kiosk forever.

    usb://04b8:0202[?in_ep=0x81&out_ep=0x03]
    serial:///dev/ttyUSB0?baudrate=19200[&flow=dsrdtr|rtscts|xonxoff|none]
    tcp://10.0.0.9:9100        cups://QUEUE
    file:///dev/usb/lp0 (any path; a plain file collects the tickets, one after another)
    dummy: (records bytes; ?paper=near_end|out|offline|silent answers status queries so;
            ?out_after=N: the roll ends after N bytes of tickets, see AnsweringDummy)

Every URL takes ?timeout=SECONDS (default 3): how long connecting, or a write that makes no
progress, may take. A status answer is waited for STATUS_TIMEOUT_S.

Each backend is python-escpos's own printer class with what a kiosk needs added: `_read()`
returns b"" after STATUS_TIMEOUT_S instead of waiting (python-escpos's Usb and Serial would wait
for ever or a second, its Network 60 s), `finish()` makes sure the data left or raises, and
`close()` never blocks.
"""
from __future__ import annotations

import os
import select
import socket
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from escpos.escpos import Escpos
from escpos.printer import Dummy, File, Network

from .errors import PrintError

TIMEOUT_S = 3.0
STATUS_TIMEOUT_S = 0.5

# What the fake answers to DLE EOT 1 (printer), 2 (offline cause) and 4 (roll paper sensor).
DUMMY_ANSWERS = {"ok": (b"\x16", b"\x12", b"\x12"), "near_end": (b"\x16", b"\x12", b"\x1e"),
                 "out": (b"\x1e", b"\x32", b"\x72"), "offline": (b"\x1e", b"\x16", b"\x12"),
                 "silent": (b"", b"", b"")}
STATUS_REQUESTS = (b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04")
FLOW = ("dsrdtr", "rtscts", "xonxoff", "none")  # python-escpos's default is dsrdtr
PARAMS = {"usb": {"in_ep", "out_ep"}, "serial": {"baudrate", "flow"}, "tcp": set(), "file": set(),
          "cups": set(), "dummy": {"paper", "out_after", "buffer"}}


@dataclass(frozen=True)
class Address:
    url: str
    scheme: str
    target: object  # what the backend needs: (vid, pid, in_ep, out_ep), (host, port), a path, ...
    timeout: float


class AnsweringDummy(Dummy):
    """python-escpos's Dummy, which records what is sent, answering status queries like a
    printer would (or not at all), so tests and demos exercise the same code as real devices.

    With `out_after` the roll ends after that many bytes of tickets, as a real one does in the
    middle of a ticket: from then on the paper sensor answers "out", the bytes the printer's
    `buffer` still holds are taken but never printed, and the next write fails the way a stalled
    USB, serial or device-file write does, with a timeout. `output` is what reached the paper."""

    def __init__(self, paper: str = "ok", out_after: int | None = None, buffer: int = 0):
        super().__init__()
        self.answers = dict(zip(STATUS_REQUESTS, DUMMY_ANSWERS[paper], strict=True))
        self._pending = b""
        self.paper_left, self.buffer_left = out_after, buffer
        if out_after == 0:
            self.answers = dict(zip(STATUS_REQUESTS, DUMMY_ANSWERS["out"], strict=True))

    def _raw(self, msg: bytes) -> None:
        if msg in self.answers:
            self._pending = self.answers[msg]
            return
        if self.paper_left is None:
            return super()._raw(msg)
        fits = min(len(msg), self.paper_left)
        if fits:
            super()._raw(msg[:fits])
        self.paper_left -= fits
        if self.paper_left == 0:  # the roll's end: the sensor says so from now on
            self.answers = dict(zip(STATUS_REQUESTS, DUMMY_ANSWERS["out"], strict=True))
        rest = len(msg) - fits
        if rest:
            held = min(rest, self.buffer_left)
            self.buffer_left -= held
            if held < rest:
                raise TimeoutError("the printer took no data (out of paper)")

    def _read(self) -> bytes:
        answer, self._pending = self._pending, b""
        return answer

    def finish(self) -> None:
        pass


def _bad(url: str, why: str) -> PrintError:
    return PrintError(f"Printer URL {url!r} is not usable: {why}", "打印机地址配置有误")


def parse(url: str) -> Address:
    """Check a printer URL without touching the device."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    except ValueError as exc:
        raise _bad(url, str(exc)) from None
    if scheme not in PARAMS:
        raise _bad(url, f"unknown kind {scheme!r} (usb, serial, tcp, file, cups or dummy)")
    unknown = set(query) - PARAMS[scheme] - {"timeout"}
    if unknown:
        raise _bad(url, f"unknown setting {', '.join(sorted(unknown))}")
    try:
        timeout = float(query.get("timeout", TIMEOUT_S))
        if not 0 < timeout <= 120:
            raise ValueError("timeout must be between 0 and 120 seconds")
        if scheme == "usb":
            vid, pid = (parts.netloc or parts.path).split(":")
            ends = (int(query.get("in_ep", "0x82"), 16), int(query.get("out_ep", "0x01"), 16))
            return Address(url, scheme, (int(vid, 16), int(pid, 16), *ends), timeout)
        if scheme == "serial":
            if not parts.path:
                raise ValueError("no device path")
            flow = query.get("flow", "dsrdtr")
            if flow not in FLOW:
                raise ValueError(f"flow must be one of {', '.join(FLOW)}")
            return Address(url, scheme, (parts.path, int(query.get("baudrate", 9600)), flow), timeout)
        if scheme == "tcp":
            if not parts.hostname:
                raise ValueError("no host")
            return Address(url, scheme, (parts.hostname, parts.port or 9100), timeout)
        if scheme == "file":
            if not parts.path:
                raise ValueError("no path")
            return Address(url, scheme, parts.path, timeout)
        if scheme == "cups":
            if not parts.netloc:
                raise ValueError("no queue name")
            return Address(url, scheme, parts.netloc, timeout)
        paper = query.get("paper", "ok")  # dummy
        if paper not in DUMMY_ANSWERS:
            raise ValueError(f"paper must be one of {', '.join(DUMMY_ANSWERS)}")
        out_after = int(query["out_after"]) if "out_after" in query else None
        buffer = int(query.get("buffer", 0))
        if (out_after is not None and out_after < 0) or buffer < 0:
            raise ValueError("out_after and buffer are byte counts, 0 or more")
        if "buffer" in query and out_after is None:
            raise ValueError("buffer needs out_after (a printer's buffer matters once the roll ends)")
        return Address(url, scheme, (paper, out_after, buffer), timeout)
    except ValueError as exc:  # also a bad port number or hex id
        raise _bad(url, str(exc)) from None


class _Network(Network):
    def open(self, raise_not_found: bool = True) -> None:
        # python-escpos keeps a refused socket open; this one is closed by create_connection.
        self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)

    def _read(self) -> bytes:
        self.device.settimeout(STATUS_TIMEOUT_S)
        try:
            return self.device.recv(16)
        except TimeoutError:
            return b""
        finally:
            self.device.settimeout(self.timeout)

    def finish(self) -> None:
        pass  # sendall() returned: the data is with the kernel, which sends it after close

    def close(self) -> None:
        if self._device:
            # Closing with unread bytes (a late status answer, automatic status back) makes
            # Linux reset the connection and drop what is not sent yet: the end of a ticket.
            try:
                self._device.setblocking(False)
                while self._device.recv(4096):
                    pass
            except OSError:
                pass
        super().close()


class _File(File):
    """A device file or any file. /dev/usb/lp0 blocks writers while the printer is out of paper,
    and a FIFO nobody reads blocks for ever: writes wait with poll() and a deadline instead."""

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.char_device = stat.S_ISCHR(os.stat(self.devfile).st_mode)
        except OSError:
            self.char_device = False
        flags = os.O_NONBLOCK | os.O_CLOEXEC
        try:
            if self.char_device:  # a printer's device file can be read for status answers
                try:
                    fd = os.open(self.devfile, flags | os.O_RDWR)
                except PermissionError:
                    self.char_device = False  # write-only for us: no status, still printing
                    fd = os.open(self.devfile, flags | os.O_WRONLY)
            else:  # a plain file collects every ticket, like the paper out of a printer
                fd = os.open(self.devfile, flags | os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:  # ENXIO: a FIFO with no reader
            raise OSError(f"cannot open {self.devfile}: {exc.strerror}") from exc
        self.device = open(fd, "r+b" if self.char_device else "wb", buffering=0)
        self.answers = self.char_device  # a plain file or a FIFO is not asked for its status

    def _raw(self, msg: bytes) -> None:
        fd = self.device.fileno()
        view = memoryview(msg)
        deadline = time.monotonic() + self.timeout
        while view:
            try:
                view = view[os.write(fd, view):]
                continue
            except BlockingIOError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.devfile} took no data for {self.timeout:g} s")
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            poller.poll(left * 1000)

    def _read(self) -> bytes:
        if not self.char_device:
            return b""  # a plain file or a FIFO cannot answer
        poller = select.poll()
        poller.register(self.device.fileno(), select.POLLIN)
        if not poller.poll(STATUS_TIMEOUT_S * 1000):
            return b""
        try:
            return os.read(self.device.fileno(), 16)
        except OSError:
            return b""

    def flush(self) -> None:
        pass  # unbuffered

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._device:
            self._device.close()
        self._device = False


def _serial_class():
    from escpos.printer import Serial  # pyserial, imported only for serial printers

    class _Serial(Serial):
        rtscts = False

        def open(self, raise_not_found: bool = True) -> None:
            super().open(raise_not_found)
            # Without a write timeout pyserial waits for ever on a printer holding DSR low.
            self.device.write_timeout = self.timeout
            self.device.rtscts = self.rtscts

        def _read(self) -> bytes:
            self.device.timeout = STATUS_TIMEOUT_S
            try:
                # read(16) would wait out the timeout for 16 bytes; an answer is one.
                answer = self.device.read(1)
                return answer + self.device.read(self.device.in_waiting)
            finally:
                self.device.timeout = self.timeout

        def finish(self) -> None:
            # Wait (boundedly) until the port has sent everything: python-escpos's flush() is
            # tcdrain(), which waits for ever on a printer that stopped taking data.
            deadline = time.monotonic() + self.timeout
            while self.device.out_waiting and time.monotonic() < deadline:
                time.sleep(0.02)
            if self.device.out_waiting:
                raise TimeoutError(f"{self.devfile} took no data for {self.timeout:g} s")

        def close(self) -> None:
            if self._device and self._device.is_open:
                if self._device.out_waiting:
                    # Only after a failed job (finish() waits for the rest): unsent bytes
                    # would make close() wait up to the tty's closing_wait, 30 s.
                    self._device.reset_output_buffer()
                self._device.close()
            self._device = False

    return _Serial


def _usb_class():
    import usb.core  # pyusb, imported only for USB printers
    from escpos.printer import Usb

    class _Usb(Usb):
        def _configure_usb(self) -> None:
            # python-escpos resets the device on every open; a printer opened per job would be
            # reset while still printing the previous ticket from its buffer. Configure it only
            # when it is not configured yet (setting it again is itself a light reset).
            try:
                self.device.get_active_configuration()
            except usb.core.USBError:
                self.device.set_configuration()

        def _read(self) -> bytes:
            try:
                return bytes(self.device.read(self.in_ep, 16, int(STATUS_TIMEOUT_S * 1000)))
            except usb.core.USBTimeoutError:
                return b""

        def finish(self) -> None:
            pass  # a bulk write returns once the printer has taken the data

    return _Usb


def bounded(call, timeout: float, what: str):
    """Run a call that has no timeout of its own (pycups) in a helper thread, waiting at most
    `timeout`: if it hangs, the kiosk goes on and the thread is abandoned."""
    result: dict = {}

    def run():
        try:
            result["value"] = call()
        except BaseException as exc:  # handed over to the caller
            result["error"] = exc

    thread = threading.Thread(target=run, name=f"hallcall-{what}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{what} did not answer within {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result["value"]


class CupsQueue(Escpos):
    """A CUPS queue taking raw ESC/POS (pycups). Unlike python-escpos's CupsPrinter, which submits
    the job while closing and so cannot report a failure, finish() submits it and raises."""

    all_or_nothing = True  # finish() submits the whole job or none of it: a failure printed nothing

    def __init__(self, queue: str, timeout: float):
        super().__init__()
        self.queue, self.timeout = queue, timeout
        self.buffer = bytearray()

    def open(self, raise_not_found: bool = True) -> None:
        import cups  # pycups, imported only for CUPS queues

        self.cups = cups
        self.device = bounded(cups.Connection, self.timeout, "CUPS")
        if self.queue not in bounded(self.device.getPrinters, self.timeout, "CUPS"):
            self.device = None
            raise OSError(f"CUPS has no queue named {self.queue!r}")

    def _raw(self, msg: bytes) -> None:
        self.buffer += msg

    def finish(self) -> None:
        if not self.buffer:
            return
        with tempfile.NamedTemporaryFile(prefix="hallcall-ticket-") as job:
            job.write(self.buffer)
            job.flush()
            bounded(lambda: self.device.printFile(
                self.queue, job.name, "hallcall ticket",
                {"document-format": self.cups.CUPS_FORMAT_RAW}), self.timeout, "CUPS")
        self.buffer.clear()

    def attributes(self) -> dict:
        return bounded(lambda: self.device.getPrinterAttributes(
            self.queue, requested_attributes=["printer-state", "printer-state-reasons"]),
            self.timeout, "CUPS")

    def close(self) -> None:
        self.buffer.clear()
        self._device = False


def _make(address: Address):
    scheme, target, timeout = address.scheme, address.target, address.timeout
    if scheme == "tcp":
        return _Network(*target, timeout=timeout)
    if scheme == "file":
        device = _File(target)
        device.timeout = timeout
        return device
    if scheme == "usb":
        vid, pid, in_ep, out_ep = target
        return _usb_class()(vid, pid, timeout=int(timeout * 1000), in_ep=in_ep, out_ep=out_ep)
    if scheme == "serial":
        path, baudrate, flow = target
        device = _serial_class()(path, baudrate=baudrate, timeout=timeout,
                                 dsrdtr=flow == "dsrdtr", xonxoff=flow == "xonxoff")
        device.rtscts = flow == "rtscts"
        return device
    if scheme == "cups":
        return CupsQueue(target, timeout)
    raise PrintError(f"unknown printer kind {scheme!r}", "打印机配置有误")


def check_driver(address: Address) -> None:
    """Fail at start-up, not at the first ticket, when the driver for a kind is not installed."""
    modules = {"usb": ("usb.core", "pyusb"), "serial": ("serial", "pyserial"), "cups": ("cups", "pycups")}
    if address.scheme in modules:
        module, package = modules[address.scheme]
        try:
            __import__(module)
        except ImportError:
            raise PrintError(f"{address.scheme}:// printers need {package} (pip install {package})",
                             "系统缺少打印机驱动，请联系工作人员") from None


def open_device(address: Address, dummy: AnsweringDummy | None = None):
    """An open python-escpos printer; a failure to open is a PrintError now (python-escpos
    would open lazily at the first write). The caller closes it."""
    if address.scheme == "dummy":
        return dummy
    device = _make(address)
    try:
        device.open()
    except Exception as exc:
        # python-escpos may keep a half-opened socket or port after a failed open: close it.
        half_open = getattr(device, "_device", None)
        if hasattr(half_open, "close"):
            try:
                half_open.close()
            except Exception:
                pass
        device._device = False
        why = " ".join(str(exc).split()) or type(exc).__name__  # python-escpos's span lines
        raise PrintError(f"Cannot reach the printer {address.url}: {why}",
                         "无法连接打印机，请联系工作人员") from exc
    return device
