"""Benchmark of the kiosk: from a touch on a service to the last byte handed to the printer, with
the hub on loopback, and the kiosk's memory.

    python bench/kiosk.py [--touches 30] [--mode text|image]

Budgets (DESIGN.md): touch to first printed line under 300 ms; kiosk under 120 MB.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "tests"))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from kiosk_support import step_until, touch  # noqa: E402
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
    while True:
        try:
            probe.health()
            probe.close()
            return proc, url
        except HubError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                sys.exit("the hub did not start")
            time.sleep(0.1)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=30)
    parser.add_argument("--mode", choices=("text", "image"), default="text")
    args = parser.parse_args()
    from kiosk.app import KioskApp

    with tempfile.TemporaryDirectory() as tmp:
        hub, url = start_hub(f"{tmp}/hall.db")
        app = KioskApp(url, "demo-kiosk", "dummy:", size=(1920, 1080), windowed=True,
                       printer_mode=args.mode)
        try:
            step_until(app, lambda: app.hall is not None)
            done = []
            real_print = app.printing.printer.print_ticket

            def timed_print(ticket):
                sent = real_print(ticket)
                done.append(time.perf_counter())
                return sent

            app.printing.printer.print_ticket = timed_print
            latencies = []
            for i in range(args.touches):
                service = app.hall["services"][i % len(app.hall["services"])]["id"]
                app.show_service(service)
                app.step()
                touched = time.perf_counter()
                touch(app, app.service_rect(service))
                step_until(app, lambda: app.screen_name == "result")
                latencies.append(done[-1] - touched)
                app.screen_name = "menu"
            latencies.sort()
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(f"hallcall kiosk benchmark: {args.touches} touches, {args.mode} mode, hub on loopback "
                  f"(a hub process), dummy printer")
            print(f"  touch -> last byte to the printer: p50 {statistics.median(latencies) * 1000:.1f} ms, "
                  f"p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms (budget: first line < 300 ms)")
            print(f"  kiosk RSS: {rss_mb():.1f} MB (budget < 120 MB)")
        finally:
            app.close()
            hub.terminate()
            hub.wait(10)


if __name__ == "__main__":
    main()
