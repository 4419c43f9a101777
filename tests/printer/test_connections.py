"""Printers by URL: a network printer on loopback and a serial printer on a pseudo-terminal
(fakes of ours that record bytes and answer, or ignore, status requests), device files and FIFOs,
a CUPS queue, the dummy, bad URLs, and `hallcall print-test`. Nothing may block for long."""
from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
import types

import pytest
from escpos_decode import decode

from hallcall import cli
from hallcall.printer import PrintError, open_printer


class Timer:
    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.took = time.monotonic() - self.started


def test_tcp_printer_receives_the_ticket(network_printer, ticket):
    fake = network_printer()
    printer = open_printer(fake.url)
    status = printer.status()
    assert status.as_dict() == {"paper": "ok", "online": True, "detail": ""}
    sent = printer.print_ticket(ticket)
    out = decode(fake.wait_for(sent + 6)[6:])  # after the two status requests
    assert ("A023", 4) in out.lines and out.qr == [ticket.status_url] and out.commands[-1] == "CUT"
    assert fake.connections == 2  # one per job: a printer switched off and on just works


@pytest.mark.parametrize("paper,expected", [
    ("near_end", {"paper": "near_end", "online": True, "detail": "paper near end"}),
    ("out", {"paper": "out", "online": False, "detail": "paper out, offline"}),
    ("cover_open", {"paper": "ok", "online": False, "detail": "cover open, offline"}),
])
def test_paper_and_online_states_are_reported(network_printer, paper, expected):
    status = open_printer(network_printer(paper).url).status()
    assert status.as_dict() == expected
    assert status.can_print is (paper == "near_end")


@pytest.mark.parametrize("paper", ["silent", "garbage"])
def test_a_printer_that_does_not_answer_is_unknown_not_ok(network_printer, paper):
    printer = open_printer(network_printer(paper).url)
    with Timer() as t:
        status = printer.status()
    assert (status.paper, status.online) == ("unknown", None) and status.detail
    assert status.can_print  # unknown is no reason to refuse a ticket
    assert t.took < 1.5  # bounded: the kiosk never hangs on a mute printer


def test_refused_connection_is_a_clear_error_at_once(ticket):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # nobody listens here once closed
    printer = open_printer(url)
    with Timer() as t, pytest.raises(PrintError) as e:
        printer.print_ticket(ticket)
    assert t.took < 1 and url in e.value.message and e.value.message_zh
    assert not e.value.partial  # nothing reached the printer: not even part of a ticket
    status = printer.status()
    assert (status.paper, status.online) == ("unknown", False) and url in status.detail


def test_serial_printer(serial_printer, ticket):
    fake = serial_printer("near_end")
    printer = open_printer(f"serial://{fake.path}?baudrate=19200", mode="image", paper_mm=58)
    status = printer.status()
    assert (status.paper, status.online) == ("near_end", True)
    sent = printer.print_ticket(ticket)
    out = decode(fake.wait_for(sent + 6)[6:])
    assert out.rasters and out.qr == [ticket.status_url] and out.commands[-1] == "CUT"


def test_a_serial_printer_that_stops_taking_data_fails_the_job_in_time(serial_printer, ticket):
    fake = serial_printer(reading=False)  # nobody reads the line: it fills up and stalls
    printer = open_printer(f"serial://{fake.path}?timeout=0.3", mode="image")
    with Timer() as t:
        status = printer.status()
        with pytest.raises(PrintError) as e:
            printer.print_ticket(ticket)
    assert status.paper == "unknown" and "did not take the ticket" in e.value.message
    assert e.value.partial  # part of it went down the line: it may be partly printed
    assert t.took < 2.5


@pytest.mark.parametrize("url", ["usb://ffff:fffe?in_ep=0x81&out_ep=0x03", "serial:///dev/ttyUSB97"])
def test_a_printer_not_plugged_in_is_a_clear_error_at_once(url, ticket):
    printer = open_printer(url)
    with Timer() as t:
        status = printer.status()
        with pytest.raises(PrintError) as e:
            printer.print_ticket(ticket)
    assert (status.paper, status.online) == ("unknown", False) and t.took < 1
    assert url in e.value.message and "\n" not in e.value.message


def test_file_printer(tmp_path, ticket):
    path = tmp_path / "lp0"
    printer = open_printer(f"file://{path}")
    sent = printer.print_ticket(ticket)
    assert len(path.read_bytes()) == sent and decode(path.read_bytes()).qr == [ticket.status_url]
    assert printer.status().paper == "unknown"  # a plain file cannot answer
    printer.print_ticket(ticket)  # and keeps every ticket, like paper
    assert decode(path.read_bytes()).qr == [ticket.status_url] * 2


def test_a_device_file_nobody_reads_never_blocks(tmp_path, ticket):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    with Timer() as t, pytest.raises(PrintError) as e:  # no reader: opening would block for ever
        open_printer(f"file://{fifo}").print_ticket(ticket)
    assert str(fifo) in e.value.message and t.took < 1
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader that never reads
    try:
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 4096)
        with Timer() as t, pytest.raises(PrintError) as e:
            open_printer(f"file://{fifo}?timeout=0.3", mode="image").print_ticket(ticket)
        assert "took no data" in e.value.message and t.took < 1.5 and e.value.partial
    finally:
        os.close(reader)


