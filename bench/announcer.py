"""Benchmark of the announcer: from a call reaching it to the start of its sound, with the
sentences not yet cached (the first of them the first call of a fresh start) and cached, through
pygame.mixer (SDL's dummy audio driver here); and how many were spoken whole at the first try.

    python bench/announcer.py [--calls 5]

Budget (docs/design.md): an announcement starts within 300 ms of the call when its phrase is cached,
1 s when not.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from hallcall.display.announcer import Announcer  # noqa: E402


def call(seq: int, number: str, window: str) -> dict:
    return {"seq": seq, "type": "ticket.called", "ticket": {"number": number},
            "window": {"id": window, "name": {"zh": f"{window}号窗口", "en": f"Window {window}"}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5)  # each plays ~8 s
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        announcer = Announcer(Path(tmp) / "cache")
        try:
            seq = 0
            for _round in ("uncached", "cached"):
                for i in range(args.calls):
                    seq += 1
                    # One at a time, so each start is measured from an idle announcer.
                    announcer.announce_event(call(seq, f"A{i + 1:03d}", str(i % 44 + 1)))
                    announcer.wait_idle(60)
            spoken = announcer.spoken
            uncached = [s.started_after_s * 1000 for s in spoken[:args.calls]]
            cached = [s.started_after_s * 1000 for s in spoken[args.calls:]]
            assert not any(s.cached for s in spoken[:args.calls])
            assert all(s.cached for s in spoken[args.calls:])
            whole = sum(s.words for s in spoken)
            retried = sum(s.tries > 1 for s in spoken)
            print(f"hallcall announcer benchmark: {args.calls} calls each way, zh + en, espeak-ng, "
                  f"pygame.mixer ({os.environ['SDL_AUDIODRIVER']} audio driver)")
            print(f"  call -> sound starts, not cached: p50 {statistics.median(uncached):.0f} ms, "
                  f"max {max(uncached):.0f} ms (budget 1000 ms)")
            print(f"  call -> sound starts, cached:     p50 {statistics.median(cached):.0f} ms, "
                  f"max {max(cached):.0f} ms (budget 300 ms)")
            print(f"  first call of a fresh start:      {uncached[0]:.0f} ms")
            print(f"  spoken whole: {whole} of {len(spoken)} ({retried} needed a second try, "
                  f"{len(spoken) - whole} the chime alone)")
            print(f"  announcement length: {statistics.median(s.seconds for s in spoken):.1f} s")
        finally:
            announcer.close()


if __name__ == "__main__":
    main()
