"""The hub's use cases: each request of the API is one method here.

A method opens one store transaction, hands the engine the state it needs, writes what the engine
decided and returns plain values for the web layer. The clock and id generation live here (the
engine is pure), and so does the bridge from the store's commits to the event bus.
"""
from __future__ import annotations

import json
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from .bus import EventBus
from .config.model import WEEKDAYS, Device, HallConfig, Text
from .engine import estimate, rules
from .engine.model import DONE, NO_SHOW, WAITING, DomainError, Outcome, Ticket, WindowState
from .engine.queue_order import call_order
from .serialize import ticket_dict, window_dict
from .store import Store, StoredEvent, Tx
from .store.errors import StorageUnavailable

log = logging.getLogger(__name__)

WINDOW_ACTIONS = rules.WINDOW_ACTIONS
RECENT_CALLS = 10
QUEUE_SHOWN = 50  # of a window's line, in the clerk console
WINDOW_FIGURES = ("called", "served", "no_show", "transferred", "avg_service_s", "ratings")
SESSION_SECRET, ENDED_SESSIONS = "session_secret", "ended_sessions"  # hall_state keys
TICK = timedelta(microseconds=1)  # the store's resolution: a held clock still orders stamps


def not_found(what: str, zh: str) -> DomainError:
    return DomainError("not_found", what, zh, status=404)


@dataclass
class TicketView:
    ticket: Ticket
    ahead: int
    estimated_wait_s: int

    def as_dict(self, with_token: bool = True) -> dict:
        return {"ticket": ticket_dict(self.ticket, with_token=with_token), "ahead": self.ahead,
                "estimated_wait_s": self.estimated_wait_s}


