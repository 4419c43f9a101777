"""Benchmark of the kiosk: from a touch on a service to the number on the screen and to the last
byte handed to the printer, with the hub on loopback in its own process, and the kiosk's memory.

    python bench/kiosk.py [--touches 50] [--mode text|image] [--printer dummy:|file:///tmp/x]

Budgets (DESIGN.md): touch to first printed line under 300 ms; kiosk under 120 MB. The last
byte bounds the first line from above.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.append(str(REPO / "tests"))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from hallclient import HubClient, HubError  # noqa: E402
from kiosk_support import KioskClock, step_until, touch  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=50)
    parser.add_argument("--mode", choices=("text", "image"), default="text")
    parser.add_argument("--printer", default="dummy:", help="dummy: or file:///PATH (default dummy:)")
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    from kiosk.app import KioskApp

    size = tuple(int(v) for v in args.size.split("x"))
    clock = KioskClock()
    with tempfile.TemporaryDirectory() as tmp:
        hub, url = start_hub(f"{tmp}/hall.db")
        app = KioskApp(url, "demo-kiosk", args.printer, size=size, windowed=True, printer_mode=args.mode,
                       clock=clock)
        try:
            step_until(app, lambda: app.hall is not None and app.printer is not None, timeout=20)
            printed_at = []
            real_print = app.printing.printer.print_ticket

            def timed_print(ticket):
                sent = real_print(ticket)
                printed_at.append(time.perf_counter())  # the last byte is with the printer
                return sent

            app.printing.printer.print_ticket = timed_print
            on_screen, printed = [], []
            services = [s["id"] for s in app.hall["services"]]
            for i in range(args.touches):
                service = services[i % len(services)]
                app.show_service(service)
                clock.advance(1)  # past the touch guard of the menu shown a moment ago
                app.step()
                touched = time.perf_counter()
                touch(app, app.service_rect(service))
                while app.screen_name != "result":
                    app.step()
                on_screen.append(time.perf_counter() - touched)
                while app.result["printed"] is None:
                    app.step()
                    time.sleep(0.0005)
                assert app.result["printed"], f"not printed: {app.result['problem']}"
                printed.append(printed_at[-1] - touched)
                app.go("menu")
            print(f"hallcall kiosk benchmark: {args.touches} touches, {args.mode} mode, {args.printer} "
                  f"printer, {args.size}, hub on loopback (its own process)")
            print(f"  touch -> number on the screen:            {percentiles(on_screen)}")
            print(f"  touch -> last byte handed to the printer: {percentiles(printed)} "
                  f"(budget: first line < 300 ms)")
            print(f"  kiosk RSS: {rss_mb():.1f} MB (budget < 120 MB)")
        finally:
            app.close()
            hub.terminate()
            hub.wait(10)


if __name__ == "__main__":
    main()
