"""`hallcall simulate`: a realistic history of past hall days, for demo and test databases.

Two halves. The plan is pure: from a seeded random.Random, each day's arrivals (a morning peak
around 09:30 and an afternoon one around 14:30, within 08:30-17:00), the service each citizen
comes for, and what happens at the window (service time around the service's
`service_minutes`, no-shows, requeues, transfers, ratings). The drive replays it through the
hub's use cases (`Hub.issue`, `Hub.act`) under a clock the simulation moves, event by event, as
the hall would have seen them: the database ends up as a hub running those days would have left
it, each day closed by the roll-over of the next day's first write.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
import time as walltime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .audit import Actor
from .config.model import HallConfig, Window
from .engine import rules
from .engine.model import DomainError

OPENS, LAST_ISSUE, CLOSES = time(8, 30), time(17, 0), time(17, 30)
PEAKS = ((time(9, 30), 50 * 60, 0.47), (time(14, 30), 55 * 60, 0.40))  # centre, sd (s), share
GREEN_SHARE = 0.05
NO_SHOW_SHARE = 0.065
REQUEUE_SHARE = 0.3  # of the no-shows: put back in the line, called again later
TRANSFER_SHARE = 0.02
RATED_SHARE = 0.8
RATING_WEIGHTS = (("satisfied", 0.86), ("basic", 0.10), ("unsatisfied", 0.04))
LOAD = 0.5  # the share of the windows' day a day's planned service time fills at most: the peaks
# bring twice the average hour's citizens, and a hall is staffed for them
STOP_CALLING = time(19, 0)  # clerks call nobody new after this; the roll-over cancels the rest


class Refused(Exception):
    """The database cannot take the history (it would interleave with real days)."""


@dataclass
class Result:
    days: list[str]
    tickets: int = 0
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0


class SimClock:
    """The hub's wall clock during the simulation: exactly the time set."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


# -- the plan ---------------------------------------------------------------------------------


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def arrival_offsets(rng: random.Random, k: int) -> list[float]:
    """k arrival times, seconds after midnight, sorted: two peaks and a low steady stream."""
    low, high = _seconds(OPENS), _seconds(LAST_ISSUE)
    out = []
    while len(out) < k:
        r = rng.random()
        for centre, sd, share in PEAKS:
            if r < share:
                s = rng.gauss(_seconds(centre), sd)
                break
            r -= share
        else:
            s = rng.uniform(low, high)
        if low <= s < high:
            out.append(s)
    return sorted(out)


def service_weights(rng: random.Random, config: HallConfig, windows: list[Window]) -> dict[str, float]:
    """How often each service is asked for: more where the hall has put more windows, less for
    long services (a hall staffs what it is asked for), with some randomness."""
    weights = {}
    for s in config.services:
        serving = sum(1 for w in windows if s.id in w.services)
        if serving and not s.retired:
            weights[s.id] = serving / max(1, s.service_minutes) * rng.uniform(0.6, 1.4)
    return weights


def service_time(rng: random.Random, minutes: float, scale: float) -> float:
    """Seconds at the window: log-normal around the service's minutes (some take twice as long)."""
    mean = minutes * 60 * scale
    sigma = 0.45
    return max(30.0, rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma))


# -- the drive --------------------------------------------------------------------------------


def simulated_days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=n) for n in range(days, 0, -1)]


def check_free(store, config: HallConfig, first: date) -> None:
    """Refuse (Refused) a database holding tickets on or after `first`, or whose hub has already
    stamped a time on or after that day: its clock would hold the history's times there."""
    from sqlalchemy import func, select

    from .store import schema

    start = datetime.combine(first, config.day_starts_at, ZoneInfo(config.timezone))
    with store.read(config) as tx:
        later = tx.conn.execute(select(func.count()).select_from(schema.tickets)
                                .where(schema.tickets.c.day >= first.isoformat())).scalar()
        last = tx.last_event_at()
        day = tx.state("day")
    if later:
        raise Refused(f"the database holds {later} tickets on or after {first}: a simulated "
                      "history must not mix with real days (use a new database)")
    if (last is not None and last >= start) or (day is not None and day >= first.isoformat()):
        raise Refused(f"the database's hub has already run on or after {first}: a simulated "
                      "history must not mix with real days (use a new database)")


