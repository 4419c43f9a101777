"""A real printer, only where HALLCALL_TEST_PRINTER names one (e.g. usb://0416:5011,
tcp://10.0.0.9:9100); HALLCALL_TEST_PAPER=58 for 58 mm paper. It prints two tickets."""
import os
import time

import pytest

from hallcall.printer import open_printer
from hallcall.printer.ticket import sample_ticket

URL = os.environ.get("HALLCALL_TEST_PRINTER")
pytestmark = pytest.mark.skipif(not URL, reason="HALLCALL_TEST_PRINTER names no printer")


@pytest.mark.parametrize("mode", ["text", "image"])
def test_a_real_printer_prints_and_answers(demo_config, mode):
    printer = open_printer(URL, mode=mode, paper_mm=int(os.environ.get("HALLCALL_TEST_PAPER", "80")))
    started = time.monotonic()
    status = printer.status()
    assert time.monotonic() - started < 2
    assert status.can_print, status
    assert printer.print_ticket(sample_ticket(demo_config, "zh")) > 0