class Hub:
    def __init__(self, config: HallConfig, store: Store, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.store = store
        self.tz = ZoneInfo(config.timezone)
        self._clock = clock or (lambda: datetime.now(self.tz))
        self.bus = EventBus()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self._day_seen: str | None = None  # the hall day this hub has seen in the store
        # The latest time this hub has handed out (see `now`), and whether the wall clock is
        # behind it (logged once per step).
        self._floor: datetime | None = None
        self._held = False
        self._time_lock = threading.Lock()

    # -- life cycle -------------------------------------------------------------------------

    def start(self, follow: bool = True) -> None:
        self.store.upgrade()
        with self.store.read() as tx:
            self.bus.reset(tx.last_seq())
            # After a restart the hub's clock starts no earlier than the last change it stored.
            self._hold_at_least(tx.last_event_at())
        self.store.on_commit = self._committed
        self.roll_over_if_due()
        if follow:
            self._follower = threading.Thread(target=self._follow, name="hub-follower", daemon=True)
            self._follower.start()

    def stop(self) -> None:
        self._stop.set()
        self.bus.close()
        if self._follower is not None:
            self._follower.join(timeout=2)
        self.store.close()

    def _committed(self, written: list[StoredEvent]) -> None:
        try:
            if written[0].seq != self.bus.last_seq + 1:
                # Another process committed in between: fetch its events too, keeping order.
                with self.store.read() as tx:
                    written = tx.events_after(self.bus.last_seq, limit=100_000)
            self.bus.publish(written)
        except Exception:  # a failing listener must never fail the call that was committed
            log.exception("could not publish committed events")

    def _follow(self, interval: float = 0.1) -> None:
        """Pick up events other hub processes commit to the same file, checkpoint the WAL off
        the request path, and roll the day over."""
        ticks = checkpointed = 0
        while not self._stop.wait(interval):
            ticks += 1
            try:
                with self.store.read() as tx:
                    newest = tx.last_seq()
                if newest > self.bus.last_seq:
                    with self.store.locked():
                        with self.store.read() as tx:
                            self.bus.publish(tx.events_after(self.bus.last_seq, limit=100_000))
                if ticks % 10 == 0 and not self.store.write_health.available:
                    self.store.probe()  # each second of a fault: seen to clear while no one writes
                if newest > checkpointed and ticks % 20 == 0:  # every 2 s after writes
                    self.store.checkpoint()
                    checkpointed = newest
                if ticks % 50 == 0:
                    self.roll_over_if_due()
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
        wall = self._clock().astimezone(self.tz)
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
                self._floor = at.astimezone(self.tz)

    def day_of(self, now: datetime) -> str:
        return rules.hall_day(now, self.config.day_starts_at).isoformat()

    def _begin(self, tx: Tx) -> tuple[datetime, str]:
        """The time and hall day of a write, inside its transaction: no earlier than any change
        stored by any hub process on this file (they share the machine's clock, but not this
        process's hold on it), so a ticket issued after a step back never queues ahead of one
        issued before it."""
        self._hold_at_least(tx.last_event_at())
        now = self.now()
        return now, self._day(tx, now)

    def _today(self, tx: Tx, now: datetime) -> str:
        """Today's hall day for a read: never before the stored one."""
        return rules.current_day(now, self.config.day_starts_at, tx.state("day"))

    def _day(self, tx: Tx, now: datetime) -> str:
        """Today's hall day, closing the previous one first if the roll-over hour has passed."""
        day = self.day_of(now)
        if day == self._day_seen:
            # The stored day only moves forward, so once seen it need not be read again today.
            return day
        stored = tx.state("day")
        day = rules.current_day(now, self.config.day_starts_at, stored)
        if stored == day:
            # Cached only once committed by someone: this transaction may still roll back.
            self._day_seen = day
        else:  # no day stored yet, or the roll-over hour has passed
            if stored is not None:
                tx.apply(rules.close_day(stored, day, tx.open_tickets(),
                                         list(tx.window_states().values()), now), day)
            tx.set_state("day", day)
        return day

    def roll_over_if_due(self) -> None:
        with self.store.read() as tx:
            stored = tx.state("day")
        if stored is not None and stored >= self.day_of(self.now()):
            return
        with self.store.write() as tx:
            self._begin(tx)

    def close_day(self) -> dict:
        """Close the current hall day by hand, as the roll-over does: waiting tickets are
        cancelled; a ticket at a window stays there until its clerk ends it."""
        with self.store.write() as tx:
            now, day = self._begin(tx)
            out = rules.close_day(day, day, tx.open_tickets(), list(tx.window_states().values()),
                                  now)
            tx.apply(out, day)
            cancelled = sum(1 for e in out.events if e.type == "ticket.cancelled")
            at_windows = sum(1 for t in tx.open_tickets() if t.status != WAITING)
        return {"day": day, "cancelled": cancelled, "at_windows": at_windows}

    # -- issuing ----------------------------------------------------------------------------

    def issue(self, service_id: str, priority: str = "normal", lang: str | None = None,
              device: str | None = None, idempotency_key: str | None = None) -> tuple[TicketView, bool]:
        """Issue a ticket. Returns the view and whether it is new (False: an idempotent replay)."""
        service = self.config.service(service_id)
        if service is None:
            raise not_found(f"Unknown service {service_id!r}", "没有该业务")
        request = json.dumps([service_id, priority, lang])
        with self.store.write() as tx:
            now, day = self._begin(tx)
            seen = tx.idempotent(device or "", idempotency_key) if idempotency_key else None
            if seen is not None:
                if seen[0] != request:
                    raise DomainError("idempotency_conflict",
                                      "This Idempotency-Key was used for a different request",
                                      "该请求标识已用于其他取号请求")
                return self._view(tx, tx.ticket(seen[1])), False
            last, issued = tx.numbering(day, service.id)
            out = rules.issue(service, day=day, now=now, last_seq_no=last, issued_today=issued,
                              ticket_id=uuid.uuid4().hex, token=secrets.token_urlsafe(18),
                              priority=priority, lang=lang, device=device)
            tx.apply(out, day)
            if idempotency_key is not None:
                tx.remember_idempotency(device or "", idempotency_key, request, out.ticket.id, now)
            # Measured: a second transaction after the commit cost more than these reads do
            # inside this one.
            return self._view(tx, out.ticket), True

    def _view(self, tx: Tx, ticket: Ticket) -> TicketView:
        if ticket.status != WAITING:
            return TicketView(ticket, 0, 0)
        ahead = tx.count_ahead(ticket)
        service = self.config.service(ticket.service)
        average = estimate.average_service_s(
            tx.recent_durations(ticket.service, estimate.RECENT_SERVICES),
            service.service_minutes if service else 5)
        open_windows = tx.open_windows(w.id for w in self.config.windows_serving(ticket.service))
        return TicketView(ticket, ahead, estimate.estimated_wait_s(ahead, average, open_windows))

    def ticket_status(self, token: str) -> TicketView:
        with self.store.read() as tx:
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise not_found("No ticket has this token", "未找到该号")
            return self._view(tx, ticket)

    def cancel_ticket(self, token: str) -> TicketView:
        with self.store.write() as tx:
            now, day = self._begin(tx)
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise not_found("No ticket has this token", "未找到该号")
            out = rules.cancel(ticket, now)
            tx.apply(out, day)
            return TicketView(out.ticket, 0, 0)

    # -- window actions ---------------------------------------------------------------------

    def act(self, window_id: str, action: str, *, rating: str | None = None,
            requeue: bool = False, service: str | None = None) -> tuple[Ticket | None, dict]:
        window = self.config.window(window_id)
        if window is None:
            raise not_found(f"Unknown window {window_id!r}", "没有该窗口")
        if action not in WINDOW_ACTIONS:
            raise not_found(f"Unknown window action {action!r}", "不支持该操作")
        target = None
        if action == "transfer":
            target = self.config.service(service) if service else None
            if target is None:
                raise not_found(f"Unknown service {service!r}", "没有该业务")
        with self.store.write() as tx:
            now, day = self._begin(tx)
            state = tx.window_state(window_id)
            current = tx.ticket(state.current)
            heads = tx.queue_heads(day, window.services) if action == "call-next" else []
            last_done = self._last_done(tx, day, window_id) if action == "rate" else None
            out = rules.window_action(action, window, state, current, heads, now, rating=rating,
                                      requeue=requeue, target=target, last_done=last_done, day=day)
            tx.apply(out, day)
            new_state = next((w for w in out.windows if w.id == window_id), state)
            shown = tx.ticket(new_state.current)
            # Pause and resume answer with the ticket still at the window, if any.
            ticket = out.ticket if action not in rules.WINDOW_STATUS_ACTIONS else shown
            return ticket, window_dict(self.config, new_state, shown)

    @staticmethod
    def _last_done(tx: Tx, day: str, window_id: str) -> Ticket | None:
        """What the window's rating keys rate: its last finished ticket, which just after the
        roll-over may be one kept at the window from the day before."""
        before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        return tx.last_done_at_window(day, window_id) or tx.last_done_at_window(before, window_id)

    # -- reading ----------------------------------------------------------------------------

    def snapshot(self) -> dict:
        now = self.now()
        with self.store.read() as tx:
            day = self._today(tx, now)
            last_event = tx.last_seq()
            waiting, issued = tx.counts_by_service(day)
            states = tx.window_states()
            notices = tx.state("notices")
            currents = tx.current_tickets()
            recent_calls = tx.latest_events(day, ("ticket.called", "ticket.recalled"), RECENT_CALLS)
            device_statuses = tx.device_statuses()
        services = []
        for s in self.config.services:
            services.append({
                "id": s.id, "prefix": s.prefix, "department": s.department, "name": s.name.as_dict(),
                "open": s.hours.is_open(now.weekday(), now.time()),
                "waiting": waiting.get(s.id, 0), "issued_today": issued.get(s.id, 0),
                "daily_limit": s.daily_limit, "materials": [m.as_dict() for m in s.materials],
                "hours": [_span(sp) for sp in s.hours.spans],
                "days": [WEEKDAYS[d] for d in sorted(s.hours.days)]})
        windows = []
        for w in self.config.windows:
            state = states.get(w.id) or WindowState(w.id, w.status)
            # A ticket called before the roll-over stays shown at its window (its `day` says
            # which hall day it counts for) until the clerk ends it.
            current = currents.get(state.current)
            windows.append(window_dict(self.config, state, current))
        return {
            "hall": {"name": self.config.name.as_dict(), "languages": list(self.config.languages),
                     "day": day, "time": now.isoformat(timespec="seconds"),
                     "timezone": self.config.timezone},
            "departments": [{"id": d.id, "name": d.name.as_dict()} for d in self.config.departments],
            "services": services,
            "windows": windows,
            "notices": notices if notices is not None else [n.as_dict() for n in self.config.notices],
            # So a display that starts mid-day shows the last calls at once, not an empty list.
            "recent_calls": recent_calls,
            "announcer": {"enabled": self.config.announcer.enabled,
                          "languages": list(self.config.announcer.languages),
                          "repeat": self.config.announcer.repeat,
                          "voices": self.config.announcer.voices,
                          "templates": self.config.announcer.templates},
            "devices": [_device_dict(d, *device_statuses.get(d.id, (None, None)))
                        for d in self.config.devices],
            "last_event": last_event,
        }

    def set_notices(self, notices: list[Text]) -> list[dict]:
        value = [n.as_dict() for n in notices]
        with self.store.write() as tx:
            now, day = self._begin(tx)
            tx.set_state("notices", value)
            tx.apply(Outcome(events=[rules.Event("notices.changed", now, None, None,
                                                 {"notices": value})]), day)
        return value

    def report_status(self, device: Device, status: dict) -> dict:
        """A device tells how it is (a kiosk: its printer's paper). Staff see it in the snapshot;
        a change is also an event, so the overview updates at once."""
        with self.store.write() as tx:
            now, day = self._begin(tx)
            before = tx.device_statuses().get(device.id)
            tx.set_device_status(device.id, status, now)
            view = _device_dict(device, status, now)
            if before is None or before[0] != status:
                tx.apply(Outcome(events=[rules.Event("device.status", now, None, None,
                                                     {"device": view})]), day)
        return view

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        with self.store.read() as tx:
            return tx.events_after(seq, limit)

    def stats(self, day: date | None = None) -> dict:
        now = self.now()
        with self.store.read() as tx:
            day_s = day.isoformat() if day else self._today(tx, now)
            tickets = tx.tickets_of_day(day_s)
            transfers = tx.events_of_day(day_s, ["ticket.transferred"])
        return {"day": day_s,
                "services": [_stats_row({"id": s.id, "name": s.name.as_dict()},
                                        [t for t in tickets if t.service == s.id],
                                        issued=sum(1 for t in tickets if t.origin_service == s.id),
                                        transferred=sum(1 for e in transfers
                                                        if e.get("from_service") == s.id))
                             for s in self.config.services],
                "windows": [_stats_row({"id": w.id, "name": w.name.as_dict()},
                                       [t for t in tickets if t.window == w.id],
                                       transferred=sum(1 for e in transfers
                                                       if (e.get("window") or {}).get("id") == w.id))
                            for w in self.config.windows]}

    def window_view(self, window_id: str) -> dict:
        """What the clerk console shows of one window: its state, the first of the tickets it
        would call, in the order it would call them, and its figures for today."""
        window = self.config.window(window_id)
        if window is None:
            raise not_found(f"Unknown window {window_id!r}", "没有该窗口")
        now = self.now()
        with self.store.read() as tx:
            day = self._today(tx, now)
            last_event = tx.last_seq()
            state = tx.window_state(window_id)
            current = tx.ticket(state.current)
            fronts = tx.queue_fronts(day, window.services, QUEUE_SHOWN)
            waiting, _ = tx.counts_by_service(day)
            handled = tx.tickets_at_window(day, window_id)
            transfers = tx.events_of_day(day, ["ticket.transferred"])
        # A ticket called before the roll-over stays at the window until the clerk ends it.
        today = _stats_row({}, handled, transferred=sum(
            1 for e in transfers if (e.get("window") or {}).get("id") == window_id))
        return {"window": window_dict(self.config, state, current),
                "queue": [ticket_dict(t) for t in call_order(window, fronts)[:QUEUE_SHOWN]],
                "waiting": sum(waiting.get(s, 0) for s in window.services),
                "today": {k: today[k] for k in WINDOW_FIGURES},
                "time": now.isoformat(timespec="seconds"),
                "last_event": last_event}

    # -- clerk sessions ---------------------------------------------------------------------

    def session_secret(self) -> str:
        """The key that signs the clerk console's cookies. Made once and kept in the store, so a
        session outlives a restart and every hub process on the file accepts it."""
        with self.store.read() as tx:
            secret = tx.state(SESSION_SECRET)
        if secret is None:
            with self.store.write() as tx:
                secret = tx.state(SESSION_SECRET)  # another process may have been first
                if secret is None:
                    secret = secrets.token_hex(32)
                    tx.set_state(SESSION_SECRET, secret)
        return secret

    def end_session(self, session_id: str, expires_at: float) -> None:
        """Remember a signed-out session until its cookie would have expired anyway: a copy of
        the cookie must not work after sign-out."""
        now = self.now().timestamp()
        with self.store.write() as tx:
            ended = {sid: t for sid, t in (tx.state(ENDED_SESSIONS) or {}).items() if t > now}
            ended[session_id] = expires_at
            tx.set_state(ENDED_SESSIONS, ended)

    def session_ended(self, session_id: str) -> bool:
        with self.store.read() as tx:
            return session_id in (tx.state(ENDED_SESSIONS) or {})


def _span(span) -> str:
    end = span.end.strftime("%H:%M") if span.end else "24:00"
    return f"{span.start.strftime('%H:%M')}-{end}"


def _device_dict(device: Device, status: dict | None, updated_at: datetime | None) -> dict:
    # Never the token: the snapshot is public.
    return {"id": device.id, "role": device.role, "status": status,
            "updated_at": updated_at.isoformat(timespec="seconds") if updated_at else None}


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    # Never negative: the engine stamps no time before a ticket's earlier ones, but rows written
    # before it did (a clock stepped back) must not turn a hall's figures negative.
    return max(0.0, (later - earlier).total_seconds()) if later and earlier else None


def _stats_row(head: dict, tickets: list[Ticket], transferred: int, issued: int | None = None) -> dict:
    waits = [w for t in tickets if (w := _seconds(t.called_at, t.issued_at)) is not None]
    services = [d for t in tickets if t.status == DONE
                and (d := _seconds(t.finished_at, t.started_at or t.called_at)) is not None]
    row = dict(head)
    if issued is not None:
        row["issued"] = issued
    row.update({
        "called": sum(1 for t in tickets if t.called_at is not None),
        "served": sum(1 for t in tickets if t.status == DONE),
        "no_show": sum(1 for t in tickets if t.status == NO_SHOW),
        "transferred": transferred,
        "cancelled": sum(1 for t in tickets if t.status == "cancelled"),
        "waiting": sum(1 for t in tickets if t.status == WAITING),
        "avg_wait_s": round(fmean(waits), 1) if waits else None,
        "max_wait_s": round(max(waits), 1) if waits else None,
        "avg_service_s": round(fmean(services), 1) if services else None,
        "ratings": {r: sum(1 for t in tickets if t.rating == r) for r in rules.RATINGS},
    })
    return row
