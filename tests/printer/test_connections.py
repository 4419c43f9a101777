"""Printers by URL: a network printer on loopback (a listener of ours that records bytes and
answers, or ignores, status queries), files, the dummy, bad URLs, and `hallcall print-test`."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from escpos_decode import decode
from printer import PrintError, open_printer

PAPER_SENSOR = {"ok": b"\x12", "near_end": b"\x1e", "out": b"\x72"}


class FakeNetworkPrinter:
    """A port-9100 printer on 127.0.0.1: keeps what it receives, answers DLE EOT 1 / 4 like a
    printer with the given paper (or stays silent), serves a bounded number of connections."""

    def __init__(self, paper: str | None = "ok", online: bool = True):
        self.paper, self.online = paper, online
        self.received = bytearray()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
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
            with conn:
                conn.settimeout(0.2)
                while not self.stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    self.received += data
                    if self.paper is not None:  # None: a printer that never answers
                        if data.endswith(b"\x10\x04\x01"):
                            conn.sendall(b"\x16" if self.online else b"\x1e")
                        elif data.endswith(b"\x10\x04\x04"):
                            conn.sendall(PAPER_SENSOR[self.paper])

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def network_printer():
    made = []

    def make(**kw):
        made.append(FakeNetworkPrinter(**kw))
        return made[-1]

    yield make
    for p in made:
        p.close()


def test_tcp_printer_receives_the_ticket(network_printer, ticket):
    fake = network_printer()
    printer = open_printer(fake.url)
    assert printer.status().paper == "ok" and printer.status().online is True
    sent = printer.print_ticket(ticket)
    deadline = time.monotonic() + 3
    while len(fake.received) < sent and time.monotonic() < deadline:
        time.sleep(0.01)
    out = decode(bytes(fake.received).split(b"\x10\x04\x04")[-1])
    assert ("A023", 4) in out.lines and out.qr == [ticket.status_url]


@pytest.mark.parametrize("paper", ["near_end", "out"])
def test_paper_states_are_reported(network_printer, paper):
    status = open_printer(network_printer(paper=paper).url).status()
    assert status.paper == paper and status.online is True
    assert status.can_print is (paper != "out")
    assert status.as_dict() == {"paper": paper, "online": True, "detail": ""}


def test_offline_printer(network_printer):
    status = open_printer(network_printer(online=False).url).status()
    assert status.online is False and not status.can_print


def test_a_printer_that_does_not_answer_is_unknown_not_ok(network_printer):
    printer = open_printer(network_printer(paper=None).url)
    started = time.monotonic()
    status = printer.status()
    assert status.paper == "unknown" and status.online is None
    assert time.monotonic() - started < 2.5  # bounded: the kiosk never hangs on a mute printer


def test_refused_connection_is_a_clear_error_at_once(ticket):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here once closed
    printer = open_printer(f"tcp://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(PrintError) as e:
        printer.print_ticket(ticket)
    assert time.monotonic() - started < 2 and e.value.message_zh
    assert printer.status().online is False


def test_file_and_dummy_printers(tmp_path, ticket):
    path = tmp_path / "lp0"
    sent = open_printer(f"file://{path}").print_ticket(ticket)
    assert path.read_bytes() and len(path.read_bytes()) == sent
    assert open_printer(f"file://{path}").status().paper == "unknown"  # a file cannot answer
    assert open_printer("dummy:?paper=out").status().paper == "out"


@pytest.mark.parametrize("url", ["ftp://printer", "usb://zz:01", "tcp://", "dummy:?paper=wet", "serial://"])
def test_bad_urls_name_the_url(url):
    with pytest.raises(PrintError) as e:
        open_printer(url)
    assert url in e.value.message


def test_print_test_command(tmp_path):
    out = tmp_path / "ticket.bin"
    run = subprocess.run([sys.executable, "-m", "server.cli", "print-test", "--printer", f"file://{out}",
                          "--width", "58", "--mode", "text"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    printed = decode(out.read_bytes())
    assert any(size == 4 for _t, size in printed.lines) and printed.commands[-1] == "CUT"
    bad = subprocess.run([sys.executable, "-m", "server.cli", "print-test", "--printer", "lpt1"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "lpt1" in bad.stderr
