"""A roll that ends in the middle of a ticket, a link that drops half-way: the job counts as not
printed (maybe partly printed), the hub hears the paper state, and nothing is printed twice."""
from __future__ import annotations

import pytest

from hallcall.printer import PrintError, open_printer
from hallcall.printer.ticket import from_api
from hallcall.server.web.serialize import hall_json

PAPER = 300  # bytes of ticket left on the roll: less than any ticket


def test_a_roll_ending_mid_ticket_fails_the_job_as_maybe_partly_printed(ticket):
    printer = open_printer(f"dummy:?out_after={PAPER}")
    assert printer.status().paper == "ok"  # nobody can tell before printing
    whole = len(printer.render(ticket))
    with pytest.raises(PrintError) as e:
        printer.print_ticket(ticket)
    assert e.value.partial and e.value.sent < whole and e.value.message_zh
    assert len(printer.printed) == PAPER  # the first part is on paper, the rest is not
    status = printer.status()
    assert (status.paper, status.can_print) == ("out", False)
    with pytest.raises(PrintError):  # and it stays out until someone changes the roll
        printer.print_ticket(ticket)
    assert len(printer.printed) == PAPER


def test_a_printer_that_buffers_the_ticket_takes_it_and_then_says_out(ticket):
    printer = open_printer(f"dummy:?out_after={PAPER}&buffer=100000")
    printer.print_ticket(ticket)  # every byte went into the printer's buffer …
    assert len(printer.printed) == PAPER  # … but the roll ended while printing it
    assert printer.status().paper == "out"


def test_an_empty_roll_says_out_before_the_first_ticket():
    assert open_printer("dummy:?out_after=0").status().paper == "out"


@pytest.mark.parametrize("url", ["dummy:?out_after=-1", "dummy:?out_after=lots", "dummy:?buffer=4096",
                                 "dummy:?out_after=10&buffer=-5"])
def test_bad_fault_settings_name_the_url(url):
    with pytest.raises(PrintError) as e:
        open_printer(url)
    assert url in e.value.message


def test_a_printer_that_cannot_be_opened_printed_nothing(ticket):
    printer = open_printer("serial:///dev/ttyUSB97")
    with pytest.raises(PrintError) as e:
        printer.print_ticket(ticket)
    assert not e.value.partial  # "not printed": nothing of it can be on paper


@pytest.fixture
def hub(tmp_path):
    from live_hub import LiveHub
    live = LiveHub(f"sqlite:///{tmp_path}/hall.db")  # the demo hall: kiosk-1 is demo-kiosk
    yield live
    live.stop()


def issued(number="A001"):
    return {"ticket": {"number": number, "service": "company-name", "priority": "normal",
                       "issued_at": "2026-11-27T09:05:00+08:00", "token": "tok"},
            "ahead": 0, "estimated_wait_s": 0}


@pytest.mark.parametrize("url", [f"dummy:?out_after={PAPER}", f"dummy:?out_after={PAPER}&buffer=100000"],
                         ids=["write-stalls", "buffered"])
def test_the_kiosk_counts_a_cut_off_ticket_as_not_printed_and_tells_the_hub(hub, url):
    from hallcall.hallclient import HubClient
    from hallcall.kiosk.printing import Printing
    printing = Printing(url, HubClient(hub.url, "demo-kiosk"))
    try:
        printed, problem, status = printing.print_issued(issued(), hall_json(hub.hub.snapshot()),
                                                         hub.url, "zh")
        assert (printed, problem) == (False, "incomplete") and status.paper == "out"
        assert hub.printer_status()["paper"] == "out"  # staff see it on the overview
        assert len(printing.printed) == PAPER  # one attempt, never a second copy
        printed, problem, _ = printing.print_issued(issued("A002"), hall_json(hub.hub.snapshot()),
                                                    hub.url, "zh")
        assert (printed, problem) == (False, "paper_out") and len(printing.printed) == PAPER
    finally:
        printing.client.close()
        printing.close()


def test_a_network_printer_dropping_the_job_half_way(hub, network_printer):
    from hallcall.hallclient import HubClient
    from hallcall.kiosk.printing import Printing
    fake = network_printer(close_after=PAPER)
    printing = Printing(fake.url, HubClient(hub.url, "demo-kiosk"), mode="image")
    try:
        printed, problem, status = printing.print_issued(issued(), hall_json(hub.hub.snapshot()),
                                                         hub.url, "zh")
        # Whether the kernel saw the reset during the job or the printer says "out" just after,
        # the citizen hears the same: maybe incomplete, note the number.
        assert (printed, problem, status.paper) == (False, "incomplete", "out")
        assert hub.printer_status() == status.as_dict()
        assert fake.connections == 3  # status, the job once, status: the ticket is not sent again
        whole = printing.printer.render(from_api(issued(), hall_json(hub.hub.snapshot()), hub.url, "zh"))
        assert fake.ticket_bytes == PAPER < len(whole)
    finally:
        printing.client.close()
        printing.close()


def test_a_printer_that_never_answers_is_not_asked_again_after_the_job(hub, network_printer):
    from hallcall.hallclient import HubClient
    from hallcall.kiosk.printing import Printing
    fake = network_printer("silent")  # answers no status request: paper unknown
    printing = Printing(fake.url, HubClient(hub.url, "demo-kiosk"))
    asked = []
    ask = printing.printer.status
    printing.printer.status = lambda: (asked.append(1), ask())[1]
    try:
        printed, problem, status = printing.print_issued(issued(), hall_json(hub.hub.snapshot()),
                                                         hub.url, "zh")
        assert (printed, problem, status.paper) == (True, None, "unknown")
        assert len(asked) == 1  # before the job only: no second wait for an answer that never comes
    finally:
        printing.client.close()
        printing.close()
