"""The hub's use cases: each request of the API is one method here.

A method opens one store transaction, hands the engine the state it needs, writes what the engine
decided and returns plain values (server/answers.py) that the web edge turns into JSON. The clock
and id generation live here (the engine is pure), and so does the bridge from the store's commits
to the event bus. The hub holds the current hall config and may replace it whole while it runs;
each use case reads it once, so an answer never mixes two configs.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Collection
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

from hallcall import events

from .answers import (
    ActResult,
    DayClosed,
    DayFigures,
    DeviceStatus,
    Figures,
    HallView,
    TicketView,
    WindowNow,
    WindowView,
)
from .audit import CLI, Actor, AuditEntry
from .bus import EventBus
from .config.dump import config_dict
from .config.loader import parse_config
from .config.model import Device, HallConfig, Text, Window
from .devices_seen import Sightings, is_online
from .engine import appointments, estimate, rules
from .engine.model import (
    CHECKED_IN,
    DONE,
    NO_SHOW,
    WAITING,
    Appointment,
    DomainError,
    Outcome,
    Ticket,
    WindowState,
)
from .engine.queue_order import call_order
from .engine.rating import rate_by_citizen
from .nudge import Nudge
from .store import HallStore, HallTx, StoredEvent
from .store.errors import StorageUnavailable
from .store.interface import Transfer
from .write_service import WriterClosed

log = logging.getLogger(__name__)

RECENT_CALLS = 10
# The follower's duties, each on its own clock: nudges from other processes (server/nudge.py)
# wake it far more often than its 100 ms tick.
SEEN_FLUSH_S = 2.0  # devices seen are stored
PROBE_S = 1.0  # while writes fail, a small write tells when they work again
CHECKPOINT_S = 2.0  # the WAL is copied into the database, after writes
ROLL_OVER_S = 5.0  # whether the hall day is over
# A device seen again is written only once its stored sighting is this old: a hall whose
# devices hold their streams all day costs a write every few seconds, not one per flush.
SEEN_REWRITE_S = 10.0
QUEUE_SHOWN = 50  # of a window's line, in the clerk console
SESSION_SECRET, ENDED_SESSIONS = "session_secret", "ended_sessions"  # hall_state keys
TICK = timedelta(microseconds=1)  # the store's resolution: a held clock still orders stamps


def not_found(what: str, zh: str) -> DomainError:
    return DomainError("not_found", what, zh, status=404)


class Hub:
    # How long the follower waits for a nudge before it looks at the store anyway.
    follow_interval_s = 0.1

    def __init__(self, config: HallConfig, store: HallStore,
                 clock: Callable[[], datetime] | None = None):
        self._config = config
        self.store = store
        self._clock = clock or (lambda: datetime.now(ZoneInfo(self.config.timezone)))
        self.bus = EventBus()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        # Wakes the other hub processes on the file after each commit, and this one's follower.
        self._nudge: Nudge | None = None
        self._day_seen: str | None = None  # the hall day this hub has seen in the store
        # The latest time this hub has handed out (see `now`), and whether the wall clock is
        # behind it (logged once per step).
        self._floor: datetime | None = None
        self._held = False
        self._time_lock = threading.Lock()
        self._config_lock = threading.Lock()  # one replacement at a time
        # A change this process is committing: adopted the moment its hall.changed is published.
        self._next_config: HallConfig | None = None
        # At start, on a database that already held a hall: whether the config this hub was
        # built with (a --config file) differs from it, and so was not applied.
        self.seed_ignored = False
        # Which devices this process has seen (requests, open streams), flushed to the store
        # by the follower so that every process on the database knows.
        self.sightings = Sightings()
        # Where issuing and window actions are written: None, by this process's store; else
        # the writer process of `serve --workers N` (server/write_service.py's WriterClient).
        self.writer = None

    # -- the hall config --------------------------------------------------------------------

    @property
    def config(self) -> HallConfig:
        """The current hall config. Read it once per use: it may be replaced between reads."""
        return self._config

    @staticmethod
    def stored_hall(version: int, data: dict) -> HallConfig:
        """The config of a stored version of the hall (`tx.hall_config()`'s pair), validated as
        a file is."""
        return dataclasses.replace(parse_config(data, source=f"hall version {version}"),
                                   version=version)

    def _adopt(self, config: HallConfig) -> None:
        """Run the hall by `config` from now on, whole: a request sees the old config or the
        new one, never a mix (one reference swap, atomic for every reader). Never goes back
        to an older version."""
        if config.version >= self._config.version:
            self._config = config

    def _seed_or_load(self) -> None:
        """The database holds the hall. A new database is seeded with the config this hub was
        built with (the TOML file), as version 1; one that holds a hall runs by its newest
        version, and the file only tells whether it differs (`seed_ignored`)."""
        seed = self._config
        with self.store.write(seed) as tx:
            stored = tx.hall_config()
            if stored is None:
                self._hold_at_least(tx.last_event_at())
                now = self.now()
                # Notices set through PUT /api/notices before the hall lived in the database
                # were kept apart and overrode the file's: they are the live ones.
                notices = tx.state("notices")
                if notices is not None:
                    seed = dataclasses.replace(seed, notices=tuple(Text(**n) for n in notices))
                data = config_dict(seed)
                tx.save_hall(1, data, now, CLI)
                tx.add_audit([AuditEntry(now, CLI, "hall.seed", seed.source, None, {"version": 1})])
                stored = (1, data)
            else:
                self.seed_ignored = seed.source != "<memory>" and config_dict(seed) != stored[1]
            config = self.stored_hall(*stored)
            tx.add_windows(config.windows)
        self._config = config

    def reload_hall(self) -> None:
        """Adopt the newest version in the database, if it is newer (another process changed
        the hall)."""
        with self.store.read(self.config) as tx:
            if tx.hall_version() <= self.config.version:
                return
            stored = tx.hall_config()
        self._adopt(self.stored_hall(*stored))

    def change_hall(self, change: Callable[[dict], tuple[dict, Any, Any]], actor: Actor,
                    action: str, target: str | None = None,
                    extra_events: Callable[[HallConfig, datetime], list] | None = None) -> HallConfig:
        """Make a new version of the hall: `change` gets the newest stored hall (keyed as in
        the TOML) and returns (the new hall, before, after) for the audit log, or raises.
        The new hall is validated as a file is (ConfigError, with key paths); nothing is
        written unless it passes. In one transaction: the version, the audit entry, a
        `hall.changed` event (and `extra_events(config, now)`); every hub process on the
        database adopts it when it sees the event."""
        with self._config_lock, self.store.write(self.config) as tx:
            now, day = self._begin(tx)
            version, data = tx.hall_config()  # the newest, whichever process wrote it
            new_data, before, after = change(copy.deepcopy(data))
            config = self.stored_hall(version + 1, new_data)  # raises ConfigError: nothing written
            tx.save_hall(config.version, config_dict(config), now, actor)
            tx.add_windows(config.windows)
            tx.add_audit([AuditEntry(now, actor, action, target, before, after)])
            tx.config = config  # the events of this change name things as the new hall does
            more = extra_events(config, now) if extra_events else []
            tx.apply(Outcome(events=[rules.Event(events.HALL_CHANGED, now, None, None,
                                                 {"version": config.version}), *more]), day)
            self._next_config = config
        self._adopt(config)
        return config

    def audit_log(self, after: int = 0, limit: int = 100,
                  before: int | None = None) -> list[AuditEntry]:
        """The log from `after` on, oldest first; or, given `before`, the entries before it,
        newest first."""
        with self.store.read(self.config) as tx:
            if before is not None:
                return tx.audit_before(before, limit)
            return tx.audit_after(after, limit)

    def window(self, window_id: str) -> Window:
        """A window of the current config (the API asks before it asks who is calling)."""
        window = self.config.window(window_id)
        if window is None or window.retired:
            raise not_found(f"Unknown window {window_id!r}", "没有该窗口")
        return window

    # -- life cycle -------------------------------------------------------------------------

    def start(self, follow: bool = True) -> None:
        self.store.upgrade()
        self._seed_or_load()
        config = self.config
        with self.store.read(config) as tx:
            last = tx.last_seq()
            # Every display reconnects at once after a restart: the recent past is in memory.
            self.bus.reset(last, tx.events_after(max(0, last - self.bus.capacity), self.bus.capacity))
            # After a restart the hub's clock starts no earlier than the last change it stored.
            self._hold_at_least(tx.last_event_at())
        # Only a follower listens; any process that commits rings the others.
        self._nudge = Nudge(self.store.file, listen=follow)
        self.store.on_commit = self.committed
        self.roll_over_if_due()
        if follow:
            self._follower = threading.Thread(target=self._follow, args=(self.follow_interval_s,),
                                              name="hub-follower", daemon=True)
            self._follower.start()

    def stop(self) -> None:
        self._stop.set()
        self.bus.close()
        if self._nudge is not None:
            self._nudge.interrupt()
        if self._follower is not None:
            self._follower.join(timeout=2)
        self.store.close()
        if self._nudge is not None:
            self._nudge.close()

    def committed(self, written: list[StoredEvent], quiet: Collection[int] = ()) -> None:
        """This process committed `written` (the store's on_commit): the other hub processes on
        the file are nudged, but not those `quiet` (pids: the writer process hands its events
        to its workers itself), and the events published here."""
        if self._nudge is not None:
            try:  # first: the others fetch while this process publishes
                self._nudge.ring(quiet)
            except Exception:
                log.exception("could not nudge the other hub processes")
        try:
            if written[0].seq != self.bus.last_seq + 1:
                # Another process committed in between: fetch its events too, keeping order.
                with self.store.read(self.config) as tx:
                    written = tx.events_after(self.bus.last_seq, limit=100_000)
            self._publish(written)
        except Exception:  # a failing listener must never fail the call that was committed
            log.exception("could not publish committed events")

    def take_events(self, written: list[StoredEvent]) -> None:
        """Events another process committed and handed to this one (the writer process of
        `serve --workers N`): published in order, with any committed before them that this
        process has not published yet (fetched), and none twice (the follower may have
        fetched some already)."""
        try:
            with self.store.locked():  # not between this process's own commit and its publishing
                if written[0].seq > self.bus.last_seq + 1:
                    with self.store.read(self.config) as tx:
                        written = tx.events_after(self.bus.last_seq, limit=100_000)
                self._publish(written)
        except Exception:  # the follower fetches them within its interval
            log.exception("could not publish the writer process's events")

    def _publish(self, written: list[StoredEvent]) -> None:
        """Hand events to the bus; a new hall version is adopted first, so a device that
        fetches /api/hall on hall.changed gets the new hall from this process."""
        if any(e.type == events.HALL_CHANGED for e in written):
            mine, self._next_config = self._next_config, None
            if mine is not None:
                self._adopt(mine)
            self.reload_hall()  # another process's change (or one more after mine)
        self.bus.publish(written)

    def _follow(self, interval: float = 0.1) -> None:
        """Pick up events other hub processes commit to the same file (at once when one nudges
        this process, else every `interval`), checkpoint the WAL off the request path, and roll
        the day over."""
        checkpointed = 0
        last: dict[str, float] = {}  # each duty: when it last ran (monotonic)

        def due(duty: str, period: float) -> bool:
            at = time.monotonic()
            if at - last.setdefault(duty, at) < period:
                return False
            last[duty] = at
            return True

        nudge = self._nudge if self._nudge is not None and self._nudge.listening else None
        while True:
            if nudge is not None:
                nudge.wait(interval)
            else:
                self._stop.wait(interval)
            if self._stop.is_set():
                return
            try:
                config = self.config
                with self.store.read(config) as tx:
                    newest = tx.last_seq()
                if newest > self.bus.last_seq:
                    with self.store.locked():
                        with self.store.read(config) as tx:
                            found = tx.events_after(self.bus.last_seq, limit=100_000)
                        self._publish(found)
                if due("probe", PROBE_S) and not self.store.write_health.available:
                    self.store.probe(config)  # each second of a fault: seen to clear while no one writes
                if (due("checkpoint", CHECKPOINT_S) and newest > checkpointed
                        and self.store.checkpoint_due()):  # a quiet moment (repo.py)
                    self.store.checkpoint()
                    checkpointed = newest
                if due("roll-over", ROLL_OVER_S):
                    self.roll_over_if_due()
                if due("seen", SEEN_FLUSH_S):
                    self.flush_seen()
            except StorageUnavailable:
                pass  # logged by the store when the fault starts and when it clears, not per tick
            except Exception:
                log.exception("event follower")

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The wall clock, held so that it never goes backwards.

        NTP may step the clock back (a clock that ran fast) or forward. Forward is taken as it
        is. Back, the hub holds its time at the latest it handed out, one microsecond more per
        read, until the wall clock catches up: the queue's order (`queued_at`), the hall day
        and the times of one ticket then never run backwards, and a step of ten minutes costs
        at most ten minutes in which times barely move. (Running on by a monotonic clock
        instead would leave every time shown in the hall off by the step for good.)
        """
        wall = self._clock().astimezone(ZoneInfo(self.config.timezone))
        with self._time_lock:
            floor = self._floor
            if floor is None or wall >= floor:
                if self._held:
                    log.info("wall clock caught up with the hub's time again")
                    self._held = False
                self._floor = wall
                return wall
            if not self._held:
                log.warning("wall clock stepped back %.1f s; holding the hub's time at %s until "
                            "it catches up", (floor - wall).total_seconds(), floor.isoformat())
                self._held = True
            self._floor = floor + TICK
            return self._floor

    def _hold_at_least(self, at: datetime | None) -> None:
        """Another process (or this one before a restart) stamped `at`: hand out nothing earlier."""
        if at is None:
            return
        with self._time_lock:
            if self._floor is None or self._floor < at:
                self._floor = at.astimezone(ZoneInfo(self.config.timezone))

    def day_of(self, now: datetime, config: HallConfig) -> str:
        return rules.hall_day(now, config.day_starts_at).isoformat()

    def _begin(self, tx: HallTx) -> tuple[datetime, str]:
        """The time and hall day of a write, inside its transaction: no earlier than any change
        stored by any hub process on this file (they share the machine's clock, but not this
        process's hold on it), so a ticket issued after a step back never queues ahead of one
        issued before it."""
        self._hold_at_least(tx.last_event_at())
        now = self.now()
        return now, self._day(tx, now)

    @staticmethod
    def _today(tx: HallTx, now: datetime) -> str:
        """Today's hall day for a read: never before the stored one."""
        return rules.current_day(now, tx.config.day_starts_at, tx.state("day"))

    def _day(self, tx: HallTx, now: datetime) -> str:
        """Today's hall day, closing the previous one first if the roll-over hour has passed."""
        day = self.day_of(now, tx.config)
        if day == self._day_seen:
            # The stored day only moves forward, so once seen it need not be read again today.
            return day
        stored = tx.state("day")
        day = rules.current_day(now, tx.config.day_starts_at, stored)
        if stored == day:
            # Cached only once committed by someone: this transaction may still roll back.
            self._day_seen = day
        else:  # no day stored yet, or the roll-over hour has passed
            if stored is not None:
                tx.apply(rules.close_day(stored, day, tx.open_tickets(),
                                         list(tx.window_states().values()), now,
                                         _configured_statuses(tx.config)), day)
            tx.set_state("day", day)
        return day

    def roll_over_if_due(self) -> None:
        config = self.config
        with self.store.read(config) as tx:
            stored = tx.state("day")
        if stored is not None and stored >= self.day_of(self.now(), config):
            return
        with self.store.write(config) as tx:
            self._begin(tx)

    def close_day(self) -> DayClosed:
        """Close the current hall day by hand, as the roll-over does: waiting tickets are
        cancelled; a ticket at a window stays there until its clerk ends it; a window closed
        for the day is what its config says again."""
        with self.store.write(self.config) as tx:
            now, day = self._begin(tx)
            out = rules.close_day(day, day, tx.open_tickets(), list(tx.window_states().values()),
                                  now, _configured_statuses(tx.config))
            tx.apply(out, day)
            cancelled = sum(1 for e in out.events if e.type == events.TICKET_CANCELLED)
            at_windows = sum(1 for t in tx.open_tickets() if t.status != WAITING)
        return DayClosed(day, cancelled, at_windows)

    # -- issuing ----------------------------------------------------------------------------

    def issue(self, service_id: str, priority: str = "normal", lang: str | None = None,
              device: str | None = None, idempotency_key: str | None = None) -> tuple[TicketView, bool]:
        """Issue a ticket. Returns the view and whether it is new (False: an idempotent replay)."""
        return self._write("issue", self.issue_write, service_id, priority, lang, device,
                           idempotency_key)

    def _write(self, name: str, write: Callable[..., tuple[HallConfig, Callable]], *args,
               **kwargs):
        """A crowded write (issue, act): by the writer process when this is a worker of one
        (server/write_service.py), else by this process's store (Store.run). A worker that is
        stopping writes its last requests itself, taking its turn on the file."""
        if self.writer is not None:
            try:
                return self.writer.call(name, *args, **kwargs)
            except WriterClosed:
                pass
        return self.store.run(*write(*args, **kwargs))

    def issue_write(self, service_id: str, priority: str, lang: str | None, device: str | None,
                    idempotency_key: str | None) -> tuple[HallConfig, Callable[[HallTx], Any]]:
        """`issue` as a write for Store.run: the hall it runs by and its work."""
        config = self.config
        service = config.service(service_id)
        if service is None or service.retired:
            raise not_found(f"Unknown service {service_id!r}", "没有该业务")
        request = json.dumps([service_id, priority, lang])

        def work(tx: HallTx) -> tuple[TicketView, bool]:
            now, day = self._begin(tx)
            seen = tx.idempotent(device or "", idempotency_key) if idempotency_key else None
            if seen is not None:
                if seen[0] != request:
                    raise DomainError("idempotency_conflict",
                                      "This Idempotency-Key was used for a different request",
                                      "该请求标识已用于其他取号请求")
                return self._view(tx, tx.ticket(seen[1]), now), False
            last, issued = tx.numbering(day, service.id)
            issued = _places_taken(tx, day, service, issued)
            out = rules.issue(service, day=day, now=now, last_seq_no=last, issued_today=issued,
                              ticket_id=uuid.uuid4().hex, token=secrets.token_urlsafe(18),
                              priority=priority, lang=lang, device=device)
            tx.apply(out, day)
            if idempotency_key is not None:
                tx.remember_idempotency(device or "", idempotency_key, request, out.ticket.id, now)
            # Measured: a second transaction after the commit cost more than these reads do
            # inside this one (in one process; and with the writer process, 920 -> 640/s).
            return self._view(tx, out.ticket, now), True

        return config, work

    @staticmethod
    def _view(tx: HallTx, ticket: Ticket, now: datetime | None = None) -> TicketView:
        if ticket.status != WAITING:
            return TicketView(ticket, 0, 0)
        ahead = tx.count_ahead(ticket, now)
        service = tx.config.service(ticket.service)
        average = estimate.average_service_s(
            tx.recent_durations(ticket.service, estimate.RECENT_SERVICES),
            service.service_minutes if service else 5)
        open_windows = tx.open_windows(w.id for w in tx.config.windows_serving(ticket.service))
        return TicketView(ticket, ahead, estimate.estimated_wait_s(ahead, average, open_windows))

    def ticket_status(self, token: str) -> TicketView:
        now = self.now()
        with self.store.read(self.config) as tx:
            ticket = _by_token(tx, token)
            return self._view(tx, ticket, now)

    def cancel_ticket(self, token: str) -> TicketView:
        with self.store.write(self.config) as tx:
            now, day = self._begin(tx)
            ticket = _by_token(tx, token)
            out = rules.cancel(ticket, now)
            tx.apply(out, day)
            return TicketView(out.ticket, 0, 0)

    # -- the citizen's rating (the phone page) ------------------------------------------------

    def rate_ticket(self, token: str, rating: str, comment: str | None = None) -> TicketView:
        """The citizen rates their finished visit (engine/rating.py). In the write transaction,
        so a press of the window's rating keys at the same moment cannot rate it a second time."""
        with self.store.write(self.config) as tx:
            now, day = self._begin(tx)
            ticket = _by_token(tx, token)
            out = rate_by_citizen(ticket, rating, comment, now)
            tx.apply(out, day)
            return TicketView(out.ticket, 0, 0)

    # -- appointments -----------------------------------------------------------------------

    def _bookable_service(self, config: HallConfig, service_id: str):
        service = config.service(service_id)
        if not appointments.takes_bookings(service):
            raise not_found(f"Service {service_id!r} does not exist or takes no appointments",
                            "没有该业务，或该业务不接受预约")
        return service

    def slots(self, service_id: str, day: date) -> list[appointments.Slot]:
        """The slots of a service listed for booking on a hall day (engine/appointments.py)."""
        config = self.config
        service = self._bookable_service(config, service_id)
        now = self.now()
        with self.store.read(config) as tx:
            today = date.fromisoformat(self._today(tx, now))
            booked = tx.booked_counts(service.id, day.isoformat())
        return appointments.open_slots(service, day, ZoneInfo(config.timezone), now, today, booked)

    def book(self, service_id: str, start: datetime, phone: str | None = None,
             lang: str | None = None) -> Appointment:
        """Book a slot. The slot's places are counted and the booking written in one write
        transaction (BEGIN IMMEDIATE on SQLite, across hub processes too): of two citizens
        booking its last place, one gets it and the other `slot_full`."""
        config = self.config
        service = self._bookable_service(config, service_id)
        tz = ZoneInfo(config.timezone)
        start = start.astimezone(tz)
        day = rules.hall_day(start, config.day_starts_at)
        with self.store.write(config) as tx:
            now, today = self._begin(tx)
            booked = tx.booked_counts(service.id, day.isoformat()).get(start, 0)
            taken = 0
            if service.daily_limit is not None:
                taken = _places_taken(tx, day.isoformat(), service,
                                      tx.numbering(day.isoformat(), service.id)[1])
            code = self._new_code(tx)
            appointment = appointments.book(
                service, start, day=day, tz=tz, now=now, today=date.fromisoformat(today),
                booked=booked, day_taken=taken, appointment_id=uuid.uuid4().hex, code=code,
                token=secrets.token_urlsafe(18), phone=phone, lang=lang)
            tx.save_appointment(appointment)
            return appointment

    @staticmethod
    def _new_code(tx: HallTx) -> str:
        """Six random digits no booking has had (codes stay unique for good: a code typed at the
        kiosk names one booking only)."""
        while True:
            code = f"{secrets.randbelow(1_000_000):06d}"
            if tx.appointment_by_code(code) is None:
                return code

    def appointment(self, token: str) -> Appointment:
        with self.store.read(self.config) as tx:
            return _booking_by_token(tx, token)

    def cancel_appointment(self, token: str) -> Appointment:
        with self.store.write(self.config) as tx:
            _, today = self._begin(tx)
            found = _booking_by_token(tx, token)
            cancelled = appointments.cancel(found, today)
            if cancelled != found:
                tx.save_appointment(cancelled)
            return cancelled

    def check_in(self, code: str, device: str | None = None,
                 lang: str | None = None) -> tuple[TicketView, Appointment, bool]:
        """Check a booking in (the kiosk): its ticket, the booking, and whether the ticket is
        new (False: it had checked in already, and this is the same ticket)."""
        config = self.config
        with self.store.write(config) as tx:
            now, day = self._begin(tx)
            found = tx.appointment_by_code(code)
            if found is None:
                raise not_found(f"No booking has the code {code}", f"没有预约码为 {code} 的预约")
            if found.status == CHECKED_IN:
                ticket = tx.ticket(found.ticket_id)
                if ticket is not None:
                    return self._view(tx, ticket, now), found, False
            service = config.service(found.service)
            if service is None:
                raise DomainError("service_closed", f"Service {found.service} no longer exists",
                                  "该业务已停办")
            last, _ = tx.numbering(day, service.id)
            out, checked = appointments.check_in(
                found, service, now=now, today=day, last_seq_no=last, ticket_id=uuid.uuid4().hex,
                token=secrets.token_urlsafe(18), lang=lang, device=device)
            tx.apply(out, day)
            tx.save_appointment(checked)
            return self._view(tx, out.ticket, now), checked, True

    def appointments_of_day(self, day: date, service: str | None = None) -> list[Appointment]:
        with self.store.read(self.config) as tx:
            return tx.appointments_of_day(day.isoformat(), service)

    # -- window actions ---------------------------------------------------------------------

    def act(self, window_id: str, action: str, *, actor: Actor = CLI, rating: str | None = None,
            requeue: bool = False, service: str | None = None,
            number: str | None = None) -> ActResult:
        """One action at a window (`number`: the ticket `call` calls). Every accepted action
        that changes something is written to the audit log as `actor`'s, in the same
        transaction; a refused one writes nothing."""
        return self._write("act", self.act_write, window_id, action, actor=actor, rating=rating,
                           requeue=requeue, service=service, number=number)

    def act_write(self, window_id: str, action: str, *, actor: Actor, rating: str | None,
                  requeue: bool, service: str | None,
                  number: str | None) -> tuple[HallConfig, Callable[[HallTx], Any]]:
        """`act` as a write for Store.run: the hall it runs by and its work."""
        config = self.config
        window = self.window(window_id)
        rules.require_action(action)
        target = None
        if action == "transfer":
            target = config.service(service) if service else None
            if target is None:
                raise not_found(f"Unknown service {service!r}", "没有该业务")

        def work(tx: HallTx) -> ActResult:
            now, day = self._begin(tx)
            state = tx.window_state(window_id)
            current = tx.ticket(state.current)
            heads = tx.queue_heads(day, window.services) if action == "call-next" else []
            chosen = tx.waiting_by_number(day, number) if action == "call" and number else None
            last_done = self._last_done(tx, day, window_id) if action == "rate" else None
            out = rules.window_action(action, window, state, current, heads, now, rating=rating,
                                      requeue=requeue, target=target, last_done=last_done, day=day,
                                      fairness=window.queue_rules(config.queue), chosen=chosen,
                                      number=number,
                                      staff=actor.id if actor.kind == "staff" else None)
            tx.apply(out, day)
            new_state = next((w for w in out.windows if w.id == window_id), state)
            shown = tx.ticket(new_state.current)
            if out.events:  # a press that changed nothing (nobody to call) is no one's doing
                tx.add_audit([AuditEntry(now, actor, f"window.{action}", f"window:{window_id}",
                                         _at_window(state, current), _at_window(new_state, shown))])
            # Status changes answer with the ticket still at the window, if any.
            ticket = out.ticket if action not in rules.WINDOW_STATUS_ACTIONS else shown
            return ActResult(ticket, WindowNow(window, new_state, shown))

        return config, work

    @staticmethod
    def _last_done(tx: HallTx, day: str, window_id: str) -> Ticket | None:
        """What the window's rating keys rate: its last finished ticket, which just after the
        roll-over may be one kept at the window from the day before."""
        before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        return tx.last_done_at_window(day, window_id) or tx.last_done_at_window(before, window_id)

    # -- reading ----------------------------------------------------------------------------

    def snapshot(self) -> HallView:
        config = self.config
        now = self.now()
        with self.store.read(config) as tx:
            day = self._today(tx, now)
            last_event = tx.last_seq()
            waiting, issued = tx.counts_by_service(day)
            states = tx.window_states()
            currents = tx.current_tickets()
            recent_calls = tx.latest_events(day, events.CALL_TYPES, RECENT_CALLS)
            device_statuses = tx.device_statuses()
            seen = tx.devices_seen()
        windows = []
        for w in config.live_windows:
            state = states.get(w.id) or WindowState(w.id, w.status)
            # A ticket called before the roll-over stays shown at its window (its `day` says
            # which hall day it counts for) until the clerk ends it.
            windows.append(WindowNow(w, state, currents.get(state.current)))
        return HallView(
            config=config, now=now, day=day, waiting=waiting, issued=issued,
            windows=tuple(windows),
            notices=config.notices,
            recent_calls=tuple(recent_calls),
            devices=self._devices_now(config, now, device_statuses, seen),
            last_event=last_event)

    def _devices_now(self, config: HallConfig, now: datetime, statuses: dict,
                     stored: dict) -> tuple[DeviceStatus, ...]:
        """Every configured device: what it reported, and when it was last seen by any hub
        process (the store) or by this one since its last flush."""
        mine = self.sightings.current(now)
        out = []
        for d in config.devices:
            times = [t for t in ((stored.get(d.id) or (None,))[0], mine.get(d.id)) if t is not None]
            last = max(times) if times else None
            out.append(DeviceStatus(d, *statuses.get(d.id, (None, None)), last_seen=last,
                                    online=is_online(last, now, config.device_offline_after_s)))
        return tuple(out)

    def set_notices(self, notices: list[Text], actor: Actor) -> tuple[Text, ...]:
        """The boards' notices, as a new version of the hall (and `notices.changed`, which the
        boards' marquee follows)."""
        def change(data: dict):
            before = data.get("notices", [])
            data["notices"] = [n.as_dict() for n in notices]
            return data, before, data["notices"]

        def announce(config: HallConfig, now: datetime) -> list:
            return [rules.Event(events.NOTICES_CHANGED, now, None, None,
                                {"notices": list(config.notices)})]

        return self.change_hall(change, actor, "notices.put", "notices", announce).notices

    def report_status(self, device: Device, status: dict) -> DeviceStatus:
        """A device tells how it is (a kiosk: its printer's paper). Staff see it in the snapshot;
        a change is also an event, so the overview updates at once."""
        with self.store.write(self.config) as tx:
            now, day = self._begin(tx)
            before = tx.device_statuses().get(device.id)
            tx.set_device_status(device.id, status, now)
            # The report is a sighting too; stored here, as the transaction writes anyway, so
            # its event says online and the next flush has no "came online" to announce.
            tx.mark_seen({device.id: now})
            was_online = (tx.devices_seen().get(device.id) or (None, False))[1]
            if not was_online:
                tx.set_online(device.id, True)
            view = DeviceStatus(device, status, now, last_seen=now, online=True)
            if before is None or before[0] != status or not was_online:
                tx.apply(Outcome(events=[rules.Event(events.DEVICE_STATUS, now, None, None,
                                                     {"device": view})]), day)
        return view

    def flush_seen(self) -> None:
        """Store the devices this process has seen, and announce (`device.status`) each device
        whose online state changed: it came back, or nobody has seen it for the hall's
        `device_offline_after_s`. Inside one write transaction, so that of the hub processes
        sharing the database exactly one announces a change. Run by the follower every few
        seconds; without a sighting or a change due it writes nothing."""
        config = self.config
        known = {d.id: d for d in config.devices}
        after_s = config.device_offline_after_s
        now = self.now()
        taken = {k: t for k, t in self.sightings.take(now).items() if k in known}
        with self.store.read(config) as tx:
            stored = tx.devices_seen()
        rewrite_s = min(SEEN_REWRITE_S, after_s / 4)
        # New, or back: stored at once (it is news). Still seen: once the stored time is old.
        due = {k: t for k, t in taken.items() if k not in stored or not stored[k][1]
               or (now - stored[k][0]).total_seconds() >= rewrite_s}
        self.sightings.put_back({k: t for k, t in taken.items() if k not in due})
        taken = due
        if not taken and all(is_online(at, now, after_s) == flag
                             for k, (at, flag) in stored.items() if k in known):
            return
        try:
            with self.store.write(config) as tx:
                now, day = self._begin(tx)
                if taken:
                    tx.mark_seen(taken)
                changed = []
                for k, (at, flag) in sorted(tx.devices_seen().items()):
                    online = is_online(at, now, after_s)
                    if k in known and online != flag:
                        tx.set_online(k, online)
                        changed.append((k, at, online))
                if changed:
                    statuses = tx.device_statuses()
                    tx.apply(Outcome(events=[
                        rules.Event(events.DEVICE_STATUS, now, None, None, {"device": DeviceStatus(
                            known[k], *statuses.get(k, (None, None)), last_seen=at, online=online)})
                        for k, at, online in changed]), day)
        except BaseException:
            self.sightings.put_back(taken)
            raise

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        with self.store.read(self.config) as tx:
            return tx.events_after(seq, limit)

    def stats(self, day: date | None = None) -> DayFigures:
        config = self.config
        now = self.now()
        with self.store.read(config) as tx:
            day_s = day.isoformat() if day else self._today(tx, now)
            tickets = tx.tickets_of_day(day_s)
            transfers = tx.transfers_of_day(day_s)
        return DayFigures(
            day=day_s,
            services=tuple((s, _figures([t for t in tickets if t.service == s.id],
                                        issued=sum(1 for t in tickets if t.origin_service == s.id),
                                        transferred=sum(1 for e in transfers
                                                        if e.from_service == s.id)))
                           for s in config.services),
            windows=tuple((w, _figures([t for t in tickets if t.window == w.id],
                                       transferred=_sent_from(transfers, w.id)))
                          for w in config.windows))

    def window_view(self, window_id: str, may: Collection[str] = ()) -> WindowView:
        """What the clerk console shows of one window: its state, the first of the tickets it
        would call, in the order it would call them, its figures for today and the actions
        that fit now (`may`: which of rules.PRIVILEGED_ACTIONS the asker has the right to)."""
        config = self.config
        window = self.window(window_id)
        fairness = window.queue_rules(config.queue)
        now = self.now()
        with self.store.read(config) as tx:
            day = self._today(tx, now)
            last_event = tx.last_seq()
            state = tx.window_state(window_id)
            current = tx.ticket(state.current)
            fronts = tx.queue_fronts(day, window.services, QUEUE_SHOWN)
            waiting, _ = tx.counts_by_service(day)
            handled = tx.tickets_at_window(day, window_id)
            transfers = tx.transfers_of_day(day)
            last_done = self._last_done(tx, day, window_id)
        # A ticket called before the roll-over stays at the window until the clerk ends it.
        today = _figures(handled, transferred=_sent_from(transfers, window_id))
        allowed = rules.allowed_actions(window, state, current, fronts, list(config.services),
                                        last_done, now, day, fairness, may)
        line = call_order(window, fronts, fairness, state.green_streak, now)
        return WindowView(window=WindowNow(window, state, current),
                          queue=tuple(line[:QUEUE_SHOWN]),
                          waiting=sum(waiting.get(s, 0) for s in window.services),
                          today=today, now=now, last_event=last_event, allowed_actions=allowed)

    # -- clerk sessions ---------------------------------------------------------------------

    def session_secret(self) -> str:
        """The key that signs the clerk console's cookies. Made once and kept in the store, so a
        session outlives a restart and every hub process on the file accepts it."""
        with self.store.read(self.config) as tx:
            secret = tx.state(SESSION_SECRET)
        if secret is None:
            with self.store.write(self.config) as tx:
                secret = tx.state(SESSION_SECRET)  # another process may have been first
                if secret is None:
                    secret = secrets.token_hex(32)
                    tx.set_state(SESSION_SECRET, secret)
        return secret

    def end_session(self, session_id: str, expires_at: float) -> None:
        """Remember a signed-out session until its cookie would have expired anyway: a copy of
        the cookie must not work after sign-out."""
        now = self.now().timestamp()
        with self.store.write(self.config) as tx:
            ended = {sid: t for sid, t in (tx.state(ENDED_SESSIONS) or {}).items() if t > now}
            ended[session_id] = expires_at
            tx.set_state(ENDED_SESSIONS, ended)

    def session_ended(self, session_id: str) -> bool:
        with self.store.read(self.config) as tx:
            return session_id in (tx.state(ENDED_SESSIONS) or {})


def _by_token(tx: HallTx, token: str) -> Ticket:
    ticket = tx.ticket_by_token(token)
    if ticket is None:
        raise not_found("No ticket has this token", "未找到该号")
    return ticket


def _booking_by_token(tx: HallTx, token: str) -> Appointment:
    found = tx.appointment_by_token(token)
    if found is None:
        raise not_found("No booking has this token", "未找到该预约")
    return found


def _places_taken(tx: HallTx, day: str, service, issued: int) -> int:
    """The places of a service's daily limit taken on a hall day: its `issued` tickets and, for
    a limited service, its bookings not yet checked in (engine/appointments.py)."""
    if service.daily_limit is None:
        return issued
    return issued + tx.pending_bookings(day, service.id)


def _configured_statuses(config: HallConfig) -> dict[str, str]:
    """What each window of the hall is when a hall day starts (a window closed for the day
    opens again)."""
    return {w.id: w.status for w in config.windows}


def _at_window(state: WindowState, ticket: Ticket | None) -> dict:
    """A window as the audit log shows it before and after an action."""
    return {"status": state.status, "ticket": ticket.number if ticket is not None else None}


def _sent_from(transfers: list[Transfer], window_id: str) -> int:
    return sum(1 for e in transfers if e.window == window_id)


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    # Never negative: the engine stamps no time before a ticket's earlier ones, but rows written
    # before it did (a clock stepped back) must not turn a hall's figures negative.
    return max(0.0, (later - earlier).total_seconds()) if later and earlier else None


def _figures(tickets: list[Ticket], transferred: int, issued: int | None = None) -> Figures:
    waits = [w for t in tickets if (w := _seconds(t.called_at, t.issued_at)) is not None]
    services = [d for t in tickets if t.status == DONE
                and (d := _seconds(t.finished_at, t.started_at or t.called_at)) is not None]
    return Figures(
        called=sum(1 for t in tickets if t.called_at is not None),
        served=sum(1 for t in tickets if t.status == DONE),
        no_show=sum(1 for t in tickets if t.status == NO_SHOW),
        transferred=transferred,
        cancelled=sum(1 for t in tickets if t.status == "cancelled"),
        waiting=sum(1 for t in tickets if t.status == WAITING),
        avg_wait_s=round(fmean(waits), 1) if waits else None,
        max_wait_s=round(max(waits), 1) if waits else None,
        avg_service_s=round(fmean(services), 1) if services else None,
        ratings={r: sum(1 for t in tickets if t.rating == r) for r in rules.RATINGS},
        issued=issued)
