"""Benchmark of the reports over a month of a busy hall: each report's time and the hub's memory.

    python bench/reports.py [--db /tmp/hallcall-bench-month.db] [--days 30] [--per-day 3000]
                            [--seed 0] [--copy-from FILE] [--runs 3]

The history is `hallcall simulate`'s (--days hall days of --per-day tickets, ending yesterday),
kept in the --db file: a file that already holds such a history (that many consecutive hall
days of that many tickets each, all closed) is reused, so only the first run simulates (~12 min
for 30 x 3,000 here). --copy-from takes the history from another database holding it (copied
with SQLite's backup, so a file another process still writes is not taken half-made). A --db
holding anything else is refused, except the default cache file, which is made again.

Then the real hub (`python -m hallcall serve`, as bench/hub.py starts it) serves the file, and
over the whole history each `GET /api/reports?by=…&format=…` (every by and format, each run
after a ticket issued today, so that the hub makes the report again instead of answering from
the reports it keeps until the next event),
/api/reports/unsatisfied and /api/tickets/export are timed to their last byte, --runs times
each (best and median, and the median of the hub's own Server-Timing), with the hub's RSS
(VmRSS of /proc/<pid>/status) before, after each and at the end, and its peak (VmHWM). A
route that answers 404 is "not available" (not built yet).
Figures only: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import http.client
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from benchlib import HubProcess, process_memory

DEFAULT_DB = "/tmp/hallcall-bench-month.db"
BY = ("service", "department", "window", "staff", "hour", "day")
FORMATS = ("json", "csv", "xlsx")
TOKEN = "demo-admin"  # the demo hall's admin device: reports and the export
# The targets, printed beside the figures (the month report by service and by hour
# under 1 s; docs/design.md: the hub's RSS under 60 MB).
TARGET_S = {"service": 1.0, "hour": 1.0}
RSS_BUDGET_MB = 60.0

T0 = time.monotonic()


def progress(what: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f} s] {what}", file=sys.stderr, flush=True)


# -- the history ------------------------------------------------------------------------------


def history_of(path: Path) -> tuple[list[str], list[int], int] | None:
    """(its hall days, tickets on each, tickets still open) of a hallcall database; None when
    the file is missing or holds no tickets table."""
    if not path.is_file():
        return None
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT day, count(*) FROM tickets GROUP BY day ORDER BY day").fetchall()
        open_ = conn.execute("SELECT count(*) FROM tickets WHERE status IN "
                             "('waiting', 'called', 'serving')").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return [d for d, _ in rows], [n for _, n in rows], open_


def holds(path: Path, days: int, per_day: int) -> bool:
    """Whether the file holds a finished history of that size: `days` consecutive hall days of
    `per_day` tickets, nothing left open (the last day closed by the roll-over)."""
    found = history_of(path)
    if found is None:
        return False
    held, counts, open_ = found
    if len(held) != days or any(n != per_day for n in counts) or open_:
        return False
    first = date.fromisoformat(held[0])
    return held == [(first + timedelta(days=i)).isoformat() for i in range(days)]


def copy_history(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy of the source, its WAL included."""
    partial = target.with_name(target.name + ".copying")
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def ensure_history(args) -> Path:
    db = Path(args.db).resolve()
    if holds(db, args.days, args.per_day):
        progress(f"reusing the history in {db}")
        return db
    if history_of(db) is not None or (db.is_file() and db.stat().st_size):
        if str(db) != str(Path(DEFAULT_DB).resolve()):
            sys.exit(f"bench: {db} holds something other than {args.days} closed hall days of "
                     f"{args.per_day} tickets; give another --db (a new file is simulated into)")
        progress(f"the cache {db} holds another history: making it again")
        remove_db(db)
    if args.copy_from and holds(Path(args.copy_from), args.days, args.per_day):
        progress(f"copying the history from {args.copy_from}")
        db.parent.mkdir(parents=True, exist_ok=True)
        copy_history(Path(args.copy_from), db)
        return db
    if args.copy_from:
        progress(f"{args.copy_from} does not hold that history (yet): simulating")
    from hallcall.server.config import load_config
    from hallcall.server.simulate import simulate

    progress(f"simulating {args.days} days x {args.per_day} tickets into {db} "
             "(hallcall simulate; about 24 s a 3,000-ticket day here)")
    result = simulate(load_config(), str(db), args.days, args.per_day, seed=args.seed,
                      progress=progress)
    progress(f"simulated {result.tickets} tickets in {result.seconds:.0f} s")
    return db


# -- the requests -----------------------------------------------------------------------------


class Timed:
    def __init__(self, status: int, seconds: list[float], size: int, app_s: float | None,
                 error: str = ""):
        self.status, self.seconds, self.size, self.app_s, self.error = (
            status, seconds, size, app_s, error)


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, float, dict]:
    """One GET read to its last byte: (status, body, seconds, headers)."""
    began = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    body = response.read()
    return response.status, body, time.perf_counter() - began, dict(response.getheaders())


