"""Benchmark of the kiosk: from a touch on a service to the number on the screen and to the last
byte handed to the printer, with the hub on loopback in its own process, and the kiosk's memory.

    python bench/kiosk.py [--touches 50] [--mode text|image] [--printer dummy:|file:///tmp/x]

Budgets (docs/design.md): touch to first printed line under 300 ms; kiosk under 120 MB. The last
byte bounds the first line from above.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from benchlib import percentiles, rss_mb, start_hub, step_until  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=50)
    parser.add_argument("--mode", choices=("text", "image"), default="text")
    parser.add_argument("--printer", default="dummy:", help="dummy: or file:///PATH (default dummy:)")
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    from hallcall.kiosk.bootstrap import build_kiosk
    from hallcall.kiosk.driving import MovableClock, touch

    size = tuple(int(v) for v in args.size.split("x"))
    clock = MovableClock()
    with tempfile.TemporaryDirectory() as tmp:
        hub, url = start_hub(f"{tmp}/hall.db")
        app = build_kiosk(url, "demo-kiosk", args.printer, size=size, windowed=True,
                          printer_mode=args.mode, clock=clock)
        try:
            step_until(app, lambda: app.state.hall is not None and app.state.printer is not None, timeout=20)
            printed_at = []
            real_print = app.printing.printer.print_ticket

            def timed_print(ticket):
                sent = real_print(ticket)
                printed_at.append(time.perf_counter())  # the last byte is with the printer
                return sent

            app.printing.printer.print_ticket = timed_print
            on_screen, printed = [], []
            services = [s["id"] for s in app.state.hall["services"]]
            for i in range(args.touches):
                service = services[i % len(services)]
                app.state.show_service(service)
                clock.advance(1)  # past the touch guard of the menu shown a moment ago
                app.step()
                touched = time.perf_counter()
                touch(app.service_rect(service))
                while app.state.screen != "result":
                    app.step()
                on_screen.append(time.perf_counter() - touched)
                while app.state.result.printed is None:
                    app.step()
                    time.sleep(0.0005)
                assert app.state.result.printed, f"not printed: {app.state.result.problem}"
                printed.append(printed_at[-1] - touched)
                app.state.go("menu")  # as a touch on the result would
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
