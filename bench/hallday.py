"""Soak benchmark: a busy hall day compressed into a few minutes, with the faults a day meets.

    python bench/hallday.py [--minutes 10] [--displays 100] [--droppers 25] [--keep DIR]

The real hub (`hallcall serve`, cheroot, SQLite file) on loopback, run with a copy of the demo hall
whose `day_starts_at` is a minute boundary near the middle of the run, so the hall day rolls over
live. Against it, for the whole run:
- 5 kiosks issue on an arrival curve with a morning and an afternoon peak; a request the hub does
  not answer is retried with the same Idempotency-Key until it is;
- 44 windows work at a (compressed) clerk's pace: call-next, the citizen walks over, start,
  serve, finish (often rated), and now and then a no-show (sometimes back in line), a recall or a
  transfer to another service;
- 100 event-stream displays (in a few worker processes) follow the hall; some drop their link
  every few seconds and resume with Last-Event-ID;
- the hub is killed -9 twice (at a third and two thirds of the day) and started again on the
  same database file and port.

At the end the database is read directly and the run is judged: tickets lost (acknowledged but
absent), duplicated (two tickets for one Idempotency-Key, or one number twice in a hall day),
called twice (a ticket called while it was still at a window); every display must hold exactly
the events table, in order. Latencies (issue round trip; call-next sent to the ticket.called
event read by the slowest steady display) are given for the three phases the kills delimit, and
the hub's RSS and open descriptors at the start and the end.

Times are CLOCK_MONOTONIC, one clock for every process on Linux. The run stops by itself; its hub
and display processes die with it, however it ends.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import multiprocessing as mp
import random
import re
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchlib import (  # puts the repo on sys.path
    HubProcess,
    die_with_parent,
    open_for_work,
    pct,
    process_memory,
)

from hallcall.hallclient import EventStream, HubClient, HubError  # noqa: E402

KIOSK, BUTTONS = "demo-kiosk", "demo-buttons"
PHASES = ("before", "between", "after")
SETUP_S = 15.0  # hub start, windows opened, displays connected (an estimate, for the roll-over)
WRAP_UP_S = 35.0  # retries answered, displays caught up, a heartbeat, hub stopped, database read
SERVE_MEAN_S = 5.0  # a clerk's service time, compressed like the day
HALL_TZ = "Asia/Shanghai"  # the demo hall's


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


T0 = now()


def progress(what: str) -> None:
    print(f"[{now() - T0:6.1f} s] {what}", file=sys.stderr, flush=True)


def arrival_rate(f: float, peak: float) -> float:
    """Citizens per second hall-wide at fraction f of the day: a quiet opening, a morning peak,
    a lunch dip and a smaller afternoon peak."""
    shape = (0.3 + 1.0 * math.exp(-((f - 0.25) / 0.1) ** 2)
             + 0.75 * math.exp(-((f - 0.7) / 0.1) ** 2))
    return peak * shape / 1.3


# -- the displays: event-stream clients in worker processes -------------------------------------

def display_worker(url, first, count, droppers, after, final, caught, ready, stop, results, seed):
    """`count` displays in threads; displays first..first+droppers-1 drop their link every few
    seconds. Each checks its events come one seq after the other and keeps a digest of them; the
    steady ones note when they read each ticket.called. Sends back one summary when told to stop."""
    die_with_parent()
    summaries = []
    last_read = [after] * count  # the seq each display has read up to
    # (ticket id, window, called_at) -> [latest read, displays, the latest display, since when
    # that display's link had been open]
    called: dict[tuple, list] = {}
    lock = threading.Lock()

    def follow(i: int) -> None:
        dropper = i < droppers
        rng = random.Random(seed * 1000 + first + i)
        stream = EventStream(url, after=after, timeout=30, reconnect=False)
        digest = hashlib.sha256()
        expect, received, out_of_order, drops, broken = after + 1, 0, 0, 0, 0
        announced = False
        while not stop.is_set():
            drop_at = now() + rng.uniform(2, 6) if dropper and not final.value else math.inf
            dropped = linked = False
            try:
                stream.connect()  # with Last-Event-ID: the last seq read
                linked, linked_at = True, now()
                if not announced:
                    ready.put(first + i)
                    announced = True
                for event in stream.events(heartbeats=True):
                    if event is not None:
                        read_at = now()
                        if event.seq != expect:
                            out_of_order += 1
                        expect = event.seq + 1
                        received += 1
                        ticket = event.data.get("ticket") or {}
                        digest.update(f"{event.seq} {event.type} {ticket.get('id')}\n".encode())
                        if event.type == "ticket.called" and not dropper:
                            key = (ticket["id"], event.data["window"]["id"], ticket["called_at"])
                            with lock:
                                seen = called.setdefault(key, [read_at, 0, first + i, linked_at])
                                if read_at > seen[0]:
                                    seen[0], seen[2], seen[3] = read_at, first + i, linked_at
                                seen[1] += 1
                    last_read[i] = expect - 1
                    if stop.is_set():
                        break
                    if now() >= drop_at:
                        drops += 1
                        dropped = True
                        break
            except (OSError, ConnectionError, http.client.HTTPException, ValueError):
                broken += linked  # the hub went away (killed, or the end of the run)
            stream.close()
            if not stop.is_set():
                time.sleep(rng.uniform(0.2, 1.5) if dropped else 0.2)
        summaries.append({"display": first + i, "dropper": dropper, "received": received,
                          "last": expect - 1, "out_of_order": out_of_order,
                          "digest": digest.hexdigest(), "drops": drops, "broken": broken})

    threads = [threading.Thread(target=follow, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    counted = 0
    while not stop.wait(0.1):
        if final.value:  # the day is over: tell how many of these displays have read it all
            done = sum(seq >= final.value for seq in last_read)
            if done > counted:
                with caught.get_lock():
                    caught.value += done - counted
                counted = done
    for t in threads:
        t.join(20)
    results.put({"displays": summaries, "called": {k: tuple(v) for k, v in called.items()},
                 "hung": sum(t.is_alive() for t in threads)})


# -- the hall: kiosks and windows ---------------------------------------------------------------

class Hall:
    def __init__(self, url: str, windows: dict[str, list[str]], args, load_start: float,
                 load_s: float):
        self.url, self.windows, self.args = url, windows, args
        self.load_start, self.load_end = load_start, load_start + load_s
        self.retry_until = self.load_end + 10
        self.served = sorted({s for services in windows.values() for s in services})
        self.lock = threading.Lock()
        self.issues: list[dict] = []  # every acknowledged ticket
        self.keys: dict[str, set[str]] = defaultdict(set)  # Idempotency-Key -> ticket ids
        self.unanswered_keys = 0  # given up at the end of the run (never answered)
        self.calls: list[dict] = []  # every call-next answered with a ticket
        self.refused: Counter = Counter()  # 4xx by "what: code"
        self.unreachable: Counter = Counter()  # requests the hub did not answer, by kind
        self.errors: list[str] = []

    def wait_until(self, t: float) -> bool:
        """Sleep until monotonic time t; False if the day is over first."""
        while (left := min(t, self.load_end) - now()) > 0:
            time.sleep(min(left, 0.5))
        return now() < self.load_end

    # A kiosk: citizens arrive by a Poisson process following the day's curve.
    def kiosk(self, k: int) -> None:
        client = HubClient(self.url, KIOSK, timeout=5)
        rng = random.Random(k)
        at = now()
        try:
            while True:
                f = (at - self.load_start) / (self.load_end - self.load_start)
                at += rng.expovariate(arrival_rate(max(f, 0.0), self.args.peak_rate) / self.args.kiosks)
                if not self.wait_until(at):
                    return
                # A citizen goes for what some window serves; busier services have more windows.
                service = rng.choice(self.windows[rng.choice(list(self.windows))])
                self.issue(client, service)
        finally:
            client.close()

    def issue(self, client: HubClient, service: str) -> None:
        key, first_try = uuid.uuid4().hex, now()
        while True:
            t0 = now()
            try:
                status, body = client.request("POST", "/api/tickets", {"service": service},
                                              {"Idempotency-Key": key})
            except HubError as exc:
                if exc.status == 0 or exc.status >= 500:
                    with self.lock:
                        self.unreachable["issue"] += 1
                    if now() > self.retry_until:
                        with self.lock:
                            self.unanswered_keys += 1
                        return
                    time.sleep(0.3)
                    continue  # the same key: a retry can never make a second ticket
                with self.lock:
                    self.refused[f"issue: {exc.code}"] += 1
                return
            ticket = body["ticket"]
            with self.lock:
                self.keys[key].add(ticket["id"])
                self.issues.append({"t0": t0, "rtt": now() - t0, "status": status,
                                    "waited": now() - first_try, "id": ticket["id"],
                                    "number": ticket["number"], "day": ticket.get("day")})
            return

    # A window: a clerk calls, the citizen walks over, is served, and the next one is called.
    def window(self, wid: str, seed: int) -> None:
        client = HubClient(self.url, BUTTONS, timeout=5)
        rng = random.Random(1000 + seed)
        try:
            if not self.wait_until(now() + rng.uniform(0, 3)):
                return
            while now() < self.load_end:
                t0 = now()
                answer = self.act(client, wid, "call-next")
                if answer is None:
                    continue
                ticket = answer["ticket"]
                if ticket is None:  # nobody waits: look again in a moment
                    self.wait_until(now() + rng.uniform(1, 2))
                    continue
                with self.lock:
                    self.calls.append({"t0": t0, "key": (ticket["id"], wid, ticket["called_at"])})
                if not self.wait_until(now() + rng.uniform(0.5, 2.0)):  # walking over
                    return
                x = rng.random()
                if x < 0.05:
                    self.act(client, wid, "no-show", {"requeue": rng.random() < 0.3})
                    continue
                if x < 0.10:
                    self.act(client, wid, "recall")
                    if not self.wait_until(now() + rng.uniform(0.5, 1.5)):
                        return
                self.act(client, wid, "start")
                serve = min(max(rng.expovariate(1 / SERVE_MEAN_S), 1.0), 4 * SERVE_MEAN_S)
                if not self.wait_until(now() + serve):
                    return
                if rng.random() < 0.04:
                    other = rng.choice([s for s in self.served if s != ticket["service"]])
                    self.act(client, wid, "transfer", {"service": other})
                    continue
                rating = rng.choice(["satisfied", "satisfied", "basic", "unsatisfied", None])
                self.act(client, wid, "finish", {"rating": rating} if rating else None)
        finally:
            client.close()

    def act(self, client: HubClient, wid: str, action: str, body: dict | None = None) -> dict | None:
        """One window action; pressed again while the hub does not answer. A refusal (409: e.g.
        the action had been done just before the hub died) is counted and the clerk goes on."""
        while True:
            try:
                return client.window(wid, action, body)
            except HubError as exc:
                if exc.status == 0 or exc.status >= 500:
                    with self.lock:
                        self.unreachable[action] += 1
                    if not self.wait_until(now() + 0.5):
                        return None
                    continue
                with self.lock:
                    if exc.status == 409:
                        self.refused[f"{action}: {exc.code}"] += 1
                    else:
                        self.errors.append(f"{action} at {wid}: {exc}")
                return None

    def run_threads(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.kiosk, args=(k,), daemon=True)
                   for k in range(self.args.kiosks)]
        threads += [threading.Thread(target=self.window, args=(w, i), daemon=True)
                    for i, w in enumerate(self.windows)]
        for t in threads:
            t.start()
        return threads


# -- the run ------------------------------------------------------------------------------------

def hall_config(path: Path, rollover_wall: datetime) -> str:
    """The demo hall with its day starting at `rollover_wall` (hall time, a minute boundary)."""
    from hallcall.server.config import demo_config_path

    text = Path(demo_config_path()).read_text("utf-8")
    hhmm = rollover_wall.astimezone(ZoneInfo(HALL_TZ)).strftime("%H:%M")
    text, n = re.subn(r'(?m)^day_starts_at = ".*"$', f'day_starts_at = "{hhmm}"', text)
    assert n == 1 and f'timezone = "{HALL_TZ}"' in text, "the demo hall's [hall] changed"
    path.write_text(text, "utf-8")
    return hhmm


def pick_rollover(load_s: float) -> datetime:
    """A wall-clock minute boundary near the middle of the load, not within 5 s of its ends (a
    load of 70 s or more always holds one)."""
    start = datetime.now(ZoneInfo(HALL_TZ)) + timedelta(seconds=SETUP_S)
    middle = start + timedelta(seconds=load_s / 2)
    first = (start + timedelta(seconds=5)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    candidates = [first + timedelta(minutes=m) for m in range(int(load_s // 60) + 2)]
    candidates = [c for c in candidates if c <= start + timedelta(seconds=load_s - 5)] or [first]
    return min(candidates, key=lambda c: abs((c - middle).total_seconds()))


def open_windows(url: str, count: int) -> dict[str, list[str]]:
    """Every window used opened; {window id: the services it serves}."""
    reader = HubClient(url)
    try:
        hall = reader.hall()
    finally:
        reader.close()
    open_for_work(url, hall["windows"][:count])
    return {w["id"]: w["services"] for w in hall["windows"][:count]}


def read_database(db: Path, after: int) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tickets = conn.execute("SELECT id, day, origin_service, seq_no, number, status "
                               "FROM tickets").fetchall()
        events = conn.execute("SELECT seq, type, data FROM events WHERE seq > ? ORDER BY seq",
                              (after,)).fetchall()
    finally:
        conn.close()
    digest = hashlib.sha256()
    status: dict[str, str] = {}  # ticket id -> status after its latest event
    called_twice, called_keys, resets, day_closed, at_windows = 0, set(), [], 0, set()
    for seq, kind, data in events:
        d = json.loads(data)
        ticket = d.get("ticket") or {}
        digest.update(f"{seq} {kind} {ticket.get('id')}\n".encode())
        if kind == "ticket.called":
            if status.get(ticket["id"]) != "waiting":  # still at a window (or never issued)
                called_twice += 1
            called_keys.add((ticket["id"], d["window"]["id"], ticket["called_at"]))
        if kind == "day.reset":
            resets.append(d)
            # Citizens at a window when the day turns: they must stay there until the clerk ends
            # the visit (issue 11), not be cancelled.
            at_windows |= {t for t, st in status.items() if st in ("called", "serving")}
        if kind == "ticket.cancelled" and d.get("reason") == "day_closed":
            day_closed += 1
        if ticket:
            status[ticket["id"]] = ticket["status"]
    numbers = Counter((day, origin, seq_no) for _, day, origin, seq_no, _, _ in tickets)
    return {"tickets": {t[0]: t for t in tickets}, "events": len(events),
            "last": events[-1][0] if events else after, "digest": digest.hexdigest(),
            "called_twice": called_twice, "called_keys": called_keys, "resets": resets,
            "day_closed": day_closed,
            "at_windows": Counter(status[t] for t in at_windows),
            "numbers_twice": sum(n - 1 for n in numbers.values() if n > 1),
            "days": Counter(t[1] for t in tickets)}


def ms_row(label: str, per_phase: dict[str, list[float]]) -> str:
    cells = []
    for phase in PHASES:
        v = per_phase.get(phase, [])
        cells.append(f"{pct(v, 50) * 1000:7.1f} {pct(v, 99) * 1000:7.1f} {len(v):6d}" if v
                     else f"{'-':>7} {'-':>7} {0:6d}")
    return f"  {label:<30}" + "   ".join(cells)


def hub_memory(hub: HubProcess) -> dict[str, float]:
    """process_memory of the hub; with --hub-workers, of the largest of its processes (the budget
    is each one's), with the descriptors of them all."""
    pids = hub.pids()
    each = [process_memory(pid) for pid in pids]
    largest = max(each, key=lambda m: m["VmRSS"])
    return {**largest, "fds": sum(m["fds"] for m in each)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="length of the whole run, at most 10 (default), at least 2")
    parser.add_argument("--displays", type=int, default=100)
    parser.add_argument("--droppers", type=int, default=25,
                        help="displays that drop their link every 2-6 s and resume")
    parser.add_argument("--kiosks", type=int, default=5)
    parser.add_argument("--windows", type=int, default=44)
    parser.add_argument("--peak-rate", type=float, default=7.0,
                        help="citizens per second hall-wide at the morning peak (about what 44 "
                             "windows at this pace serve)")
    parser.add_argument("--workers", type=int, default=4, help="processes holding the displays")
    parser.add_argument("--hub-workers", type=int, default=1, metavar="N",
                        help="run the hub as `serve --workers N` (on SQLite: N workers and the "
                             "writer process; each kill -9 takes them all, as a power cut)")
    parser.add_argument("--keep", metavar="DIR", help="keep the database, hall config and hub log here")
    args = parser.parse_args()
    if not 2 <= args.minutes <= 10:
        parser.error("--minutes must be between 2 and 10")
    if not 0 <= args.droppers <= args.displays:
        parser.error("--droppers must be between 0 and --displays")

    def interrupted(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}")  # the finally below cleans up

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    total_s = args.minutes * 60
    load_s = total_s - SETUP_S - WRAP_UP_S
    tmp = tempfile.TemporaryDirectory(prefix="hallcall-hallday-")
    folder = Path(args.keep) if args.keep else Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "hall.db"
    if db.exists():
        sys.exit(f"{db} exists: give --keep an empty folder")
    rollover_wall = pick_rollover(load_s)
    hhmm = hall_config(folder / "hall.toml", rollover_wall)
    hub = HubProcess(str(db), config=str(folder / "hall.toml"), log=str(folder / "hub.log"),
                     extra_args=["--workers", str(args.hub_workers)])
    ctx = mp.get_context("spawn")
    workers: list = []
    stop_displays = ctx.Event()
    samples: list[tuple[int, float, dict]] = []  # (hub life, time, memory)
    life = 0
    sampling = threading.Event()
    try:
        hub.start()
        progress(f"hub up, its files in {folder}; the hall day starts at {hhmm} {HALL_TZ}")
        windows = open_windows(hub.url, args.windows)
        reader = HubClient(hub.url)
        base = reader.hall()["last_event"]

        progress(f"connecting {args.displays} displays ({args.droppers} dropping and resuming)")
        final, caught = ctx.Value("q", 0), ctx.Value("i", 0)
        ready, results = ctx.Queue(), ctx.Queue()
        per = [args.displays // args.workers + (i < args.displays % args.workers)
               for i in range(args.workers)]
        first, droppers_left = 0, args.droppers
        for w, count in enumerate(filter(None, per)):
            mine = min(count, droppers_left)
            droppers_left -= mine
            p = ctx.Process(target=display_worker, daemon=True,
                            args=(hub.url, first, count, mine, base, final, caught, ready,
                                  stop_displays, results, w))
            p.start()
            workers.append(p)
            first += count
        for _ in range(args.displays):
            ready.get(timeout=60)
        time.sleep(1.0)
        memory = {"start": hub_memory(hub)}

        def sample() -> None:
            while not sampling.wait(2.0):
                try:
                    samples.append((life, now(), hub_memory(hub)))
                except (OSError, TypeError):  # between a kill and the restart
                    pass

        threading.Thread(target=sample, daemon=True).start()

        # Start the day so that the roll-over falls near its middle, within the time budgeted.
        rollover_mono = now() + (rollover_wall - datetime.now(ZoneInfo(HALL_TZ))).total_seconds()
        load_start = min(max(rollover_mono - load_s / 2, now()), T0 + SETUP_S)
        time.sleep(max(0.0, load_start - now()))
        kills_at = [load_start + load_s / 3, load_start + 2 * load_s / 3]
        rollover_in = rollover_mono - load_start
        lives_from = [load_start]
        progress(f"a hall day of {load_s / 60:.1f} min: kills at +{load_s / 3:.0f} s and "
                 f"+{2 * load_s / 3:.0f} s, roll-over in {rollover_in:.0f} s")
        hall = Hall(hub.url, windows, args, load_start, load_s)
        threads = hall.run_threads()

        kills = []
        for at in kills_at:
            time.sleep(max(0.0, at - now()))
            before = hub_memory(hub)
            t_kill = now()
            port = hub.port
            hub.kill()
            life += 1
            hub.start(port=port)
            kills.append({"at": t_kill - load_start, "down": now() - t_kill, "memory": before,
                          "from": t_kill, "to": now()})
            lives_from.append(now())
            progress(f"killed -9 and restarted in {now() - t_kill:.1f} s (RSS was "
                     f"{before['VmRSS']:.1f} MB, {before['fds']:.0f} fds)")

        time.sleep(max(0.0, hall.load_end - now()))
        progress("the day is over: answering the last retries")
        for t in threads:
            t.join(max(1.0, hall.retry_until + 5 - now()))
        if any(t.is_alive() for t in threads):
            hall.errors.append("kiosk or window threads still running at the end")
        sampling.set()

        final.value = reader.hall()["last_event"]
        reader.close()
        deadline = now() + 30
        while caught.value < args.displays and now() < deadline:
            time.sleep(0.1)
        progress(f"{caught.value}/{args.displays} displays caught up with event {final.value}")
        time.sleep(1.0)
        memory["end"] = hub_memory(hub)
        # Once more after a heartbeat (10 s): what the day's last requests left open has had time
        # to close, so what remains is what the hub keeps.
        time.sleep(11.0)
        memory["settled"] = hub_memory(hub)

        stop_displays.set()
        hub.stop()  # ends the streams still open
        collected = [results.get(timeout=60) for _ in workers]
        for p in workers:
            p.join(10)
        progress("reading the database")
        stored = read_database(db, base)
    finally:
        sampling.set()
        stop_displays.set()
        hub.kill()
        for p in workers:
            if p.is_alive():
                p.kill()
                p.join()
        if not args.keep:
            tmp.cleanup()

    # -- judging the day ---------------------------------------------------------------------
    def phase(t: float) -> str:
        return PHASES[sum(t >= load_start + k["at"] for k in kills)]

    acked = {i["id"] for i in hall.issues}
    lost = acked - set(stored["tickets"])
    two_for_a_key = sum(len(ids) - 1 for ids in hall.keys.values() if len(ids) > 1)
    unacknowledged = set(stored["tickets"]) - acked
    displays = [d for c in collected for d in c["displays"]]
    exact = [d for d in displays if d["digest"] == stored["digest"] and d["last"] == stored["last"]
             and d["out_of_order"] == 0]
    steady = args.displays - args.droppers
    merged: dict[tuple, list] = {}
    for c in collected:
        for key, (read_at, n, display, linked_at) in c["called"].items():
            m = merged.setdefault(key, [0.0, 0, None, None])
            if read_at > m[0]:
                m[0], m[2], m[3] = read_at, display, linked_at
            m[1] += n
    issue_rtt, call_all = defaultdict(list), defaultdict(list)
    slowest_issues = sorted(((i["rtt"], i["t0"] - load_start) for i in hall.issues), reverse=True)[:5]
    slowest_calls = []
    for i in hall.issues:
        issue_rtt[phase(i["t0"])].append(i["rtt"])
    short_calls = missing_calls = across_kill = 0
    for c in hall.calls:
        if c["key"] not in stored["called_keys"]:
            missing_calls += 1
        read = merged.get(c["key"])
        if read is None or read[1] != steady:
            short_calls += 1
            continue
        if any(c["t0"] <= k["to"] and read[0] >= k["from"] for k in kills):
            across_kill += 1  # its delivery waited for the restart: not the fan-out's speed
            continue
        call_all[phase(c["t0"])].append(read[0] - c["t0"])
        slowest_calls.append((read[0] - c["t0"], c["t0"] - load_start, read[2], read[3] - c["t0"]))

    retried = sum(1 for i in hall.issues if i["status"] == 200)
    print(f"hallcall hall day: {total_s / 60:.1f} min run ({load_s / 60:.1f} min of load), "
          f"{args.kiosks} kiosks, {len(windows)} windows, {args.displays} displays "
          f"({args.droppers} dropping every 2-6 s), hub killed -9 twice"
          + (f", the hub as {args.hub_workers} workers and its writer process"
             if args.hub_workers > 1 else ""))
    print(f"  tickets issued: {len(acked)} ({retried} answered 200 to a retry with the same "
          f"Idempotency-Key; {hall.unreachable['issue']} unanswered tries)"
          f"; refused: {dict(hall.refused) or 'none'}")
    print(f"  called: {len(hall.calls)} call-next answers with a ticket "
          f"({sum(1 for _ in stored['called_keys'])} ticket.called in the database)")
    print(f"  lost: {len(lost)}   duplicated: {two_for_a_key + stored['numbers_twice']}   "
          f"called twice: {stored['called_twice']}   (tickets in the database no kiosk heard of: "
          f"{len(unacknowledged)}, keys given up: {hall.unanswered_keys}; acknowledged calls "
          f"missing from the database: {missing_calls})")
    hung = sum(c["hung"] for c in collected)  # threads still alive, 0 or more per worker
    print(f"  displays: {len(exact)}/{len(displays)} hold exactly the database's {stored['events']} "
          f"events, in order; deliberate drops {sum(d['drops'] for d in displays)}, links broken "
          f"by the kills {sum(d['broken'] for d in displays)}"
          + (f"; worker threads hung: {hung}" if hung else ""))
    resets = stored["resets"]
    print(f"  day roll-over at {hhmm} {HALL_TZ} (+{rollover_in:.0f} s into the load): "
          f"{len(resets)} day.reset "
          f"{[(r.get('closed_day'), r.get('day')) for r in resets]}; tickets per day "
          f"{dict(stored['days'])}; waiting tickets cancelled at the roll-over: {stored['day_closed']}; "
          f"tickets at a window at the roll-over, by how they ended: {dict(stored['at_windows'])}")
    for n, k in enumerate(kills, 1):
        print(f"  kill {n}: at +{k['at']:.0f} s, the hub answered again after {k['down']:.1f} s")
    print(f"  {'':<30}" + "   ".join(f"{p + ' p50/p99 ms, n':>22}" for p in PHASES))
    print(ms_row("issue round trip", issue_rtt))
    print(ms_row("call -> every steady display", call_all))
    print(f"  (calls whose delivery spanned a kill and waited for the restart, left out above: "
          f"{across_kill})")
    def when(worst):
        return ", ".join(f"{s * 1000:.0f} ms at +{t:.0f} s" for s, t in worst)

    print(f"  slowest issues: {when(slowest_issues)}")
    # Whether a slow call waited on a live link or for a display still reconnecting.
    print("  slowest calls: " + ", ".join(
        f"{s * 1000:.0f} ms at +{t:.0f} s (display {d}, its link opened {o:+.2f} s from the call)"
        for s, t, d, o in sorted(slowest_calls, reverse=True)[:5]))
    if short_calls:
        print(f"  calls not read by every steady display: {short_calls}")
    lives = defaultdict(list)
    for n, t, m in samples:
        if t >= lives_from[n] + 5:  # once started and reconnected to by every client
            lives[n].append(m)
    for n in sorted(lives):
        ms = lives[n]
        fifths = [ms[min(len(ms) - 1, k * (len(ms) - 1) // 4)] for k in range(5)]
        print(f"  hub process {n + 1} under load, at each quarter of its life: RSS "
              + " ".join(f"{m['VmRSS']:.1f}" for m in fifths) + " MB, fds "
              + " ".join(f"{m['fds']:.0f}" for m in fifths)
              + f" (peak VmHWM {ms[-1]['VmHWM']:.1f} MB)")
    s, e, z = memory["start"], memory["end"], memory["settled"]
    print(f"  hub at the start (displays connected, no load): RSS {s['VmRSS']:.1f} MB, {s['fds']:.0f} fds; "
          f"at the end (the same, after the day): RSS {e['VmRSS']:.1f} MB, {e['fds']:.0f} fds, "
          f"11 s later {z['VmRSS']:.1f} MB, {z['fds']:.0f} fds; "
          f"growth {z['VmRSS'] - s['VmRSS']:+.1f} MB, {z['fds'] - s['fds']:+.0f} fds")
    if hall.errors:
        print(f"  errors: {len(hall.errors)}, first: {hall.errors[:3]}")
    failed = (lost or two_for_a_key or stored["numbers_twice"] or stored["called_twice"]
              or missing_calls or len(exact) != len(displays) or len(resets) != 1 or hall.errors)
    print("  verdict:", "FAILED" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