def server_app_s(headers: dict) -> float | None:
    """The hub's own time for the request (its Server-Timing `app`), if it says."""
    for key, value in headers.items():
        if key.lower() == "server-timing":
            for metric in value.split(","):
                name, _, params = metric.strip().partition(";")
                if name == "app" and params.strip().startswith("dur="):
                    return float(params.strip()[4:]) / 1000
    return None


def touch(conn: http.client.HTTPConnection) -> None:
    """Issue one ticket today (outside the month): the hub keeps a report until the next event,
    so the report asked for after this is made again from SQL, not answered from its cache."""
    conn.request("POST", "/api/tickets", body=b'{"service": "company-name"}',
                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 201:
        sys.exit(f"could not issue a ticket to refresh the reports: HTTP {response.status}")


def timed(conn, path: str, runs: int, fresh: bool = False) -> Timed:
    """`runs` GETs of `path`; `fresh`: each after an event, so each report is made anew."""
    seconds, size, apps = [], 0, []
    for _ in range(runs):
        if fresh:
            touch(conn)
        status, body, took, headers = get(conn, path)
        if status != 200:
            error = body[:200].decode("utf-8", "replace").replace("\n", " ")
            return Timed(status, seconds, len(body), None, error)
        seconds.append(took)
        size, app = len(body), server_app_s(headers)
        if app is not None:
            apps.append(app)
    return Timed(200, seconds, size, statistics.median(apps) if apps else None)


def row_count(conn, path: str) -> int | None:
    status, body, _, _ = get(conn, path)
    if status != 200:
        return None
    import json

    return len(json.loads(body)["rows"])


def mb(hub: HubProcess) -> float:
    return process_memory(hub.pid)["VmRSS"]


def line(what: str, t: Timed, rss: float, target: float | None = None) -> str:
    if t.status == 404:
        return f"{what:40s} not available (404)"
    if t.status != 200:
        return f"{what:40s} HTTP {t.status}: {t.error}"
    best, median = min(t.seconds), statistics.median(t.seconds)
    # The hub's Server-Timing: a streamed body (the export) is timed to its first byte there.
    app = f", in the hub {t.app_s * 1000:7.1f} ms" if t.app_s is not None else ""
    aim = f"  (target < {target:.0f} s)" if target else ""
    return (f"{what:40s} best {best * 1000:8.1f} ms, median {median * 1000:8.1f} ms{app}, "
            f"{t.size / 1024:8.1f} KB; RSS after {rss:5.1f} MB{aim}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default=DEFAULT_DB, help=f"the history's file (default {DEFAULT_DB})")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--per-day", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0, help="for a new history (default 0)")
    p.add_argument("--copy-from", metavar="FILE",
                   help="a database holding that history already, to copy instead of simulating")
    p.add_argument("--runs", type=int, default=3, help="requests of each report (default 3)")
    args = p.parse_args()

    db = ensure_history(args)
    held, counts, _ = history_of(db)
    first, last = held[0], held[-1]
    tickets = sum(counts)
    print(f"history: {len(held)} hall days {first} to {last}, {tickets} tickets, "
          f"{db.stat().st_size / 2**20:.0f} MB database file")

    log = Path(tempfile.mkdtemp(prefix="hallcall-bench-reports-")) / "hub.log"
    hub = HubProcess(str(db), log=str(log))
    try:
        hub.start(timeout=60)
    except RuntimeError as exc:
        sys.exit(str(exc))
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=600)
    try:
        time.sleep(1.0)  # let the hub's start-up settle (its first checkpoint, the roll-over)
        print(f"hub pid {hub.pid}: RSS before {mb(hub):.1f} MB")
        rng = {"from": first, "to": last}
        for by in BY:
            rows = row_count(conn, "/api/reports?" + urlencode({**rng, "by": by}))
            for fmt in FORMATS:
                path = "/api/reports?" + urlencode({**rng, "by": by, "format": fmt})
                t = timed(conn, path, args.runs, fresh=True)
                extra = f" {rows} rows" if rows is not None and fmt == "json" else ""
                print(line(f"reports by={by} format={fmt}{extra}", t, mb(hub),
                           TARGET_S.get(by) if fmt == "json" else None), flush=True)
                if t.status == 404:
                    break  # the route is not there: its other formats neither
        t = timed(conn, "/api/reports/unsatisfied?" + urlencode(rng), args.runs)
        print(line("reports/unsatisfied", t, mb(hub)), flush=True)
        # What the report page's second look costs: the same period with nothing new since.
        t = timed(conn, "/api/reports?" + urlencode({**rng, "by": "service"}), args.runs)
        print(line("reports by=service again (kept)", t, mb(hub)), flush=True)
        t = timed(conn, "/api/tickets/export?" + urlencode(rng), args.runs)
        rows = f" ({tickets} tickets)" if t.status == 200 else ""
        print(line(f"tickets/export{rows}", t, mb(hub)), flush=True)
        memory = process_memory(hub.pid)
        print(f"hub RSS at the end {memory['VmRSS']:.1f} MB, peak (VmHWM) {memory['VmHWM']:.1f} MB "
              f"(budget {RSS_BUDGET_MB:.0f} MB)")
    finally:
        conn.close()
        hub.stop()
    shutil.rmtree(log.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
