"""The store in memory: the same unit of work as the SQLite store (interface.py), on dicts.

The hub runs on it unchanged, which is what lets the property tests drive the real hub through
thousands of random days in seconds. A write works on a copy of the state and publishes it
whole on commit, so a failing use case leaves nothing behind and a read sees one commit or the
next, as with SQLite. Nothing is kept across processes or restarts.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from hallcall import events

from ..audit import Actor, AuditEntry
from ..config.model import HallConfig, Window
from ..engine import rules
from ..engine.model import (
    BOOKED,
    CANCELLED,
    DONE,
    OPEN_STATES,
    WAITING,
    Appointment,
    Event,
    Outcome,
    Ticket,
    WindowState,
)
from ..engine.queue_order import ahead_of
from .errors import StorageHealth
from .events import EventEncoder, StoredEvent
from .interface import Transfer

R = TypeVar("R")


@dataclass(frozen=True)
class _Logged:
    """An event as kept: its wire form, and what the reads by day need of it."""

    stored: StoredEvent
    at: datetime
    day: str
    transfer: Transfer | None


@dataclass
class _State:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    windows: dict[str, WindowState] = field(default_factory=dict)
    events: list[_Logged] = field(default_factory=list)
    idempotency: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    hall_state: dict[str, str] = field(default_factory=dict)  # as JSON: no aliasing of values
    devices: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    halls: list[tuple[int, str]] = field(default_factory=list)  # (version, JSON), oldest first
    audit: list[AuditEntry] = field(default_factory=list)
    seen: dict[str, tuple[datetime, bool]] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(dict(self.tickets), dict(self.windows), list(self.events),
                      dict(self.idempotency), dict(self.hall_state), dict(self.devices),
                      list(self.halls), list(self.audit), dict(self.seen), dict(self.appointments))


def _waiting(state: _State, day: str, services: Iterable[str]) -> dict[tuple, list[Ticket]]:
    """Today's waiting tickets of some services by (service, priority, booked), each in queue
    order (booked tickets by slot), as the SQL store ranks them."""
    wanted = set(services)
    queues: dict[tuple, list[Ticket]] = {}
    for t in state.tickets.values():
        if t.status == WAITING and t.day == day and t.service in wanted:
            queues.setdefault((t.service, t.priority, rules.booked(t)), []).append(t)
    for (_, _, is_booked), queue in queues.items():
        queue.sort(key=rules.slot_key if is_booked else Ticket.queue_key)
    return queues


def _at_window(state: _State, day: str, window_id: str) -> list[Ticket]:
    return [t for t in state.tickets.values() if t.day == day and t.window == window_id]


class MemoryTx:
    def __init__(self, state: _State, config: HallConfig, encode_event: EventEncoder):
        self._s, self.config, self.encode_event = state, config, encode_event
        self.written: list[StoredEvent] = []

    # -- tickets --------------------------------------------------------------------------

    def ticket(self, ticket_id: str | None) -> Ticket | None:
        return self._s.tickets.get(ticket_id) if ticket_id is not None else None

    def ticket_by_token(self, token: str) -> Ticket | None:
        return next((t for t in self._s.tickets.values() if t.token == token), None)

    def queue_heads(self, day: str, services: Iterable[str]) -> list[Ticket]:
        return [q[0] for q in _waiting(self._s, day, services).values()]

    def queue_fronts(self, day: str, services: Iterable[str], depth: int) -> list[Ticket]:
        return [t for q in _waiting(self._s, day, services).values() for t in q[:depth]]

    def tickets_at_window(self, day: str, window_id: str) -> list[Ticket]:
        return _at_window(self._s, day, window_id)

    def last_done_at_window(self, day: str, window_id: str) -> Ticket | None:
        done = [t for t in _at_window(self._s, day, window_id) if t.status == DONE]
        return max(done, key=lambda t: t.finished_at, default=None)

    def count_ahead(self, ticket: Ticket, now: datetime | None = None) -> int:
        return ahead_of(ticket, [t for t in self._s.tickets.values()
                                 if t.day == ticket.day and t.service == ticket.service], now)

    # -- appointments ---------------------------------------------------------------------

    def appointment_by_code(self, code: str) -> Appointment | None:
        return next((a for a in self._s.appointments.values() if a.code == code), None)

    def appointment_by_token(self, token: str) -> Appointment | None:
        return next((a for a in self._s.appointments.values() if a.token == token), None)

    def booked_counts(self, service: str, day: str) -> dict[datetime, int]:
        counts: dict[datetime, int] = {}
        for a in self._s.appointments.values():
            if a.service == service and a.day == day and a.status != CANCELLED:
                counts[a.start] = counts.get(a.start, 0) + 1
        return counts

    def pending_bookings(self, day: str, service: str) -> int:
        return sum(1 for a in self._s.appointments.values()
                   if a.day == day and a.service == service and a.status == BOOKED)

    def appointments_of_day(self, day: str, service: str | None = None) -> list[Appointment]:
        return sorted((a for a in self._s.appointments.values()
                       if a.day == day and (service is None or a.service == service)),
                      key=lambda a: (a.start, a.created_at, a.id))

    def save_appointment(self, a: Appointment) -> None:
        self._s.appointments[a.id] = a

    def open_tickets(self) -> list[Ticket]:
        return [t for t in self._s.tickets.values() if t.status in OPEN_STATES]

    def all_tickets(self) -> list[Ticket]:
        return sorted(self._s.tickets.values(), key=lambda t: t.issued_at)

    def tickets_of_day(self, day: str) -> list[Ticket]:
        return [t for t in self.all_tickets() if t.day == day]

    def tickets_between(self, from_day: str, to_day: str, after: Ticket | None,
                        limit: int) -> list[Ticket]:
        def key(t: Ticket) -> tuple:
            return (t.issued_at, t.id)

        chosen = sorted((t for t in self._s.tickets.values() if from_day <= t.day <= to_day
                         and (after is None or key(t) > key(after))), key=key)
        return chosen[:limit]

    def numbering(self, day: str, service: str) -> tuple[int, int]:
        seqs = [t.seq_no for t in self._s.tickets.values()
                if t.day == day and t.origin_service == service]
        return max(seqs, default=0), len(seqs)

    def recent_durations(self, service: str, limit: int) -> list[float]:
        done = sorted((t for t in self._s.tickets.values() if t.service == service
                       and t.status == DONE and t.finished_at is not None),
                      key=lambda t: t.finished_at, reverse=True)[:limit]
        return [(t.finished_at - (t.started_at or t.called_at)).total_seconds()
                for t in done if t.started_at or t.called_at]

    def counts_by_service(self, day: str) -> tuple[dict[str, int], dict[str, int]]:
        waiting: dict[str, int] = {}
        issued: dict[str, int] = {}
        for t in self._s.tickets.values():
            if t.day == day:
                issued[t.origin_service] = issued.get(t.origin_service, 0) + 1
                if t.status == WAITING:
                    waiting[t.service] = waiting.get(t.service, 0) + 1
        return waiting, issued

    # -- windows --------------------------------------------------------------------------

    def window_state(self, window_id: str) -> WindowState:
        return self._s.windows[window_id]

    def window_states(self) -> dict[str, WindowState]:
        return dict(self._s.windows)

    def current_tickets(self) -> dict[str, Ticket]:
        return {w.current: self._s.tickets[w.current] for w in self._s.windows.values()
                if w.current is not None}

    def open_windows(self, window_ids: Iterable[str]) -> int:
        return sum(1 for i in set(window_ids)
                   if i in self._s.windows and self._s.windows[i].status == "open")

    def add_windows(self, windows: Iterable[Window]) -> None:
        for w in windows:
            self._s.windows.setdefault(w.id, WindowState(w.id, w.status))

    # -- idempotency, hall state, devices -------------------------------------------------

    def idempotent(self, device: str, key: str) -> tuple[str, str] | None:
        return self._s.idempotency.get((device, key))

    def remember_idempotency(self, device: str, key: str, request: str, ticket_id: str,
                             now: datetime) -> None:
        self._s.idempotency[(device, key)] = (request, ticket_id)

    def state(self, key: str, default=None):
        raw = self._s.hall_state.get(key)
        return json.loads(raw) if raw is not None else default

    def set_state(self, key: str, value) -> None:
        self._s.hall_state[key] = json.dumps(value, ensure_ascii=False)

    def device_statuses(self) -> dict[str, tuple[dict, datetime]]:
        return {d: (json.loads(status), at) for d, (status, at) in self._s.devices.items()}

    def set_device_status(self, device: str, status: dict, now: datetime) -> None:
        self._s.devices[device] = (json.dumps(status, ensure_ascii=False), now)

    def waiting_by_number(self, day: str, number: str) -> Ticket | None:
        return next((t for t in self._s.tickets.values()
                     if t.day == day and t.number == number and t.status == WAITING), None)

    # -- the hall config's versions and the audit log -------------------------------------

    def hall_version(self) -> int:
        return self._s.halls[-1][0] if self._s.halls else 0

    def hall_config(self, version: int | None = None) -> tuple[int, dict] | None:
        found = [h for h in self._s.halls if version is None or h[0] == version]
        return (found[-1][0], json.loads(found[-1][1])) if found else None

    def save_hall(self, version: int, data: dict, now: datetime, actor: Actor) -> None:
        self._s.halls.append((version, json.dumps(data, ensure_ascii=False)))

    def add_audit(self, entries: Iterable[AuditEntry]) -> None:
        for e in entries:
            self._s.audit.append(replace(e, seq=len(self._s.audit) + 1))

    def audit_after(self, after: int, limit: int) -> list[AuditEntry]:
        return self._s.audit[max(after, 0):max(after, 0) + limit]

    def audit_before(self, before: int, limit: int) -> list[AuditEntry]:
        older = self._s.audit[:max(0, min(before - 1, len(self._s.audit)))]
        return older[::-1][:limit]

    # -- devices seen ---------------------------------------------------------------------

    def devices_seen(self) -> dict[str, tuple[datetime, bool]]:
        return dict(self._s.seen)

    def mark_seen(self, seen: dict[str, datetime]) -> None:
        for device, at in seen.items():
            before, online = self._s.seen.get(device, (at, False))
            self._s.seen[device] = (max(before, at), online)

    def set_online(self, device: str, online: bool) -> None:
        if device in self._s.seen:
            self._s.seen[device] = (self._s.seen[device][0], online)

    # -- events ---------------------------------------------------------------------------

    def last_seq(self) -> int:
        return self._s.events[-1].stored.seq if self._s.events else 0

    def last_event_at(self) -> datetime | None:
        return self._s.events[-1].at if self._s.events else None

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        # Numbers run 1, 2, 3 … without gaps, so the position is the index.
        return [e.stored for e in self._s.events[max(seq, 0):max(seq, 0) + limit]]

    def latest_events(self, day: str, types: Iterable[str], limit: int) -> list[StoredEvent]:
        wanted = set(types)
        found = [e.stored for e in reversed(self._s.events)
                 if e.day == day and e.stored.type in wanted]
        return found[:limit]

    def transfers_of_day(self, day: str) -> list[Transfer]:
        return [e.transfer for e in self._s.events if e.day == day and e.transfer is not None]

    # -- writing an outcome ---------------------------------------------------------------

    def apply(self, outcome: Outcome, day: str) -> None:
        for t in outcome.tickets:
            self._s.tickets[t.id] = t
        for w in outcome.windows:
            if w.id in self._s.windows:  # as SQL's UPDATE: a window without a row stays so
                self._s.windows[w.id] = w
        seq = self.last_seq()
        for event in outcome.events:
            seq += 1
            stored = StoredEvent(seq, event.type, self.encode_event(self.config, seq, event))
            self._s.events.append(_Logged(stored, event.at, day, _transfer(event)))
            self.written.append(stored)

    def staff_and_ratings(self, ticket_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        found = (self._s.tickets.get(i) for i in set(ticket_ids))
        return {t.id: (t.staff, t.rating) for t in found if t is not None}


def _transfer(event: Event) -> Transfer | None:
    if event.type != events.TICKET_TRANSFERRED:
        return None
    return Transfer(event.data.get("from_service"), event.window)


class MemoryStore:
    """A hall's state for one process's life, behind the unit of work the hub uses."""

    def __init__(self, encode_event: EventEncoder):
        self.encode_event = encode_event
        self._state = _State()
        self._write_lock = threading.Lock()
        # Memory does not fill up or fail: the health is there for the hub to ask.
        self.write_health = StorageHealth("a write", "")
        self.on_commit: Callable[[list[StoredEvent]], None] | None = None
        self.file = None  # no file: no other process shares this state

    @contextmanager
    def read(self, config: HallConfig) -> Iterator[MemoryTx]:
        yield MemoryTx(self._state, config, self.encode_event)  # never changed once published

    @contextmanager
    def write(self, config: HallConfig) -> Iterator[MemoryTx]:
        with self._write_lock:
            tx = MemoryTx(self._state.copy(), config, self.encode_event)
            yield tx
            self._state = tx._s  # committed: one swap, seen whole by the next read
            if tx.written and self.on_commit is not None:
                self.on_commit(tx.written)

    def run(self, config: HallConfig, work: Callable[[MemoryTx], R]) -> R:
        with self.write(config) as tx:
            return work(tx)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._write_lock:
            yield

    def upgrade(self) -> None:
        """Nothing to migrate: the state has no schema of its own."""

    def probe(self, config: HallConfig) -> None:
        """Nothing to probe: writes never fail."""

    def checkpoint_due(self) -> bool:
        return False

    def checkpoint(self) -> None:
        """Nothing to checkpoint: there is no file."""

    def close(self) -> None:
        """Nothing to release: the state goes with the store."""
