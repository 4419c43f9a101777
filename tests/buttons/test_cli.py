"""`hallcall buttons` as a technician starts it on a Pi by the windows (mock pins here)."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("gpiozero")
from live_hub import LiveHub  # noqa: E402

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub(tmp_path):
    h = LiveHub(f"sqlite:///{tmp_path / 'hub.db'}")
    yield h
    h.stop()


def buttons(url, token, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "hallcall", "buttons", "--hub", url, "--token", token,
         "--pin-factory", "mock", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_it_learns_its_keys_from_the_hub_and_stops_cleanly(hub):
    proc = buttons(hub.url, "demo-buttons")
    try:
        # It says which windows it drives once the hub has told it its keys.
        deadline = time.monotonic() + 15
        seen = ""
        while "buttons for windows 3, 4" not in seen:
            assert proc.poll() is None and time.monotonic() < deadline, seen
            if select.select([proc.stdout], [], [], 0.2)[0]:
                seen += proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out


@pytest.mark.parametrize("token, says", [
    ("not-a-token-at-all", "token"),
    ("demo-kiosk", "not a buttons device"),
])
def test_a_wrong_token_is_a_clear_error(hub, token, says):
    proc = buttons(hub.url, token)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert says in out