def staff_of(config: HallConfig) -> dict[str, Actor]:
    """Who acts at each window: its clerk, else a supervisor or admin, else the command."""
    anyone = [s for s in config.staff if s.role in ("supervisor", "admin") and not s.disabled]
    actors = {}
    for w in config.windows:
        clerk = next((s for s in config.staff if w.id in s.windows and not s.disabled), None)
        who = clerk or (anyone[0] if anyone else None)
        actors[w.id] = Actor("staff", who.id) if who else Actor("cli", "simulate")
    return actors


class Day:
    """One hall day's replay: a heap of timed steps, run in time order through the hub."""

    def __init__(self, hub, clock: SimClock, rng: random.Random, day: date, per_day: int,
                 windows: list[Window], weights: dict[str, float], actors: dict[str, Actor],
                 counts: Counter):
        self.hub, self.clock, self.rng, self.counts = hub, clock, rng, counts
        self.config = hub.config
        self.tz = ZoneInfo(self.config.timezone)
        self.midnight = datetime.combine(day, time(0), self.tz)
        self.stop_calling = datetime.combine(day, STOP_CALLING, self.tz)
        self.windows = {w.id: w for w in windows}
        self.actors = actors
        self.services = list(weights)
        self.weights = [weights[s] for s in self.services]
        self.minutes = {s.id: s.service_minutes for s in self.config.services}
        self.waiting: Counter = Counter()
        self.idle = set(self.windows)
        self.requeued: set[str] = set()
        self.heap: list = []
        self.order = itertools.count()
        plan = [(s, rng.choices(self.services, self.weights)[0],
                 "green" if rng.random() < GREEN_SHARE else "normal")
                for s in arrival_offsets(rng, per_day)]
        work = sum(self.minutes[s] * 60 for _, s, _ in plan)
        capacity = len(windows) * (_seconds(CLOSES) - _seconds(OPENS)) * LOAD
        self.scale = min(1.0, capacity / work) if work else 1.0
        for offset, service, priority in plan:
            self.push(self.midnight + timedelta(seconds=offset), self.arrive, service, priority)

    def push(self, at: datetime, step: Callable, *args) -> None:
        heapq.heappush(self.heap, (at, next(self.order), step, args))

    def pace(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=self.rng.uniform(low, high))

    def run(self) -> None:
        while self.heap:
            at, _, step, args = heapq.heappop(self.heap)
            self.clock.at = at
            step(at, *args)

    def act(self, window: str, action: str, **kw):
        return self.hub.act(window, action, actor=self.actors[window], **kw)

    def wake(self, at: datetime, service: str) -> None:
        """A ticket waits for `service`: an idle window serving it calls within seconds."""
        for wid in sorted(self.idle):
            if service in self.windows[wid].services:
                self.idle.discard(wid)
                self.push(at + self.pace(3, 20), self.call, wid)
                return

    # -- the steps, each one use case of the hub at its time --------------------------------

    def arrive(self, at: datetime, service: str, priority: str) -> None:
        tried = [service] + [s for s in self.services if s != service]
        for s in tried:
            try:
                view, _ = self.hub.issue(s, priority=priority, lang="zh")
            except DomainError:  # closed now, or its numbers used up: the citizen picks another
                continue
            self.counts["tickets"] += 1
            self.counts["green"] += priority == "green"
            self.waiting[view.ticket.service] += 1
            self.wake(at, view.ticket.service)
            return
        self.counts["refused"] += 1

    def call(self, at: datetime, wid: str) -> None:
        window = self.windows[wid]
        if at >= self.stop_calling or not any(self.waiting[s] for s in window.services):
            self.idle.add(wid)
            return
        ticket = self.act(wid, "call-next").ticket
        if ticket is None:  # should not happen: the counts follow the hub's queues
            self.idle.add(wid)
            return
        self.waiting[ticket.service] -= 1
        rng = self.rng
        if rng.random() < NO_SHOW_SHARE:
            if rng.random() < 0.5:
                self.push(at + self.pace(40, 70), self.recall, wid)
            self.push(at + self.pace(90, 180), self.no_show, wid, ticket.id, ticket.service)
            return
        begin = at + self.pace(15, 75)
        self.push(begin, self.start, wid)
        took = timedelta(seconds=service_time(rng, self.minutes[ticket.service], self.scale))
        others = [s for s in self.services if s != ticket.service]
        if not ticket.transfers and others and rng.random() < TRANSFER_SHARE:
            target = rng.choices(others, [self.weights[self.services.index(s)] for s in others])[0]
            self.push(begin + took * 0.4, self.transfer, wid, target)
            return
        self.push(begin + took, self.finish, wid)

    def recall(self, at: datetime, wid: str) -> None:
        self.act(wid, "recall")
        self.counts["recalls"] += 1

    def start(self, at: datetime, wid: str) -> None:
        self.act(wid, "start")

    def no_show(self, at: datetime, wid: str, ticket_id: str, service: str) -> None:
        again = ticket_id not in self.requeued and self.rng.random() < REQUEUE_SHARE
        self.act(wid, "no-show", requeue=again)
        self.counts["no_shows"] += 1
        self.push(at + self.pace(10, 30), self.call, wid)
        if again:
            self.requeued.add(ticket_id)
            self.counts["requeued"] += 1
            self.waiting[service] += 1
            self.wake(at, service)

    def transfer(self, at: datetime, wid: str, target: str) -> None:
        self.act(wid, "transfer", service=target)
        self.counts["transfers"] += 1
        self.waiting[target] += 1
        self.push(at + self.pace(10, 40), self.call, wid)
        self.wake(at, target)

    def finish(self, at: datetime, wid: str) -> None:
        rating = None
        if self.rng.random() < RATED_SHARE:
            names, weights = zip(*RATING_WEIGHTS, strict=True)
            rating = self.rng.choices(names, weights)[0]
            self.counts["rated"] += 1
        self.act(wid, "finish", rating=rating)
        self.counts["served"] += 1
        self.push(at + self.pace(10, 40), self.call, wid)


