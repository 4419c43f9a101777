"""Benchmark of a hall's forwarder (server/forwarding.py): how fast it catches up a backlog after
the link was down, and what the hall's issuing costs while it does.

    python bench/forwarding.py [--tickets 5000] [--batch 500]

On temporary SQLite files: a hub in this process (the demo hall, durable writes, the thread
switch interval `hallcall serve` sets) issues and calls `--tickets` tickets while its central is
unreachable, then a real central (`python -m hallcall central`, its own process) comes up and
the hub's forwarder sends the backlog in batches of `--batch`. Printed: the backlog's events,
the catch-up time and rate (from the central's first answer, so the forwarder's back-off is not
counted), and the issue latency (p50/p99) of tickets issued while it catches up and before.
"""
from __future__ import annotations

import argparse
import json
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HALL_ID, TOKEN = "bench-hall", "bench-hall-central-token"

from hallcall.server.bootstrap import build_hub  # noqa: E402
from hallcall.server.config import load_config  # noqa: E402
from hallcall.server.config.dump import config_dict  # noqa: E402
from hallcall.server.config.loader import parse_config  # noqa: E402
from hallcall.server.forwarding import Forwarder  # noqa: E402


def issue_times(hub, n: int, services: list[str], windows: list[str]) -> list[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        hub.issue(services[i % len(services)])
        times.append((time.perf_counter() - started) * 1000)
        if i % 3 == 2:
            hub.act(windows[i % len(windows)], "call-next")
    return times


class Central:
    """`python -m hallcall central` on a free port and a temporary file."""

    def __init__(self, path: Path):
        self.path = path
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hallcall", "central", "--db", f"sqlite:///{self.path}",
             "--host", "127.0.0.1", "--port", str(self.port)], cwd=REPO,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                urllib.request.urlopen(self.url + "/api/central/health", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)

    def last_seq(self) -> int:
        try:
            with closing(sqlite3.connect(self.path, timeout=5)) as db:
                row = db.execute("SELECT last_seq FROM halls WHERE id = ?", (HALL_ID,)).fetchone()
        except sqlite3.OperationalError:
            return 0
        return row[0] if row else 0

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) >= 2 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sys.setswitchinterval(0.0005)  # as `hallcall serve` runs the hub (server/wsgi.py)
        central = Central(Path(tmp) / "central.db")  # not started: the link is down
        data = config_dict(load_config())
        data["central"] = {"url": central.url, "hall_id": HALL_ID, "token": TOKEN,
                           "batch": args.batch, "interval_s": 1.0}
        config = parse_config(data)
        hub = build_hub(config, f"sqlite:///{tmp}/hall.db", follow=False)
        services = [s.id for s in config.live_services][:8]
        windows = [w.id for w in config.live_windows if set(w.services) & set(services)][:8]
        forwarder = Forwarder(hub).start()
        try:
            for w in windows:
                hub.act(w, "open")
            before = issue_times(hub, args.tickets, services, windows)
            backlog = hub.events_after(0, 10**9)[-1].seq
            central.start()
            while central.last_seq() == 0:  # the forwarder's back-off runs out
                time.sleep(0.005)
            started = time.perf_counter()
            during: list[float] = []
            stop = threading.Event()

            def keep_issuing():
                while not stop.is_set():
                    during.extend(issue_times(hub, 3, services, windows))

            issuer = threading.Thread(target=keep_issuing)
            issuer.start()
            while central.last_seq() < backlog:
                time.sleep(0.01)
            took = time.perf_counter() - started
            stop.set()
            issuer.join()
            newest = hub.events_after(0, 10**9)[-1].seq
            while central.last_seq() < newest:
                time.sleep(0.01)
        finally:
            forwarder.stop()
            hub.stop()
            central.stop()
        print(json.dumps({
            "backlog_events": backlog, "batch": args.batch,
            "catch_up_s": round(took, 2), "events_per_s": round(backlog / took),
            "issue_ms_before": {"p50": round(pct(before, 50), 2), "p99": round(pct(before, 99), 2)},
            "issue_ms_while_catching_up": {"n": len(during), "p50": round(pct(during, 50), 2),
                                           "p99": round(pct(during, 99), 2)},
        }, indent=1))


if __name__ == "__main__":
    main()
