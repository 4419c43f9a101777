"""What the device benchmarks share: a hub in its own process, this process's memory, and
latency figures as p50 / p99 / max. Imported by path-independent name: the benchmarks run as
`python bench/NAME.py`, which puts this folder first on sys.path."""
from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hallclient import HubClient, HubError  # noqa: E402


def start_hub(db: str) -> tuple[subprocess.Popen, str]:
    """The hub in its own process, so the RSS measured here is the kiosk's alone."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--db", db, "--port", str(port)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    probe = HubClient(url)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                probe.health()
                return proc, url
            except HubError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()
                    sys.exit("the hub did not start")
                time.sleep(0.1)
    finally:
        probe.close()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {values[-1] * 1000:.1f} ms")
