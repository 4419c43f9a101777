"""Benchmark of the city's central server: 20 halls forwarding a busy day each, and the city
report over a month of 20 halls.

    python bench/central.py [--db URL] [--halls 20] [--per-day 3000] [--batch 500]
                            [--live-s 20] [--live-speed 10] [--days 30] [--runs 3]
                            [--month-db URL] [--skip-live] [--skip-month]

The day: one busy hall day of the demo hall (`hallcall simulate`, --per-day tickets: morning
and afternoon peaks, no-shows, transfers, ratings), simulated once and kept in
/tmp/hallcall-bench-central-day.db; its events in the wire form, each ticket with its staff and
rating as the hall's forwarder sends them (server/forwarding.py). Every hall forwards that day
under its own hall id.

1. Catch-up: a real `hallcall central` process (--db, a new SQLite file by default; an empty
   PostgreSQL database with `--db postgresql+psycopg://…`) and --halls threads, each a hall
   posting its whole day at once in batches of --batch, as a hall whose link comes back after
   the day. Printed: the central's ingest rate (events/s) and each post's time.
2. Live: --halls more halls whose events become available as the day happened, --live-speed
   times faster than real (10: ten times a busy hall's peak), each polled every second as the
   forwarder does (interval_s = 1.0); for --live-s seconds. Printed: the lag from an event
   being available in its hall to the central holding it (p50 / p99 / max), and the largest
   lag_s of GET /api/central/halls while it ran.
3. The month: --halls halls x --days days x the day's tickets (20 x 30 x 3,000 = 1.8 M), built
   directly into a central's tables with bulk inserts (the simulated day's tickets moved to
   each day and hall) and kept in --month-db (/tmp/hallcall-bench-central-month.db) for the
   next run; then GET /api/central/reports?hall=all over the month by hall, service and day
   (and by service for one hall), --runs times each through a real central: best and median.
Figures only: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from benchlib import HUB_MAIN, REPO, free_port, percentiles

from hallcall.hallclient import HubClient, HubError

DAY_DB = "/tmp/hallcall-bench-central-day.db"
DEFAULT_DB = "/tmp/hallcall-bench-central.db"
MONTH_DB = "/tmp/hallcall-bench-central-month.db"
US_PER_DAY = 86_400 * 1_000_000
T0 = time.monotonic()


def progress(what: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f} s] {what}", file=sys.stderr, flush=True)


def sqlite_path(url: str) -> Path | None:
    if url.startswith("postgresql"):
        return None
    return Path(url.removeprefix("sqlite:///"))


# -- the day ----------------------------------------------------------------------------------


def busy_day(per_day: int):
    """(the demo hall's config, its day's events as forwarded, its tickets' rows), the day
    simulated once into DAY_DB."""
    from sqlalchemy import select

    from hallcall.server.config import load_config
    from hallcall.server.simulate import simulate
    from hallcall.server.store import Store
    from hallcall.server.store.schema import tickets
    from hallcall.server.web.serialize import event_json

    config = load_config()
    path = Path(f"{DAY_DB}.{per_day}")
    if not path.is_file():
        progress(f"simulating one busy day of {per_day} tickets into {path} (once; kept)")
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        simulate(config, f"sqlite:///{partial}", days=1, per_day=per_day, seed=0)
        partial.rename(path)
    store = Store.open_existing(f"sqlite:///{path}", event_json, read_only=True)
    try:
        with store.read(config) as tx:
            events = [json.loads(e.data) for e in tx.events_after(0, 1_000_000)]
            held = tx.staff_and_ratings(e["ticket"]["id"] for e in events if e.get("ticket"))
            rows = [dict(r._mapping) for r in tx.conn.execute(select(tickets))]
    finally:
        store.close()
    for e in events:
        if e.get("ticket"):
            e["ticket"]["staff"], e["ticket"]["rating"] = held[e["ticket"]["id"]]
    return config, events, rows


# -- the central as a process -----------------------------------------------------------------


class CentralProcess:
    def __init__(self, db: str, log: str):
        self.db, self.log, self.port, self.proc = db, log, free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CentralProcess:
        cmd = [sys.executable, "-c", HUB_MAIN, "central", "--db", self.db, "--host", "127.0.0.1",
               "--port", str(self.port), "--threads", "32"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        probe = HubClient(self.url)
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    probe.health()
                    return self
                except HubError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        sys.exit(f"the central did not start; see {self.log}")
                    time.sleep(0.05)
        finally:
            probe.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)
        self.proc = None


class Hall:
    """One hall's link to the central: posts as the forwarder does, timing each post."""

    def __init__(self, url: str, hall_id: str, info: dict):
        self.id, self.info = hall_id, info
        self.client = HubClient(url, f"bench-token-of-{hall_id}", timeout=60)
        self.post_s: list[float] = []

    def post(self, events: list, pending: int | None, info: dict | None = None) -> int:
        body = {"hall": self.id, "events": events}
        if pending is not None:
            body["pending"] = pending
        if info is not None:
            body["info"] = info
        began = time.perf_counter()
        # repeatable: a batch sent again is kept once
        answer = self.client.request("POST", "/api/central/events", body, repeatable=True)[1]
        self.post_s.append(time.perf_counter() - began)
        return answer["last_seq"]


def in_threads(work, items) -> None:
    """work(item) for every item at once, a thread each; the first failure ends the run."""
    errors = []

    def run(item):
        try:
            work(item)
        except Exception as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"a hall failed: {errors[0]}")


