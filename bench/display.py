"""Benchmark of the wall board: frames per second and CPU share at 1920x1080 with the marquee
running (SDL's dummy video driver), and the board's memory.

    python bench/display.py [--frames 600] [--size 1920x1080] [--fps 0]

--fps 0 draws as fast as it can (the frame rate the board could reach); --fps 60 paces it as
`run()` does, so CPU share is the load at 60 fps. Budget (docs/design.md): 1920x1080 at 60 fps using
under a quarter of one core; display under 120 MB RSS.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from benchlib import (  # noqa: E402
    rss_mb,
    start_hub,
    step_until,  # noqa: E402
)

from hallcall.hallclient import HubClient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=0, help="0: unpaced")
    parser.add_argument("--full", action="store_true",
                        help="redraw the whole board every frame (to compare with dirty rects)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    import pygame

    from hallcall.display.bootstrap import build_board

    with tempfile.TemporaryDirectory() as tmp:
        hub, url = start_hub(f"{tmp}/hall.db")
        app = build_board(url, size, windowed=True)
        try:
            step_until(app, lambda: app.hall is not None and not app.offline, timeout=30)
            admin = HubClient(url, "demo-admin")
            kiosk = HubClient(url, "demo-kiosk")
            for service in ("company-name", "company-setup", "social-insurance", "foreign-trade"):
                for _ in range(3):
                    kiosk.issue(service)
            for window in ("1", "2", "3"):
                admin.call_next(window)
            step_until(app, lambda: len(app.recent) == 3)
            ticker = pygame.time.Clock()
            full0 = app.full_frames
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for _ in range(args.frames):
                if args.full:
                    app._drawn_key = None
                app.step()
                if args.fps:
                    ticker.tick(args.fps)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            full = app.full_frames - full0
            admin.close()
            kiosk.close()
        finally:
            app.close()
            hub.terminate()
            hub.wait(10)
    print(f"{args.frames} frames at {size[0]}x{size[1]} "
          f"({'unpaced' if not args.fps else f'paced {args.fps} fps'}): "
          f"{'full redraw every frame: ' if args.full else ''}{args.frames / wall:.0f} fps, "
          f"CPU {100 * cpu / wall:.0f}% of one core "
          f"({1000 * cpu / args.frames:.2f} ms CPU a frame), {full} full redraws, "
          f"the rest marquee only; RSS {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
