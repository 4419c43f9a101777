"""The store: loads the slice of queue state an operation needs and writes its outcome.

All writes go through `Store.write()`: one SQLite transaction opened with BEGIN IMMEDIATE, so the
state an operation reads cannot change under it in this or any other process, and the state change
and its events commit together. Within one process a lock queues writers in front of SQLite: its
busy handler sleeps in growing steps, which would put waits of tens of milliseconds on a busy kiosk.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from importlib import resources
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, func, inspect, literal, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from hallcall import events

from .. import timing
from ..audit import Actor, AuditEntry
from ..config.model import HallConfig, Window
from ..engine import rules
from ..engine.model import (
    BOOKED,
    CHECKED_IN,
    DONE,
    OPEN_STATES,
    WAITING,
    Appointment,
    Outcome,
    Ticket,
    WindowState,
)
from . import schema
from .db import SchemaMismatch, database_path, make_engine
from .dialects import greater
from .errors import StorageHealth, StorageUnavailable, storage_failure
from .events import EventEncoder, StoredEvent
from .interface import Transfer

T = schema.tickets
PROBE_KEY = "storage_probe"  # hall_state key of Store.probe's write
# The newest migration in migrations/versions; tests check that the two agree.
HEAD_REVISION = "0007"


# The hot statements are built once: building SQLAlchemy constructs per call cost more than
# SQLite's own work on the issuing path. Executing a prebuilt statement reuses its compiled form.
W, E, K, H = schema.windows, schema.events, schema.idempotency, schema.hall_state  # K: idempotency keys
D = schema.device_status
C, A, S = schema.hall_config, schema.audit, schema.device_seen  # config versions, audit, seen
HALL_VERSION = select(func.coalesce(func.max(C.c.version), 0))
AUDIT_SEQ = select(func.coalesce(func.max(A.c.seq), 0))
AUDIT_INSERT = A.insert()
_p = bindparam
TICKET_BY_ID = select(T).where(T.c.id == _p("id"))
TICKET_BY_TOKEN = select(T).where(T.c.token == _p("token"))
# A ticket queues as a checked-in appointment (rules.booked): in time, and never called yet.
_BOOKED = and_(T.c.appointment_code.isnot(None), T.c.slot_start.isnot(None), T.c.slot_late == 0,
               T.c.calls == 0)
# Each service has three queues per priority in effect: walk-ins by queue time, and booked
# tickets by slot (then queue time), which is all rules.pick_next compares.
_RANKED = select(T, func.row_number().over(
    partition_by=(T.c.service, T.c.priority, case((_BOOKED, 1), else_=0)),
    order_by=(case((_BOOKED, T.c.slot_start), else_=literal(0)), T.c.queued_at, T.c.seq_no,
              T.c.id)).label("rank")).where(and_(
        T.c.status == WAITING, T.c.day == _p("day"),
        T.c.service.in_(_p("services", expanding=True)))).subquery()
QUEUE_HEADS = select(*[_RANKED.c[c.name] for c in T.columns]).where(_RANKED.c.rank == 1)
QUEUE_FRONTS = select(*[_RANKED.c[c.name] for c in T.columns]).where(_RANKED.c.rank <= _p("depth"))
TICKETS_AT_WINDOW = select(T).where(and_(T.c.day == _p("day"), T.c.window == _p("window")))
LAST_DONE_AT_WINDOW = select(T).where(and_(
    T.c.day == _p("day"), T.c.window == _p("window"), T.c.status == DONE)).order_by(
        T.c.finished_at.desc()).limit(1)
_SAME_QUEUE = and_(T.c.status == WAITING, T.c.day == _p("day"), T.c.service == _p("service"),
                   T.c.id != _p("id"))
_EARLIER = or_(T.c.queued_at < _p("q"), and_(T.c.queued_at == _p("q"), or_(
    T.c.seq_no < _p("s"), and_(T.c.seq_no == _p("s"), T.c.id < _p("id")))))
AHEAD_OF_GREEN = select(func.count()).where(and_(_SAME_QUEUE, T.c.priority == "green", _EARLIER))
# A walk-in has behind it every green ticket and every booked one whose slot has begun.
AHEAD_OF_NORMAL = select(func.count()).where(and_(_SAME_QUEUE, or_(
    T.c.priority == "green",
    and_(T.c.priority == "normal", _BOOKED, T.c.slot_start <= _p("now")),
    and_(T.c.priority == "normal", ~_BOOKED, _EARLIER))))
# A booked ticket: the greens, the booked ones before it by slot (whose slots began earlier if
# its own has begun) and, while its slot is still to come, every walk-in.
_EARLIER_SLOT = or_(T.c.slot_start < _p("slot"), and_(T.c.slot_start == _p("slot"), _EARLIER))
AHEAD_OF_BEGUN = select(func.count()).where(and_(_SAME_QUEUE, or_(
    T.c.priority == "green", and_(T.c.priority == "normal", _BOOKED, _EARLIER_SLOT))))
AHEAD_OF_TO_COME = select(func.count()).where(and_(_SAME_QUEUE, or_(
    T.c.priority == "green", and_(T.c.priority == "normal", ~_BOOKED),
    and_(T.c.priority == "normal", _BOOKED, _EARLIER_SLOT))))
NUMBERING = select(func.coalesce(func.max(T.c.seq_no), 0), func.count()).where(
    and_(T.c.day == _p("day"), T.c.origin_service == _p("service")))
RECENT_DURATIONS = (select(T.c.finished_at - func.coalesce(T.c.started_at, T.c.called_at))
                    .where(and_(T.c.service == _p("service"), T.c.status == "done"))
                    .order_by(T.c.finished_at.desc()).limit(_p("limit")))
_upsert = sqlite_insert(T)
UPSERT_TICKET = _upsert.on_conflict_do_update(
    index_elements=["id"], set_={c.name: _upsert.excluded[c.name] for c in T.columns if c.name != "id"})
WINDOW_BY_ID = select(W).where(W.c.id == _p("id"))
OPEN_WINDOWS = select(func.count()).where(and_(W.c.status == "open", W.c.id.in_(_p("ids", expanding=True))))
UPDATE_WINDOW = W.update().where(W.c.id == _p("wid")).values(
    status=_p("status"), current=_p("current"), green_streak=_p("streak"), staff=_p("staff"))
IDEMPOTENT = select(K.c.request, K.c.ticket_id).where(and_(K.c.device == _p("device"), K.c.key == _p("key")))
STATE = select(H.c.value).where(H.c.key == _p("key"))
_state_upsert = sqlite_insert(H)
SET_STATE = _state_upsert.on_conflict_do_update(index_elements=["key"],
                                                set_={"value": _state_upsert.excluded.value})
LAST_SEQ = select(func.coalesce(func.max(E.c.seq), 0))
LAST_EVENT_AT = select(E.c.at).order_by(E.c.seq.desc()).limit(1)
EVENTS_AFTER = (select(E.c.seq, E.c.type, E.c.data).where(E.c.seq > _p("seq"))
                .order_by(E.c.seq).limit(_p("limit")))


AP = schema.appointments
APPOINTMENT_BY_CODE = select(AP).where(AP.c.code == _p("code"))
APPOINTMENT_BY_TOKEN = select(AP).where(AP.c.token == _p("token"))
BOOKED_COUNTS = (select(AP.c.slot_start, func.count())
                 .where(and_(AP.c.service == _p("service"), AP.c.day == _p("day"),
                             AP.c.status.in_((BOOKED, CHECKED_IN))))
                 .group_by(AP.c.slot_start))
PENDING_BOOKINGS = select(func.count()).where(and_(
    AP.c.day == _p("day"), AP.c.service == _p("service"), AP.c.status == BOOKED))
_ap_upsert = sqlite_insert(AP)
UPSERT_APPOINTMENT = _ap_upsert.on_conflict_do_update(
    index_elements=["id"], set_={c.name: _ap_upsert.excluded[c.name] for c in AP.columns if c.name != "id"})

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def _ts(dt: datetime | None) -> int | None:
    """A datetime as exact microseconds since the epoch (a float timestamp would round)."""
    return (dt - _EPOCH) // _US if dt is not None else None


class Tx:
    """One transaction's view of the store (see interface.HallTx), under the hall config the
    hub read it with: its time zone for the times read, its names for the events written."""

    def __init__(self, conn: Connection, config: HallConfig, encode_event: EventEncoder):
        self.conn, self.config, self.encode_event = conn, config, encode_event
        self.tz = ZoneInfo(config.timezone)  # ZoneInfo keeps one instance per key
        self.written: list[StoredEvent] = []

    # -- tickets --------------------------------------------------------------------------

    def _dt(self, value: int | None) -> datetime | None:
        return (_EPOCH + value * _US).astimezone(self.tz) if value is not None else None

    def _ticket(self, row) -> Ticket:
        m = row._mapping
        return Ticket(
            id=m["id"], number=m["number"], seq_no=m["seq_no"], day=m["day"], service=m["service"],
            origin_service=m["origin_service"], priority=m["priority"], status=m["status"],
            issued_at=self._dt(m["issued_at"]), queued_at=self._dt(m["queued_at"]),
            token=m["token"], called_at=self._dt(m["called_at"]),
            started_at=self._dt(m["started_at"]), finished_at=self._dt(m["finished_at"]),
            window=m["window"], rating=m["rating"], lang=m["lang"], device=m["device"],
            transfers=m["transfers"], calls=m["calls"], cancel_reason=m["cancel_reason"],
            first_called_at=self._dt(m["first_called_at"]), staff=m["staff"],
            appointment_code=m["appointment_code"], slot_start=self._dt(m["slot_start"]),
            slot_late=bool(m["slot_late"]), rating_comment=m["rating_comment"])

    def _tickets(self, query) -> list[Ticket]:
        return [self._ticket(r) for r in self.conn.execute(query)]

    def ticket(self, ticket_id: str | None) -> Ticket | None:
        if ticket_id is None:
            return None
        row = self.conn.execute(TICKET_BY_ID, {"id": ticket_id}).first()
        return self._ticket(row) if row else None

    def ticket_by_token(self, token: str) -> Ticket | None:
        row = self.conn.execute(TICKET_BY_TOKEN, {"token": token}).first()
        return self._ticket(row) if row else None

    def queue_heads(self, day: str, services) -> list[Ticket]:
        """The first waiting ticket of each service and priority, in queue order.

        The call rule only ever picks a head (green heads first, then the oldest head or the head
        of the window's first service), so this is all `rules.pick_next` needs, however long the
        queues grow.
        """
        return [self._ticket(r) for r in self.conn.execute(
            QUEUE_HEADS, {"day": day, "services": list(services)})]

    def queue_fronts(self, day: str, services, depth: int) -> list[Ticket]:
        """The first `depth` waiting tickets of each service and priority. Every call order keeps
        each of these queues in order, so they hold the first `depth` of any window's line."""
        return [self._ticket(r) for r in self.conn.execute(
            QUEUE_FRONTS, {"day": day, "services": list(services), "depth": depth})]

    def tickets_at_window(self, day: str, window_id: str) -> list[Ticket]:
        """The tickets of a hall day that a window called and still holds (done, no-show, …)."""
        return [self._ticket(r) for r in self.conn.execute(
            TICKETS_AT_WINDOW, {"day": day, "window": window_id})]

    def last_done_at_window(self, day: str, window_id: str) -> Ticket | None:
        """The ticket this window finished last today (what its rating keys rate)."""
        row = self.conn.execute(LAST_DONE_AT_WINDOW, {"day": day, "window": window_id}).first()
        return self._ticket(row) if row else None

    def count_ahead(self, ticket: Ticket, now: datetime | None = None) -> int:
        """SQL form of `queue_order.ahead_of` (tests hold the two to the same answers)."""
        params = {"day": ticket.day, "service": ticket.service, "id": ticket.id,
                  "q": _ts(ticket.queued_at), "s": ticket.seq_no}
        if ticket.priority == "green":
            query = AHEAD_OF_GREEN
        elif rules.booked(ticket):
            query = AHEAD_OF_BEGUN if rules.slot_begun(ticket, now) else AHEAD_OF_TO_COME
            params["slot"] = _ts(ticket.slot_start)
        else:
            query = AHEAD_OF_NORMAL
            # now None: every slot counts as begun (as in rules.slot_begun)
            params["now"] = _ts(now) if now is not None else 2 ** 62
        return self.conn.execute(query, params).scalar_one()

    # -- appointments ---------------------------------------------------------------------

    def _appointment(self, row) -> Appointment:
        m = row._mapping
        return Appointment(id=m["id"], code=m["code"], token=m["token"], service=m["service"],
                           day=m["day"], start=self._dt(m["slot_start"]), end=self._dt(m["slot_end"]),
                           status=m["status"], created_at=self._dt(m["created_at"]),
                           phone=m["phone"], lang=m["lang"], ticket_id=m["ticket_id"])

    def appointment_by_code(self, code: str) -> Appointment | None:
        row = self.conn.execute(APPOINTMENT_BY_CODE, {"code": code}).first()
        return self._appointment(row) if row else None

    def appointment_by_token(self, token: str) -> Appointment | None:
        row = self.conn.execute(APPOINTMENT_BY_TOKEN, {"token": token}).first()
        return self._appointment(row) if row else None

    def booked_counts(self, service: str, day: str) -> dict[datetime, int]:
        """{slot start: bookings not cancelled} of a service's hall day."""
        return {self._dt(start): n for start, n in self.conn.execute(
            BOOKED_COUNTS, {"service": service, "day": day})}

    def pending_bookings(self, day: str, service: str) -> int:
        """A service's bookings of a hall day not checked in (nor cancelled)."""
        return self.conn.execute(PENDING_BOOKINGS, {"day": day, "service": service}).scalar_one()

    def appointments_of_day(self, day: str, service: str | None = None) -> list[Appointment]:
        query = select(AP).where(AP.c.day == day)
        if service is not None:
            query = query.where(AP.c.service == service)
        return [self._appointment(r) for r in self.conn.execute(
            query.order_by(AP.c.slot_start, AP.c.created_at, AP.c.id))]

    def save_appointment(self, a: Appointment) -> None:
        self.conn.execute(UPSERT_APPOINTMENT, dict(
            id=a.id, code=a.code, token=a.token, service=a.service, day=a.day,
            slot_start=_ts(a.start), slot_end=_ts(a.end), status=a.status,
            created_at=_ts(a.created_at), phone=a.phone, lang=a.lang, ticket_id=a.ticket_id))

    def open_tickets(self) -> list[Ticket]:
        return self._tickets(select(T).where(T.c.status.in_(OPEN_STATES)))

    def all_tickets(self) -> list[Ticket]:
        return self._tickets(select(T).order_by(T.c.issued_at))

    def tickets_of_day(self, day: str) -> list[Ticket]:
        return self._tickets(select(T).where(T.c.day == day).order_by(T.c.issued_at))

    def tickets_between(self, from_day: str, to_day: str, after: Ticket | None,
                        limit: int) -> list[Ticket]:
        """One chunk of the tickets of days from_day..to_day by (issue time, id), after `after`:
        keyset paging, so a long export never holds every ticket."""
        query = select(T).where(and_(T.c.day >= from_day, T.c.day <= to_day))
        if after is not None:
            at = _ts(after.issued_at)
            query = query.where(or_(T.c.issued_at > at, and_(T.c.issued_at == at, T.c.id > after.id)))
        return self._tickets(query.order_by(T.c.issued_at, T.c.id).limit(limit))

    def numbering(self, day: str, service: str) -> tuple[int, int]:
        """(last number issued, tickets issued) for a service on a hall day."""
        row = self.conn.execute(NUMBERING, {"day": day, "service": service}).one()
        return row[0], row[1]

    def recent_durations(self, service: str, limit: int) -> list[float]:
        rows = self.conn.execute(RECENT_DURATIONS, {"service": service, "limit": limit})
        return [r[0] / 1e6 for r in rows if r[0] is not None]

    def counts_by_service(self, day: str) -> tuple[dict, dict]:
        """({service: waiting}, {service: issued today})."""
        waiting = dict(self.conn.execute(
            select(T.c.service, func.count()).where(and_(T.c.day == day, T.c.status == WAITING))
            .group_by(T.c.service)).all())
        issued = dict(self.conn.execute(
            select(T.c.origin_service, func.count()).where(T.c.day == day)
            .group_by(T.c.origin_service)).all())
        return waiting, issued

    # -- windows --------------------------------------------------------------------------

    def window_state(self, window_id: str) -> WindowState:
        row = self.conn.execute(WINDOW_BY_ID, {"id": window_id}).one()
        return WindowState(row.id, row.status, row.current, row.green_streak, row.staff)

    def current_tickets(self) -> dict[str, Ticket]:
        """{ticket id: ticket} of every ticket some window has now, in one query."""
        return {t.id: t for t in self._tickets(select(T).join(W, W.c.current == T.c.id))}

    def open_windows(self, window_ids) -> int:
        return self.conn.execute(OPEN_WINDOWS, {"ids": list(window_ids)}).scalar_one()

    def window_states(self) -> dict[str, WindowState]:
        return {r.id: WindowState(r.id, r.status, r.current, r.green_streak, r.staff)
                for r in self.conn.execute(select(schema.windows))}

    def add_windows(self, windows: Iterable[Window]) -> None:
        """Give windows new to the hall config their row (in the status the config gives them)."""
        existing = {r[0] for r in self.conn.execute(select(W.c.id))}
        new = [{"id": w.id, "status": w.status, "current": None, "green_streak": 0}
               for w in windows if w.id not in existing]
        if new:
            self.conn.execute(W.insert(), new)

    # -- idempotency and hall state --------------------------------------------------------

    def idempotent(self, device: str, key: str) -> tuple[str, str] | None:
        row = self.conn.execute(IDEMPOTENT, {"device": device, "key": key}).first()
        return (row.request, row.ticket_id) if row else None

    def remember_idempotency(self, device: str, key: str, request: str, ticket_id: str,
                             now: datetime) -> None:
        self.conn.execute(K.insert(), {"device": device, "key": key, "request": request,
                                       "ticket_id": ticket_id, "created_at": _ts(now)})

    def state(self, key: str, default=None):
        row = self.conn.execute(STATE, {"key": key}).first()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value) -> None:
        self.conn.execute(SET_STATE, {"key": key, "value": json.dumps(value, ensure_ascii=False)})

    # -- device status --------------------------------------------------------------------

    def device_statuses(self) -> dict[str, tuple[dict, datetime]]:
        return {r.device: (json.loads(r.status), self._dt(r.updated_at))
                for r in self.conn.execute(select(D))}

    def set_device_status(self, device: str, status: dict, now: datetime) -> None:
        stmt = sqlite_insert(D).values(device=device, status=json.dumps(status, ensure_ascii=False),
                                       updated_at=_ts(now))
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["device"], set_={"status": stmt.excluded.status,
                                             "updated_at": stmt.excluded.updated_at}))

    def waiting_by_number(self, day: str, number: str) -> Ticket | None:
        """Today's waiting ticket with this number (numbers are unique per hall day: each
        service has its own prefix, and a transferred ticket keeps its number)."""
        row = self.conn.execute(select(T).where(and_(
            T.c.day == day, T.c.number == number, T.c.status == WAITING))).first()
        return self._ticket(row) if row else None

    # -- the hall config's versions and the audit log -------------------------------------

    def hall_version(self) -> int:
        """The newest stored version of the hall (0: none yet)."""
        return self.conn.execute(HALL_VERSION).scalar_one()

    def hall_config(self, version: int | None = None) -> tuple[int, dict] | None:
        """(version, the hall keyed as in the TOML) of the newest version, or of `version`."""
        query = select(C.c.version, C.c.data)
        query = query.where(C.c.version == version) if version is not None else \
            query.order_by(C.c.version.desc()).limit(1)
        row = self.conn.execute(query).first()
        return (row.version, json.loads(row.data)) if row else None

    def save_hall(self, version: int, data: dict, now: datetime, actor: Actor) -> None:
        self.conn.execute(C.insert(), {"version": version, "at": _ts(now),
                                       "actor": json.dumps(actor.as_dict()),
                                       "data": json.dumps(data, ensure_ascii=False)})

    def add_audit(self, entries: Iterable[AuditEntry]) -> None:
        rows = [{"at": _ts(e.at), "actor_kind": e.actor.kind, "actor_id": e.actor.id,
                 "action": e.action, "target": e.target,
                 "before": None if e.before is None else json.dumps(e.before, ensure_ascii=False),
                 "after": None if e.after is None else json.dumps(e.after, ensure_ascii=False)}
                for e in entries]
        if rows:
            seq = self.conn.execute(AUDIT_SEQ).scalar_one()
            for i, row in enumerate(rows, start=seq + 1):
                row["seq"] = i
            # One entry (every window action) as a plain execute: SQLAlchemy's executemany
            # path costs more than the insert itself on the call path.
            self.conn.execute(AUDIT_INSERT, rows[0] if len(rows) == 1 else rows)

    def audit_after(self, after: int, limit: int) -> list[AuditEntry]:
        return self._audit(select(A).where(A.c.seq > after).order_by(A.c.seq).limit(limit))

    def audit_before(self, before: int, limit: int) -> list[AuditEntry]:
        """The entries before `before`, newest first (the log as staff read it)."""
        return self._audit(select(A).where(A.c.seq < before).order_by(A.c.seq.desc()).limit(limit))

    def _audit(self, query) -> list[AuditEntry]:
        return [AuditEntry(self._dt(r.at), Actor(r.actor_kind, r.actor_id), r.action, r.target,
                           None if r.before is None else json.loads(r.before),
                           None if r.after is None else json.loads(r.after), r.seq)
                for r in self.conn.execute(query)]

    # -- devices seen ---------------------------------------------------------------------

    def devices_seen(self) -> dict[str, tuple[datetime, bool]]:
        """{device id: (last seen, online as last announced)}."""
        return {r.device: (self._dt(r.last_seen), bool(r.online))
                for r in self.conn.execute(select(S))}

    def mark_seen(self, seen: dict[str, datetime]) -> None:
        """Record when devices were seen; a time earlier than the stored one (another hub
        process saw the device later) is kept out."""
        for device, at in seen.items():
            stmt = sqlite_insert(S).values(device=device, last_seen=_ts(at), online=0)
            self.conn.execute(stmt.on_conflict_do_update(
                index_elements=["device"],
                set_={"last_seen": greater(S.c.last_seen, stmt.excluded.last_seen)}))

    def set_online(self, device: str, online: bool) -> None:
        self.conn.execute(S.update().where(S.c.device == device).values(online=int(online)))

    # -- events ---------------------------------------------------------------------------

    def last_seq(self) -> int:
        return self.conn.execute(LAST_SEQ).scalar_one()

    def last_event_at(self) -> datetime | None:
        """When the newest event happened: no hub process may stamp a change before it."""
        return self._dt(self.conn.execute(LAST_EVENT_AT).scalar())

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        return [StoredEvent(*r) for r in self.conn.execute(EVENTS_AFTER, {"seq": seq, "limit": limit})]

    def latest_events(self, day: str, types, limit: int) -> list[StoredEvent]:
        """The newest events of some types on a hall day, newest first."""
        return [StoredEvent(*r) for r in self.conn.execute(
            select(E.c.seq, E.c.type, E.c.data).where(and_(E.c.day == day, E.c.type.in_(types)))
            .order_by(E.c.seq.desc()).limit(limit))]

    def transfers_of_day(self, day: str) -> list[Transfer]:
        # Read back from the events' wire form: old databases hold transfers nowhere else.
        rows = self.conn.execute(select(E.c.data).where(and_(
            E.c.day == day, E.c.type == events.TICKET_TRANSFERRED)).order_by(E.c.seq))
        return [Transfer(d.get("from_service"), (d.get("window") or {}).get("id"))
                for d in (json.loads(r[0]) for r in rows)]

    # -- writing an outcome ---------------------------------------------------------------

    def apply(self, outcome: Outcome, day: str) -> None:
        for t in outcome.tickets:
            values = dict(
                id=t.id, day=t.day, number=t.number, seq_no=t.seq_no, service=t.service,
                origin_service=t.origin_service, priority=t.priority, status=t.status,
                issued_at=_ts(t.issued_at), queued_at=_ts(t.queued_at), called_at=_ts(t.called_at),
                started_at=_ts(t.started_at), finished_at=_ts(t.finished_at), window=t.window,
                token=t.token, rating=t.rating, lang=t.lang, device=t.device,
                transfers=t.transfers, calls=t.calls, cancel_reason=t.cancel_reason,
                first_called_at=_ts(t.first_called_at), staff=t.staff,
                appointment_code=t.appointment_code, slot_start=_ts(t.slot_start),
                slot_late=int(t.slot_late), rating_comment=t.rating_comment)
            self.conn.execute(UPSERT_TICKET, values)
        for w in outcome.windows:
            self.conn.execute(UPDATE_WINDOW, {"wid": w.id, "status": w.status, "current": w.current,
                                              "streak": w.green_streak, "staff": w.staff})
        if outcome.events:
            seq = self.last_seq()
            rows = []
            for event in outcome.events:
                seq += 1
                data = self.encode_event(self.config, seq, event)
                rows.append(dict(seq=seq, type=event.type, at=_ts(event.at), day=day, data=data))
                self.written.append(StoredEvent(seq, event.type, data))
            self.conn.execute(schema.events.insert(), rows)

    # -- forwarding to the central (server/forwarding.py) -----------------------------------

    def staff_and_ratings(self, ticket_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """{ticket id: (the staff who served it, its rating)} as held now, in one query: what a
        forwarded batch adds to its events' tickets (the wire form leaves both out)."""
        ids = list(set(ticket_ids))
        if not ids:
            return {}
        return {r.id: (r.staff, r.rating) for r in self.conn.execute(
            select(T.c.id, T.c.staff, T.c.rating).where(T.c.id.in_(ids)))}


def alembic_config():
    """Alembic's configuration for this store's migrations (Alembic is imported only here: it
    costs the hub ~10 MB and is needed only when the schema is behind)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("hallcall.server.store").joinpath("migrations")))
    return cfg


class Store:
    """The SQLite store (see interface.HallStore)."""

    def __init__(self, url: str, encode_event: EventEncoder, create: bool = True,
                 read_only: bool = False):
        """encode_event: an event's wire form (the web edge's); create=False: the file must
        exist (see make_engine); read_only: never written."""
        self.encode_event = encode_event
        self.engine = make_engine(url, create=create, read_only=read_only)
        self._write_lock = threading.Lock()
        # Whether writes (and, apart, WAL checkpoints) work; each logs a fault once, not per call.
        self.write_health = StorageHealth(
            "a write", "writes answer 503 storage_unavailable until it clears")
        self.checkpoint_health = StorageHealth(
            "the WAL checkpoint", "the WAL keeps what is written until a checkpoint works again")
        # Called with the events of each commit, in sequence order, while writers are held back.
        self.on_commit: Callable[[list[StoredEvent]], None] | None = None

    def close(self) -> None:
        self.engine.dispose()

    @classmethod
    def open_existing(cls, url: str, encode_event: EventEncoder, read_only: bool = True) -> Store:
        """The store of a hub's database that must already exist at this code's schema, for the
        commands that read it (or close its day): never creates a file, never migrates."""
        store = cls(url, encode_event, create=False, read_only=read_only)
        try:
            found, tables = store._revision()
            if found != HEAD_REVISION:
                raise SchemaMismatch(database_path(store.engine), found, HEAD_REVISION, tables)
        except BaseException:
            store.close()
            raise
        return store

    def _revision(self) -> tuple[str | None, bool]:
        """(the schema's Alembic revision or None, whether the database has any table), asked
        without importing Alembic (~10 MB)."""
        with self.engine.connect() as conn, conn.begin():
            tables = set(inspect(conn).get_table_names())
            if "alembic_version" not in tables:
                return None, bool(tables)
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar(), True

    def at_head(self) -> bool:
        """Whether the schema is at HEAD_REVISION."""
        return self._revision()[0] == HEAD_REVISION

    def upgrade(self) -> None:
        """Bring the schema to the head revision."""
        if not self.at_head():
            from alembic import command

            cfg = alembic_config()
            with self._write_lock, self.engine.connect().execution_options(write=True) as conn:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")

    @contextmanager
    def write(self, config: HallConfig) -> Iterator[Tx]:
        """One write transaction. A storage failure anywhere in it (opening, a statement, the
        commit) becomes `StorageUnavailable`, with nothing of the transaction kept."""
        asked = time.perf_counter()
        with self._write_lock:
            timing.record("lock", time.perf_counter() - asked)
            try:
                with self.engine.connect().execution_options(write=True) as conn:
                    transaction = conn.begin()
                    try:
                        tx = Tx(conn, config, self.encode_event)
                        yield tx
                        committing = time.perf_counter()
                        transaction.commit()
                        timing.record("commit", time.perf_counter() - committing)
                    except BaseException as exc:
                        if storage_failure(exc):
                            # After a failed COMMIT SQLite may or may not have rolled back, and a
                            # ROLLBACK may fail in turn: closing the connection discards whatever
                            # it held, and the pool opens a fresh one for the next writer.
                            conn.invalidate()
                        else:
                            transaction.rollback()
                        raise
            except DBAPIError as exc:
                reason = storage_failure(exc)
                if reason is None:
                    raise
                self.write_health.failed(reason, exc)
                raise StorageUnavailable(reason) from None  # the log has SQLite's words once
            self.write_health.succeeded()
            # Committed: now the world may hear of it, in order, before the next writer runs.
            if tx.written and self.on_commit is not None:
                self.on_commit(tx.written)

    def probe(self, config: HallConfig) -> None:
        """A small real write, so a storage fault is seen to clear even while no one writes
        (the hub's follower calls it while writes fail)."""
        with self.write(config) as tx:
            tx.set_state(PROBE_KEY, datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def checkpoint(self) -> None:
        """Copy the WAL into the database without blocking writers (PASSIVE). On a full disk the
        copy may fail while writes still fit in the WAL: logged apart from the writes'
        health, raised as `StorageUnavailable`, and tried again at the next call.
        PostgreSQL has no WAL of the hub's to copy (the server checkpoints its own): nothing."""
        if self.engine.dialect.name != "sqlite":
            return
        try:
            with self.engine.connect() as conn:
                # On the driver's connection: SQLAlchemy would wrap it in a transaction, and a
                # checkpoint inside a read transaction cannot pass that reader's snapshot.
                conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (DBAPIError, sqlite3.Error) as exc:
            reason = storage_failure(exc)
            if reason is None:
                raise
            self.checkpoint_health.failed(reason, exc)
            raise StorageUnavailable(reason) from None
        self.checkpoint_health.succeeded()

    @contextmanager
    def read(self, config: HallConfig) -> Iterator[Tx]:
        """One read transaction (one snapshot). A storage failure (on PostgreSQL: the server
        gone) is `StorageUnavailable`, as for a write, and counts as the store's fault: the
        follower then probes each second until a write works again, and logs when it does."""
        try:
            with self.engine.connect() as conn:
                with conn.begin():
                    yield Tx(conn, config, self.encode_event)
        except DBAPIError as exc:
            reason = storage_failure(exc)
            if reason is None:
                raise
            self.write_health.failed(reason, exc)
            raise StorageUnavailable(reason) from None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold back this process's writers (the event bus uses it to merge other processes' events)."""
        with self._write_lock:
            yield
