"""Tickets to print and fake printers to print them on: a port-9100 printer on loopback and a
serial printer on a pseudo-terminal, both answering DLE EOT status requests like a printer with
the given paper (or staying silent), both in bounded loops."""
from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from hallcall.printer.ticket import TicketPrint

# Answers to DLE EOT 1 (printer), 2 (offline cause), 4 (paper sensor), as a real printer gives
# them: a printer out of paper also goes off line, stopped at the paper end.
ANSWERS = {
    "ok": {1: b"\x16", 2: b"\x12", 4: b"\x12"},
    "near_end": {1: b"\x16", 2: b"\x12", 4: b"\x1e"},
    "out": {1: b"\x1e", 2: b"\x32", 4: b"\x72"},
    "cover_open": {1: b"\x1e", 2: b"\x16", 4: b"\x12"},
    "garbage": {1: b"\xff", 2: b"\xff", 4: b"\xff"},
    "silent": {},
}
REQUESTS = {b"\x10\x04\x01": 1, b"\x10\x04\x02": 2, b"\x10\x04\x04": 4}


@pytest.fixture
def ticket():
    return TicketPrint(
        hall={"zh": "净月政务服务中心", "en": "Jingyue Government Service Centre"},
        service={"zh": "企业名称预先核准", "en": "Company name pre-approval"}, number="A023",
        priority="normal", ahead=3, estimated_wait_s=540,
        issued_at=datetime(2026, 11, 27, 9, 5, tzinfo=timezone(timedelta(hours=8))),
        windows=[{"zh": f"{i}号窗口", "en": f"Window {i}"} for i in (1, 2, 3, 4, 38, 42)],
        materials=[{"zh": "申请人身份证原件及复印件（正反面复印在同一页上）",
                    "en": "Applicant's ID card, original and a copy of both sides on one page"},
                   {"zh": "《企业名称预先核准申请书》", "en": "Company name pre-approval application form"},
                   {"zh": "全体投资人签署的“指定代表证明”，加盖公章·一式两份",
                    "en": "Letter appointing a representative, signed by all investors"}],
        status_url="http://10.0.0.2:8080/t/Zx8_pQ-token", lang="zh")


@pytest.fixture
def green_ticket(ticket):
    return replace(ticket, priority="green", number="G007", ahead=0)


class _Recording:
    """What both fake printers share: the bytes they received, and waiting for them."""

    received: bytearray

    def wait_for(self, n: int, timeout: float = 3) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return bytes(self.received)


class FakeNetworkPrinter(_Recording):
    """With `close_after`, the roll ends after that many bytes of a ticket: the printer drops the
    job's connection, unread data and all, and answers "out" from then on."""

    def __init__(self, paper: str = "ok", close_after: int | None = None):
        self.answers = ANSWERS[paper]
        self.close_after = close_after
        self.ticket_bytes = 0
        self.received = bytearray()
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.url = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        deadline = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.1)
                while not self.stop.is_set() and time.monotonic() < deadline:
                    left = (self.close_after or 0) - self.ticket_bytes
                    try:  # a printer whose roll ends takes no byte beyond it
                        data = conn.recv(left if left > 0 else 65536)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    self.received += data
                    answer = self.answers.get(REQUESTS.get(bytes(data[-3:])))
                    if answer:
                        conn.sendall(answer)
                    elif bytes(data) not in REQUESTS:
                        self.ticket_bytes += len(data)
                        if self.close_after is not None and self.ticket_bytes >= self.close_after:
                            self.answers = ANSWERS["out"]
                            break

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


class FakeSerialPrinter(_Recording):
    """The printer end of a pseudo-terminal; the kiosk end is a serial port at `path`."""

    def __init__(self, paper: str = "ok", reading: bool = True):
        self.answers = ANSWERS[paper]
        self.received = bytearray()
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)
        self.stop = threading.Event()
        self.thread = None
        if reading:  # a printer that stopped taking data leaves the line unread
            self.thread = threading.Thread(target=self._serve, daemon=True)
            self.thread.start()

    def _serve(self):
        deadline = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < deadline:
            if not select.select([self.master], [], [], 0.1)[0]:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            self.received += data
            answer = self.answers.get(REQUESTS.get(bytes(data[-3:])))
            if answer:
                os.write(self.master, answer)

    def close(self):
        self.stop.set()
        if self.thread:
            self.thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def network_printer():
    made = []

    def make(paper="ok", close_after=None):
        made.append(FakeNetworkPrinter(paper, close_after))
        return made[-1]

    yield make
    for p in made:
        p.close()


@pytest.fixture
def serial_printer():
    made = []

    def make(paper="ok", reading=True):
        made.append(FakeSerialPrinter(paper, reading))
        return made[-1]

    yield make
    for p in made:
        p.close()
