"""One `hallcall demo --headless` for the whole session: the demo hall started with two small
past hall days (`--history 2 --history-per-day 15`), then played through. The whole-hall tests
(tests/hall) read what the live part left, the history tests (tests/demo) what the history
added; a second run would show both the same (and costs ~20 s of every CI run)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HISTORY_DAYS, PER_DAY = 2, 15
_RUN: list = []  # (its folder, the finished run), once made


def hallcall(*args: str, out: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """`python -m hallcall ARGS` headless (SDL's dummy screen and sound), its cache in `out`."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
           "PYTHONUNBUFFERED": "1", "XDG_CACHE_HOME": str(out / "cache")}
    return subprocess.run([sys.executable, "-m", "hallcall", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def headless_demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The session's demo run: (its folder, the run); fails the asking test if it failed."""
    if not _RUN:
        out = tmp_path_factory.mktemp("demo")
        run = hallcall("demo", "--headless", "--out", str(out), "--history", str(HISTORY_DAYS),
                       "--history-per-day", str(PER_DAY), out=out)
        _RUN.append((out, run))
    out, run = _RUN[0]
    logs = "\n".join(f"--- {p.name}\n{p.read_text('utf-8', 'replace')[-3000:]}"
                     for p in sorted((out / "logs").glob("*.log")))
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-3000:]}\n{logs}"
    return out, run
