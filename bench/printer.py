"""Benchmark of ticket printing: time to lay out and encode a ticket in each mode, and the bytes
a printer receives.

    python bench/printer.py [--runs 200]

The budget it serves (docs/design.md): touch to first printed line under 300 ms with the hub on the LAN.
"""
from __future__ import annotations

import argparse
import statistics
import time

from hallcall.printer import open_printer  # noqa: E402
from hallcall.printer.ticket import sample_ticket  # noqa: E402
from hallcall.server.config import load_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    ticket = sample_ticket(load_config(), "zh")
    print(f"hallcall printer benchmark: the demo hall's sample ticket, {args.runs} runs each")
    print(f"  {'mode':<16}{'p50 ms':>9}{'p99 ms':>9}{'bytes':>9}")
    for mode in ("text", "image"):
        for paper in (58, 80):
            printer = open_printer("dummy:", mode=mode, paper_mm=paper)
            runs = args.runs if mode == "text" else max(10, args.runs // 10)
            times, size = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                size = len(printer.render(ticket))
                times.append(time.perf_counter() - started)
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"  {mode + f' {paper} mm':<16}{statistics.median(times) * 1000:>9.2f}"
                  f"{p99 * 1000:>9.2f}{size:>9}")


if __name__ == "__main__":
    main()