class FakeCups(types.ModuleType):
    """pycups as far as printer.connect uses it, for one queue whose state a test sets."""
    CUPS_FORMAT_RAW = "application/vnd.cups-raw"

    def __init__(self, reasons=("none",), state=3, fail=None):
        super().__init__("cups")
        self.jobs, self.reasons, self.state, self.fail = [], list(reasons), state, fail
        fake = self

        class Connection:
            def getPrinters(self):
                return {"thermal": {"printer-state": fake.state}}

            def getPrinterAttributes(self, name, requested_attributes=()):
                return {"printer-state": fake.state, "printer-state-reasons": fake.reasons}

            def printFile(self, queue, path, title, options):
                if fake.fail:
                    raise fake.fail
                with open(path, "rb") as f:
                    fake.jobs.append((queue, f.read(), options))
                return len(fake.jobs)

        self.Connection = Connection


def test_cups_queue(monkeypatch, ticket):
    fake = FakeCups(reasons=["media-low-report"])
    monkeypatch.setitem(sys.modules, "cups", fake)
    printer = open_printer("cups://thermal")
    assert printer.status().as_dict() == {"paper": "near_end", "online": True, "detail": "media-low-report"}
    sent = printer.print_ticket(ticket)
    [(queue, data, options)] = fake.jobs
    assert queue == "thermal" and len(data) == sent and options["document-format"] == fake.CUPS_FORMAT_RAW
    fake.reasons, fake.state = ["media-empty-error", "offline-report"], 5
    assert (printer.status().paper, printer.status().online) == ("out", False)
    fake.fail = RuntimeError("client-error-not-possible")
    with pytest.raises(PrintError, match="client-error-not-possible") as e:  # not swallowed on close
        printer.print_ticket(ticket)
    assert not e.value.partial  # CUPS takes a job whole or not at all
    with pytest.raises(PrintError, match="no queue named 'other'"):
        open_printer("cups://other").print_ticket(ticket)


def test_cups_without_pycups_is_refused_at_start(monkeypatch):
    monkeypatch.setitem(sys.modules, "cups", None)  # import cups fails
    with pytest.raises(PrintError, match="pycups"):
        open_printer("cups://thermal")


def test_dummy_printer(ticket):
    printer = open_printer("dummy:")
    assert printer.status().paper == "ok"
    sent = printer.print_ticket(ticket)
    printer.print_ticket(ticket)
    assert len(printer.printed) == 2 * sent  # it keeps what it printed, like paper
    assert open_printer("dummy:?paper=out").status().as_dict()["paper"] == "out"
    assert open_printer("dummy:?paper=silent").status().paper == "unknown"


@pytest.mark.parametrize("url", [
    "ftp://printer", "lpt1", "usb://zz:01", "usb://04b8", "tcp://", "tcp://printer:99999",
    "tcp://printer:9100?timeout=0", "tcp://printer:9100?baudrate=9600", "dummy:?paper=wet",
    "serial://", "serial:///dev/ttyS0?baudrate=fast", "serial:///dev/ttyS0?flow=magic",
    "file://", "cups://",
])
def test_bad_urls_name_the_url(url):
    with pytest.raises(PrintError) as e:
        open_printer(url)
    assert url in e.value.message and e.value.message_zh


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "hallcall", "print-test", *args],
                          capture_output=True, text=True, timeout=60)


def test_print_test_command(tmp_path):
    out = tmp_path / "ticket.bin"
    run = run_cli("--printer", f"file://{out}", "--width", "58", "--mode", "text")
    assert run.returncode == 0, run.stderr
    printed = decode(out.read_bytes())
    assert any(size == 4 for _t, size in printed.lines) and printed.commands[-1] == "CUT"
    assert "paper unknown" in run.stdout and f"{len(out.read_bytes())} bytes" in run.stdout
    bad = run_cli("--printer", "lpt1")
    assert bad.returncode != 0 and "lpt1" in bad.stderr


def test_print_test_refuses_a_printer_out_of_paper(capsys):
    assert cli.main(["print-test", "--printer", "dummy:?paper=out", "--mode", "image"]) == 1
    err = capsys.readouterr().err
    assert "paper out" in err


@pytest.mark.parametrize("url", ["dummy:?out_after=300", "dummy:?out_after=300&buffer=100000"])
def test_print_test_fails_when_the_roll_runs_out_during_the_ticket(url, capsys):
    """Cut off mid-write, or taken whole into a buffer and then out of paper: either way the
    technician is told the ticket may be incomplete, not that it printed."""
    assert cli.main(["print-test", "--printer", url]) == 1
    captured = capsys.readouterr()
    assert "may be incomplete" in captured.err
    assert "sent a" not in captured.out