def fast_writes(store) -> None:
    """Commits without fsync for this store (SQLite's PRAGMA synchronous=OFF, PostgreSQL's
    synchronous_commit=off): a simulated history is made again, not recovered, if the machine
    fails while writing it. Applies to every connection opened from here on; the pooled ones
    are closed first."""
    from sqlalchemy import event

    store.engine.dispose()
    setting = ("SET synchronous_commit TO off" if store.engine.dialect.name == "postgresql"
               else "PRAGMA synchronous=OFF")

    @event.listens_for(store.engine, "connect")
    def _no_fsync(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute(setting)
        cur.close()


def simulate(config: HallConfig, db_url: str, days: int, per_day: int, seed: int = 0,
             today: date | None = None, durable: bool = False,
             progress: Callable[[str], None] | None = None) -> Result:
    """Write `days` hall days before `today` (default: the hall's today), `per_day` tickets
    each, into the database at db_url (created if missing). Raises Refused, writing nothing,
    when the database already holds anything on or after the first of those days."""
    from .bootstrap import build_hub
    from .store import Store
    from .store.db import SchemaMismatch, database_file, is_postgresql
    from .web.serialize import event_json

    tz = ZoneInfo(config.timezone)
    if today is None:
        today = rules.hall_day(datetime.now(tz), config.day_starts_at)
    dates = simulated_days(today, days)
    path = None if is_postgresql(db_url) else database_file(db_url)
    if is_postgresql(db_url) or (path is not None and path.is_file()):
        try:  # read only: a refused database is left as it was
            store = Store.open_existing(db_url, event_json, read_only=True)
        except SchemaMismatch as exc:
            if exc.found is not None:
                raise  # an older or newer hallcall's: `hallcall migrate` first, or the other one
            store = None  # an empty file: nothing to mix with
        if store is not None:
            try:
                check_free(store, config, dates[0])
            finally:
                store.close()
    began = walltime.monotonic()
    clock = SimClock(datetime.combine(dates[0], time(6, 0), tz))
    hub = build_hub(config, db_url, clock=clock, follow=False)
    try:
        if not durable:
            fast_writes(hub.store)
        rng = random.Random(seed)
        config = hub.config  # the database's hall, if it held one
        windows = [w for w in config.live_windows if w.status == "open" and w.services]
        weights = service_weights(rng, config, windows)
        actors = staff_of(config)
        result = Result([d.isoformat() for d in dates])
        for d in dates:
            Day(hub, clock, rng, d, per_day, windows, weights, actors, result.counts).run()
            if progress:
                progress(f"{d}: {result.counts['tickets']} tickets so far, "
                         f"{walltime.monotonic() - began:.0f} s")
        # The last day is closed as the hub would close it: by the roll-over, at today's start.
        clock.at = max(clock.at, datetime.combine(today, config.day_starts_at, tz) + timedelta(minutes=1))
        hub.roll_over_if_due()
    finally:
        hub.stop()
    result.tickets = result.counts["tickets"]
    result.seconds = walltime.monotonic() - began
    return result