def catch_up(url: str, halls: int, batch: int, events: list, info: dict) -> None:
    links = [Hall(url, f"hall-{n:02d}", info) for n in range(1, halls + 1)]

    def forward(link: Hall) -> None:
        last = link.post([], None, link.info)
        while last < len(events):
            chunk = events[last:last + batch]
            last = link.post(chunk, len(events) - chunk[-1]["seq"])

    began = time.perf_counter()
    in_threads(forward, links)
    took = time.perf_counter() - began
    total = halls * len(events)
    print(f"catch-up: {halls} halls x {len(events)} events = {total} events in {took:.1f} s: "
          f"{total / took:,.0f} events/s; each post of {batch}: "
          f"{percentiles([s for link in links for s in link.post_s])}")


def live(url: str, halls: int, speed: float, seconds: float, events: list, info: dict) -> None:
    """Each event available at its own time in the day, `speed` times faster, from the
    day's busiest stretch on."""
    times = [datetime.fromisoformat(e["at"]).timestamp() for e in events]
    # Start at the busiest hour of the day: the figures are the peak's.
    per_hour: dict[int, int] = {}
    for t in times:
        per_hour[int(t // 3600)] = per_hour.get(int(t // 3600), 0) + 1
    busiest = max(per_hour, key=per_hour.get)
    start = next(i for i, t in enumerate(times) if int(t // 3600) == busiest)
    peak_per_s = per_hour[busiest] / 3600
    links = [Hall(url, f"live-{n:02d}", info) for n in range(1, halls + 1)]
    lags: list[float] = []
    lag_s_seen: list[float] = []

    def before_the_peak(link: Hall) -> None:  # forwarded before the run: sent untimed first
        last = link.post([], None, link.info)
        while last < start:
            chunk = events[last:min(start, last + 500)]
            last = link.post(chunk, start - chunk[-1]["seq"])

    in_threads(before_the_peak, links)
    began = time.monotonic()
    stop = began + seconds

    def available_at(i: int) -> float:  # the monotonic time event i is in its hall's database
        return began + (times[i] - times[start]) / speed

    def forward(link: Hall) -> None:
        last = start
        while time.monotonic() < stop:
            now = time.monotonic()
            ready = last
            while ready < len(events) and available_at(ready) <= now:
                ready += 1
            # A heartbeat when nothing is new, as the forwarder's round every interval_s.
            chunk, sent_from = events[last:min(ready, last + 500)], last
            last = link.post(chunk, ready - sent_from - len(chunk))
            held = time.monotonic()
            lags.extend(held - available_at(i) for i in range(sent_from, last))
            time.sleep(max(0.0, 1.0 - (time.monotonic() - now)))

    def watch() -> None:
        probe = HubClient(url, timeout=30)
        while time.monotonic() < stop:
            time.sleep(1.0)
            halls_now = probe.request("GET", "/api/central/halls")[1]["halls"]
            lag_s_seen.extend(h["lag_s"] or 0.0 for h in halls_now if h["id"].startswith("live-"))
        probe.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    in_threads(forward, links)
    watcher.join()
    rate = len(lags) / seconds
    print(f"live: {halls} halls at {speed:g}x the busiest hour's {peak_per_s * 3600:.0f} events "
          f"({peak_per_s * speed:.1f} events/s a hall, {rate:,.0f} events/s into the central) for "
          f"{seconds:g} s, polled every 1 s: lag from available to held {percentiles(lags)}; "
          f"largest lag_s in /api/central/halls {max(lag_s_seen, default=0):.1f} s")


# -- the month --------------------------------------------------------------------------------


def month(url: str, halls: int, days: int, rows: list[dict], info: dict) -> tuple[str, str]:
    """The month in the central's tables at `url` (reused when it holds exactly it); its first
    and last day."""
    from sqlalchemy import func, insert, select

    from hallcall.server.central.schema import halls as H
    from hallcall.server.central.schema import tickets as T
    from hallcall.server.central.store import CentralStore

    base = date.fromisoformat(rows[0]["day"])
    last = base
    first = base - timedelta(days=days - 1)
    want = halls * days * len(rows)
    path = sqlite_path(url)
    if path is not None and str(path) == MONTH_DB and path.is_file() and not _holds(url, want, halls):
        progress(f"{path} holds another month: made again")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = CentralStore(url)
    try:
        store.upgrade()
        with store.reading() as conn:
            have = conn.execute(select(func.count()).select_from(T)).scalar()
            hall_count = conn.execute(select(func.count()).select_from(H)).scalar()
        if have == want and hall_count == halls:
            progress(f"the month is in {url} already ({have:,} tickets)")
            return first.isoformat(), last.isoformat()
        if have or hall_count:
            sys.exit(f"{url} holds another history ({have:,} tickets of {hall_count} halls); "
                     "remove it or give another --month-db")
        progress(f"building {halls} halls x {days} days x {len(rows)} tickets = {want:,} tickets "
                 f"into {url} (once; kept)")
        columns = [c.name for c in T.columns if c.name not in ("hall", "seq")]
        times = ("issued_at", "called_at", "first_called_at", "started_at", "finished_at")
        began = time.perf_counter()
        with store.writing() as conn:
            conn.execute(insert(H), [{
                "id": f"hall-{n:02d}", "token_sha256": "0" * 64, "last_seq": 0,
                "registered_at": 0, "name": json.dumps({"zh": f"第{n}大厅", "en": f"Hall {n}"},
                                                       ensure_ascii=False),
                "info": json.dumps(info, ensure_ascii=False)} for n in range(1, halls + 1)])
        for d in range(days):
            day = first + timedelta(days=d)
            shift = (day - base).days * US_PER_DAY
            chunk = []
            for n in range(1, halls + 1):
                for r in rows:
                    moved = {c: r.get(c) for c in columns}
                    # ids are unique per hall: the day's number makes each copy its own
                    moved.update(hall=f"hall-{n:02d}", day=day.isoformat(), seq=0,
                                 id=f"{r['id'][:27]}-{d:04d}")
                    for c in times:
                        if moved[c] is not None:
                            moved[c] += shift
                    chunk.append(moved)
            with store.writing() as conn:
                conn.execute(insert(T), chunk)
            progress(f"  day {d + 1}/{days}: {(d + 1) * len(chunk):,} tickets, "
                     f"{(d + 1) * len(chunk) / (time.perf_counter() - began):,.0f} rows/s")
        if store.sqlite:
            with store.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        store.close()
    return first.isoformat(), last.isoformat()


def _holds(url: str, tickets: int, halls: int) -> bool:
    from sqlalchemy import func, select

    from hallcall.server.central.schema import halls as H
    from hallcall.server.central.schema import tickets as T
    from hallcall.server.central.store import CentralStore

    store = CentralStore(url)
    try:
        with store.reading() as conn:
            return (conn.execute(select(func.count()).select_from(T)).scalar() == tickets and
                    conn.execute(select(func.count()).select_from(H)).scalar() == halls)
    except Exception:  # noqa: BLE001 - no central schema in it: not the month
        return False
    finally:
        store.close()


def time_reports(url: str, first: str, last: str, runs: int) -> None:
    client = HubClient(url, timeout=600)
    try:
        for query in ("hall=all&by=hall", "hall=all&by=service", "hall=all&by=day",
                      "hall=hall-01&by=service"):
            took = []
            for _ in range(runs):
                began = time.perf_counter()
                path = f"/api/central/reports?from={first}&to={last}&{query}"
                body = client.request("GET", path)[1]
                took.append(time.perf_counter() - began)
            print(f"month report {query}: {body['total']['issued']:,} tickets, best "
                  f"{min(took):.2f} s, median {statistics.median(took):.2f} s ({runs} runs)")
    finally:
        client.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=f"sqlite:///{DEFAULT_DB}",
                    help="the central's database for the catch-up and live runs (a new SQLite "
                         "file by default; an empty PostgreSQL database)")
    ap.add_argument("--halls", type=int, default=20)
    ap.add_argument("--per-day", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--live-s", type=float, default=20.0)
    ap.add_argument("--live-speed", type=float, default=10.0)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--month-db", default=f"sqlite:///{MONTH_DB}")
    ap.add_argument("--skip-ingest", action="store_true", help="neither the catch-up nor the live run")
    ap.add_argument("--skip-live", action="store_true")
    ap.add_argument("--skip-month", action="store_true")
    args = ap.parse_args()

    from hallcall.server.forwarding import hall_info

    config, events, rows = busy_day(args.per_day)
    info = hall_info(config)
    progress(f"the day: {len(events):,} events, {len(rows):,} tickets")
    log = "/tmp/hallcall-bench-central.log"
    if not args.skip_ingest:
        path = sqlite_path(args.db)
        if path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        central = CentralProcess(args.db, log).start()
        try:
            catch_up(central.url, args.halls, args.batch, events, info)
            if not args.skip_live:
                live(central.url, args.halls, args.live_speed, args.live_s, events, info)
        finally:
            central.stop()
    if args.skip_month:
        return
    first, last = month(args.month_db, args.halls, args.days, rows, info)
    central = CentralProcess(args.month_db, log).start()
    try:
        time_reports(central.url, first, last, args.runs)
    finally:
        central.stop()


if __name__ == "__main__":
    main()
