"""An installer checks a kiosk's printer and the hall staff see its paper state on the hub."""
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_print_test_reports_the_printer_state_to_the_hub(real_server, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "hallcall", "print-test", "--printer", "dummy:?paper=near_end",
         "--hub", real_server.url, "--token", "demo-kiosk"],
        capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    client = real_server.client()
    try:
        hall = client.hall()
    finally:
        client.close()
    kiosk = next(d for d in hall["devices"] if d["id"] == "kiosk-1")
    assert kiosk["status"]["printer"]["paper"] == "near_end"
