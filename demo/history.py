"""`hallcall demo --history DAYS`: the demo hall's database starts with past hall days.

The days are `hallcall simulate`'s (server/simulate.py): written through the hub's use cases
before the hub process starts, so /admin/reports and `hallcall export` have a history to show.
"""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

# Measured: the simulation writes ~115 tickets a second on a 2-core machine (every ticket is
# several of the hub's transactions), so 30 days of 150 (4,500 tickets) take ~40 s, which a
# visitor waits through once. 150 a day still fills every chart: ~20 an hour at the peaks.
PER_DAY = 150


class HistoryRefused(RuntimeError):
    pass


def days_held(path: Path) -> list[str]:
    """The hall days a database file already holds tickets of (none for a new or empty file)."""
    if not path.is_file() or path.stat().st_size == 0:
        return []
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        return [d for (d,) in conn.execute("SELECT DISTINCT day FROM tickets ORDER BY day")]
    except sqlite3.OperationalError:  # no tickets table: not a hall's database yet
        return []
    finally:
        conn.close()


def check(path: Path) -> None:
    """Refuse a database that already has hall days: the history would mix with them."""
    held = days_held(path)
    if held:
        span = held[0] if len(held) == 1 else f"{held[0]} to {held[-1]}"
        raise HistoryRefused(
            f"--history needs a new database, and {path} already holds {len(held)} hall "
            f"day(s) ({span}); give another --db (or --out), or start without --history")


def write(path: Path, days: int, per_day: int = PER_DAY, out=sys.stdout) -> None:
    """Simulate `days` hall days before today into the file, one line of progress a day (one
    line rewritten in place on a terminal)."""
    from hallcall.server.config import load_config
    from hallcall.server.simulate import Refused, simulate

    check(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tty = out.isatty()
    done = []

    def progress(line: str) -> None:
        done.append(line)
        text = f"hallcall demo: history day {len(done)}/{days}, {line}"
        out.write(f"\r{text}\033[K" if tty else text + "\n")
        out.flush()

    out.write(f"hallcall demo: simulating {days} past hall days of {per_day} tickets into {path}\n")
    out.flush()
    try:
        result = simulate(load_config(), str(path), days, per_day, progress=progress)
    except Refused as exc:
        raise HistoryRefused(str(exc)) from None
    if tty:
        out.write("\n")
    out.write(f"hallcall demo: history of {result.tickets} tickets, {result.days[0]} to "
              f"{result.days[-1]}, in {result.seconds:.0f} s\n")
    out.flush()
