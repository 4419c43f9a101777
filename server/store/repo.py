"""The store: loads the slice of queue state an operation needs and writes its outcome.

All writes go through `Store.write()`: one SQLite transaction opened with BEGIN IMMEDIATE, so the
state an operation reads cannot change under it in this or any other process, and the state change
and its events commit together. Within one process a lock queues writers in front of SQLite: its
busy handler sleeps in growing steps, which would put waits of tens of milliseconds on a busy kiosk.
"""
from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, bindparam, case, func, inspect, literal, literal_column, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

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
from .group_commit import Group, Op, Turns
from .interface import Transfer
from .writer_lock import WriterLock

log = logging.getLogger(__name__)
R = TypeVar("R")
T = schema.tickets
PROBE_KEY = "storage_probe"  # hall_state key of Store.probe's write
# The newest migration in migrations/versions; tests check that the two agree.
HEAD_REVISION = "0008"
# How long Store.close waits for a write under way (SQLite's busy timeout is the longest one
# may take, plus its commit).
CLOSE_WAIT_S = 12.0
# A WAL checkpoint copies pages into the database and fsyncs it, and a commit meanwhile waits
# longer for the disk: at ten times a busy hall's peak, with one every 2 s, SQLite's commit took
# p99 3.4-6.2 ms and up to 21 ms, against 2.2 and 4.5 ms with none. So the follower's checkpoint
# waits for a moment without writes, while writes keep coming at most this long or this many
# commits (which bounds the WAL to some tens of MB at a thousand tickets a second).
CHECKPOINT_QUIET_S = 0.5
CHECKPOINT_AT_MOST_S = 30.0
CHECKPOINT_AT_MOST_COMMITS = 500


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


class _in_line(FunctionElement):
    """tickets.status, spelled as ix_tickets_waiting's condition spells it (schema.py): `+status`
    on SQLite, so that SQLite counts a ticket's place in line in that index alone."""
    inherit_cache = True
    type = String()


@compiles(_in_line)
def _in_line_sql(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_in_line, "sqlite")
def _in_line_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


_SAME_QUEUE = and_(_in_line(T.c.status) == literal_column(repr(WAITING)), T.c.day == _p("day"),
                   T.c.service == _p("service"), T.c.id != _p("id"))
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

# -- the write path's own (group commit) -------------------------------------------------------
# The newest event's seq and time in one statement (its seq is the greatest: seqs only grow).
LAST_EVENT = select(E.c.seq, E.c.at).order_by(E.c.seq.desc()).limit(1)
OPEN_WINDOW_IDS = select(W.c.id).where(W.c.status == "open")  # a hall has tens of windows
# Keys of Tx.cache: what a transaction's writers share while none of them changes it.
# (Recent service times are kept per (service, limit), under ("durations", service, limit).)
_LAST, _AUDIT, _OPEN, _DURATIONS = "last", "audit", "open", "durations"
_TC = {c.name: i for i, c in enumerate(T.columns)}  # a ticket row's columns by position
_TICKET_KEYS = ("id", "day", "number", "seq_no", "service", "origin_service", "priority", "status",
                "issued_at", "queued_at", "called_at", "started_at", "finished_at", "window",
                "token", "rating", "lang", "device", "transfers", "calls", "cancel_reason",
                "first_called_at", "staff", "appointment_code", "slot_start", "slot_late",
                "rating_comment")  # as Tx.apply gives them
K_INSERT, EVENT_INSERT = K.insert(), E.insert()


class _DriverForm:
    """A prebuilt statement as the SQLite driver runs it: its SQL and where each parameter
    goes. Run so, a statement costs the driver's few microseconds without SQLAlchemy's tens
    (which were a third of the hub's CPU); PostgreSQL, and any statement that needs SQLAlchemy's
    processing (typed binds, column defaults), go through SQLAlchemy. For the module's prebuilt
    statements only: each is compiled once and kept (by the statement itself) for good."""

    __slots__ = ("sql", "names", "defaults", "expanding", "_sized")
    _known: dict[tuple, _DriverForm | None] = {}

    def __init__(self, sql: str, names: tuple[str, ...], defaults: dict, expanding: frozenset):
        self.sql, self.names, self.defaults, self.expanding = sql, names, defaults, expanding
        self._sized: dict[tuple, str] = {}  # the SQL for each size of the expanding IN lists

    @classmethod
    def of(cls, stmt, dialect, keys: tuple | None) -> _DriverForm | None:
        known = cls._known.get((stmt, keys), False)
        if known is not False:
            return known
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        names = compiled.positiontup
        plain = (names is not None and not compiled.literal_execute_params
                 and not compiled.insert_prefetch  # a column default SQLAlchemy computes
                 and not any(compiled._bind_processors.get(n) for n in names))
        form = cls(compiled.string, tuple(names), {
            n: b.value for n, b in compiled.binds.items() if not b.required},
            frozenset(b.key for b in compiled.post_compile_params)) if plain else None
        cls._known[(stmt, keys)] = form
        return form

    def run(self, driver, given: dict):
        if not self.expanding:
            return driver.execute(self.sql, self.params(given))
        # An IN list (`expanding`) becomes one placeholder per item, as SQLAlchemy renders it.
        sizes = tuple(len(given[n]) for n in sorted(self.expanding))
        sql = self._sized.get(sizes)
        if sql is None:
            sql = self.sql
            for name, size in zip(sorted(self.expanding), sizes, strict=True):
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * size) or "NULL")
            self._sized[sizes] = sql
        params = []
        for n in self.names:
            if n in self.expanding:
                params.extend(given[n])
            else:
                params.append(given[n] if n in given else self.defaults[n])
        return driver.execute(sql, params)

    def params(self, given: dict) -> list:
        defaults = self.defaults
        return [given[n] if n in given else defaults[n] for n in self.names]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def _ts(dt: datetime | None) -> int | None:
    """A datetime as exact microseconds since the epoch (a float timestamp would round)."""
    return (dt - _EPOCH) // _US if dt is not None else None


class Tx:
    """One transaction's view of the store (see interface.HallTx), under the hall config the
    hub read it with: its time zone for the times read, its names for the events written."""

    def __init__(self, conn: Connection, config: HallConfig, encode_event: EventEncoder,
                 cache: dict | None = None):
        """cache: what the writers before this one in its group found (Store.write), kept up
        to date by this one's writes."""
        self.conn, self.config, self.encode_event = conn, config, encode_event
        self.tz = ZoneInfo(config.timezone)  # ZoneInfo keeps one instance per key
        self.written: list[StoredEvent] = []
        self.cache = {} if cache is None else cache
        self._driver = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        # Set by a change the hub reads back as committed (the hall day it caches): the group
        # is committed with it, before the next writer reads.
        self.closing = False

    # -- running the hot statements ---------------------------------------------------------

    def _run(self, stmt, params: dict | None = None, keys: tuple | None = None):
        """Execute a prebuilt statement; the rows are tuples in its columns' order (by the
        driver on SQLite, see _DriverForm). keys: an INSERT's columns, as given in params."""
        if self._driver is not None:
            form = _DriverForm.of(stmt, self.conn.dialect, keys)
            if form is not None:
                return form.run(self._driver, params or {})
        return self.conn.execute(stmt, params)

    def _first(self, stmt, params: dict | None = None):
        return self._run(stmt, params).fetchone()

    def _scalar(self, stmt, params: dict | None = None):
        row = self._run(stmt, params).fetchone()
        return row[0] if row is not None else None

    def _insert(self, stmt, rows: list[dict]) -> None:
        keys = tuple(rows[0])
        if self._driver is not None and len(rows) > 1:
            form = _DriverForm.of(stmt, self.conn.dialect, keys)
            if form is not None:
                self._driver.executemany(form.sql, [form.params(r) for r in rows])
                return
        if len(rows) > 1:
            self.conn.execute(stmt, rows)
        else:
            self._run(stmt, rows[0], keys)

    # -- tickets --------------------------------------------------------------------------

    def _dt(self, value: int | None) -> datetime | None:
        return (_EPOCH + value * _US).astimezone(self.tz) if value is not None else None

    def _ticket(self, row) -> Ticket:
        # By position (the tickets table's column order): a driver's row is a plain tuple.
        m = {name: row[i] for name, i in _TC.items()}
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
        row = self._first(TICKET_BY_ID, {"id": ticket_id})
        return self._ticket(row) if row else None

    def ticket_by_token(self, token: str) -> Ticket | None:
        row = self._first(TICKET_BY_TOKEN, {"token": token})
        return self._ticket(row) if row else None

    def queue_heads(self, day: str, services) -> list[Ticket]:
        """The first waiting ticket of each service and priority, in queue order.

        The call rule only ever picks a head (green heads first, then the oldest head or the head
        of the window's first service), so this is all `rules.pick_next` needs, however long the
        queues grow.
        """
        return [self._ticket(r) for r in self._run(
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
        return self._scalar(query, params)

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
        row = self._first(NUMBERING, {"day": day, "service": service})
        return row[0], row[1]

    def recent_durations(self, service: str, limit: int) -> list[float]:
        key = (_DURATIONS, service, limit)
        found = self.cache.get(key)
        if found is None:
            rows = self._run(RECENT_DURATIONS, {"service": service, "limit": limit})
            found = self.cache[key] = [r[0] / 1e6 for r in rows if r[0] is not None]
        return list(found)

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
        row = self._first(WINDOW_BY_ID, {"id": window_id})
        if row is None:
            raise LookupError(f"no window {window_id!r} in the store")
        return WindowState(*row)

    def current_tickets(self) -> dict[str, Ticket]:
        """{ticket id: ticket} of every ticket some window has now, in one query."""
        return {t.id: t for t in self._tickets(select(T).join(W, W.c.current == T.c.id))}

    def open_windows(self, window_ids) -> int:
        # Every open window in one statement without parameters, kept for the transaction's
        # next writers until a window changes: the hall has tens of windows.
        found = self.cache.get(_OPEN)
        if found is None:
            found = self.cache[_OPEN] = frozenset(r[0] for r in self._run(OPEN_WINDOW_IDS))
        return sum(1 for w in window_ids if w in found)

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
            self.cache.pop(_OPEN, None)

    # -- idempotency and hall state --------------------------------------------------------

    def idempotent(self, device: str, key: str) -> tuple[str, str] | None:
        row = self._first(IDEMPOTENT, {"device": device, "key": key})
        return (row[0], row[1]) if row else None

    def remember_idempotency(self, device: str, key: str, request: str, ticket_id: str,
                             now: datetime) -> None:
        self._insert(K_INSERT, [{"device": device, "key": key, "request": request,
                                 "ticket_id": ticket_id, "created_at": _ts(now)}])

    def state(self, key: str, default=None):
        row = self._first(STATE, {"key": key})
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value) -> None:
        self._run(SET_STATE, {"key": key, "value": json.dumps(value, ensure_ascii=False)},
                  ("key", "value"))
        self.closing = True  # the hall day, sessions: rare, and read back by the hub as committed

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
            # Read once per transaction: only its writers add entries, and each keeps it.
            seq = self.cache.get(_AUDIT)
            if seq is None:
                seq = self._scalar(AUDIT_SEQ)
            for i, row in enumerate(rows, start=seq + 1):
                row["seq"] = i
            self._insert(AUDIT_INSERT, rows)
            self.cache[_AUDIT] = rows[-1]["seq"]

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

    def _last_event(self) -> tuple[int, int | None]:
        """(seq, time in µs) of the newest event, read once per transaction: in a write only
        this transaction's writers add events, and each keeps it up to date (apply)."""
        last = self.cache.get(_LAST)
        if last is None:
            row = self._first(LAST_EVENT)
            last = self.cache[_LAST] = (row[0], row[1]) if row else (0, None)
        return last

    def last_seq(self) -> int:
        return self._last_event()[0]

    def last_event_at(self) -> datetime | None:
        """When the newest event happened: no hub process may stamp a change before it."""
        return self._dt(self._last_event()[1])

    def _forget_durations(self) -> None:
        for key in [k for k in self.cache if isinstance(k, tuple) and k[0] == _DURATIONS]:
            del self.cache[key]

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
            self._run(UPSERT_TICKET, values, _TICKET_KEYS)
            if t.status != WAITING:  # served, rated, cancelled…: the recent service times may change
                self._forget_durations()
        if outcome.windows:
            self.cache.pop(_OPEN, None)
        for w in outcome.windows:
            self._run(UPDATE_WINDOW, {"wid": w.id, "status": w.status, "current": w.current,
                                      "streak": w.green_streak, "staff": w.staff})
        if outcome.events:
            seq = self.last_seq()
            rows = []
            for event in outcome.events:
                seq += 1
                data = self.encode_event(self.config, seq, event)
                rows.append(dict(seq=seq, type=event.type, at=_ts(event.at), day=day, data=data))
                self.written.append(StoredEvent(seq, event.type, data))
            self._insert(EVENT_INSERT, rows)
            self.cache[_LAST] = (seq, rows[-1]["at"])

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
        # Writers take turns by it, and share commits (group_commit.py).
        self._write_lock = Turns()
        self._group: Group | None = None  # the open write transaction, while it may grow
        # On SQLite the writers keep one connection between groups: drawing it from the pool
        # (and the pool's rollback when it is given back) cost as much as a ticket's statements.
        # PostgreSQL's is drawn per group, so the pool's pre-ping replaces one the server dropped.
        self._writer: Connection | None = None
        # Other hub processes on the same SQLite file queue by it (writer_lock.py).
        path = None if read_only or self.engine.dialect.name != "sqlite" else database_path(self.engine)
        # The SQLite file this store writes, beside which its processes meet (None: PostgreSQL,
        # in memory, or never written); the hub's nudge (server/nudge.py) makes its socket there.
        self.file = None if path is None else Path(path)
        self._file_lock = WriterLock(self.file)
        # Whether writes (and, apart, WAL checkpoints) work; each logs a fault once, not per call.
        self.write_health = StorageHealth(
            "a write", "writes answer 503 storage_unavailable until it clears")
        self.checkpoint_health = StorageHealth(
            "the WAL checkpoint", "the WAL keeps what is written until a checkpoint works again")
        # Since the last checkpoint: how many groups this process committed, and when the last.
        self._commits = 0
        self._last_commit = self._last_checkpoint = time.monotonic()
        # Called with the events of each commit, in sequence order, while writers are held back.
        self.on_commit: Callable[[list[StoredEvent]], None] | None = None
        # `run`'s writes, and the thread that runs them (started by the first).
        self._ops: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self._ops_lock = threading.Lock()
        self._writer_thread: threading.Thread | None = None
        self._closed = False

    def close(self) -> None:
        """Close the database. A writer still in its turn (a request under way while the hub
        stops) keeps its connection until it is done: closing it under the driver's statement
        made that request fail, and could crash the process in SQLite's C code. Taken without
        being counted as waiting, so no group is handed on to the closer; an open group (its
        next writer not yet in) is committed for its waiting members first. The writes queued
        for the writer thread are run first (`run` queues none once closed)."""
        with self._ops_lock:
            self._closed = True
            thread, self._writer_thread = self._writer_thread, None
            if thread is not None:
                self._ops.put(None)  # the end mark: after the ops queued so far
        if thread is not None:
            thread.join(CLOSE_WAIT_S)  # a write still under way past this is waited for below
        if self._write_lock.lock.acquire(timeout=CLOSE_WAIT_S):
            try:
                if self._group is not None:
                    try:
                        self._commit(self._group)
                    except StorageUnavailable:
                        pass  # its members hear of it; a stopping hub has no one else to tell
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
                self._file_lock.close()
            finally:
                self._write_lock.release()
        else:
            log.warning("closing the store while a write is still under way after %.0f s; its "
                        "connection is left to the process's end", CLOSE_WAIT_S)
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
        """One write, answered once durable. A storage failure anywhere in it (opening, a
        statement, the commit) becomes `StorageUnavailable`, with nothing of it kept.

        Writes share transactions (group_commit.py): each runs in its turn inside the open
        group's transaction, in a savepoint of its own unless it is the group's first, so a
        refused write (any other exception) leaves nothing behind and undoes nobody else's. A
        storage failure undoes the whole group: each of its writers gets StorageUnavailable.
        The busy writes go through `run` instead, whose batches need no turn each."""
        asked = time.perf_counter()
        self._write_lock.take()
        timing.record("lock", time.perf_counter() - asked)
        held = True
        try:
            group = self._group or self._open_group()
            first = self._enter(group)
            tx = Tx(group.conn, config, self.encode_event, dict(group.cache))
            try:
                yield tx
            except BaseException as exc:
                self._refused(group, first, exc)
                if self._group is group and not self._hand_on(group):
                    try:
                        self._commit(group)
                    except StorageUnavailable:
                        pass  # the others of the group hear of it; this one was refused anyway
                raise
            self._joined(group, first, tx)
            if self._hand_on(group):
                self._write_lock.release()
                held = False
                waiting = time.perf_counter()
                group.done.wait()
                timing.record("commit", time.perf_counter() - waiting)
                if group.db_s:
                    timing.record("db", group.db_s)
                if group.failure is not None:
                    raise StorageUnavailable(group.failure)
            else:
                self._commit(group)
        finally:
            if held:
                self._write_lock.release()

    def run(self, config: HallConfig, work: Callable[[Tx], R]) -> R:
        """`work(tx)` as one write, by the store's writer thread: returns what it returned once
        durable; raises what it raised (nothing of it kept), or StorageUnavailable.

        The same guarantees as `write`, for the writes that come in crowds (issuing, calling):
        the writer thread runs the writes queued meanwhile one after another in one group
        (group_commit.py), without handing the turn from thread to thread between them. With
        each writer in its own thread, every hand-over waited for the interpreter lock behind
        the other requests, and on a busy hub the queue behind the turn grew by that."""
        op = self.submit(config, work)
        return op.answer()

    def submit(self, config: HallConfig, work: Callable[[Tx], R],
               on_done: Callable[[Op], None] | None = None) -> Op:
        """`run` without waiting: the op, answered (`op.answer()`) once durable or refused;
        `on_done(op)` is called once then, by the writer thread (it must be quick). For the
        writer process (server/write_service.py), which answers many writers from one thread."""
        op = Op(config, work, on_done)
        with self._ops_lock:  # so that no op is queued behind close's end mark
            closed = self._closed
            if not closed:
                if self._writer_thread is None:
                    self._writer_thread = threading.Thread(target=self._serve_ops, daemon=True,
                                                           name="hallcall store writer")
                    self._writer_thread.start()
                self._ops.put(op)
        if closed:  # a request still under way while the hub stops: in a write of its own
            op.started = time.perf_counter()
            try:
                with self.write(config) as tx:
                    op.result = work(tx)
            except BaseException as exc:  # noqa: BLE001 - the op's answer raises it
                op.finish(error=exc)
            else:
                op.finish()
        return op

    def _serve_ops(self) -> None:
        while True:
            op = self._ops.get()
            if op is None:
                return
            self._write_lock.take()
            try:
                self._run_batch(op)
            finally:
                self._write_lock.release()

    def _run_batch(self, op: Op) -> None:
        """Run `op` and those queued after it, in one group while it may grow, then commit it
        (the turn is held). Every op is answered, whatever happens."""
        ops: list[Op] = []  # those whose work is in the group
        while op is not None:
            try:
                group = self._group or self._open_group()
            except BaseException as exc:
                op.finish(error=exc)
                break
            if self._run_op(group, op):
                ops.append(op)
            if self._group is not group or not group.may_grow():
                break  # committed for its first writer's refusal, undone, or full
            op = self._next_op()
        try:
            if self._group is not None:
                self._commit(self._group)
        except StorageUnavailable:
            pass  # its members hear of it (group.failure)
        except Exception:
            # Committed, but telling the world failed (as a `write` would raise it): the
            # writes are durable, so their writers are answered as such.
            log.exception("after a commit")
        finally:
            self._finish(ops)

    def _next_op(self) -> Op | None:
        try:
            op = self._ops.get_nowait()
        except queue.Empty:
            return None
        if op is None:  # closing: the loop ends after this batch
            self._ops.put(None)
        return op

    def _run_op(self, group: Group, op: Op) -> bool:
        """Run one op as a member of `group`: whether it joined (else it is answered)."""
        op.started = time.perf_counter()
        try:
            first = self._enter(group)
        except StorageUnavailable as failure:  # its savepoint failed: the group is undone
            op.finish(error=failure)
            return False
        tx = Tx(group.conn, op.config, self.encode_event, dict(group.cache))
        try:
            result = op.work(tx)
        except BaseException as exc:
            try:
                self._refused(group, first, exc)
            except StorageUnavailable as failure:
                exc = failure
            op.finish(error=exc)
            return False
        try:
            self._joined(group, first, tx)
        except StorageUnavailable as failure:
            op.finish(error=failure)
            return False
        op.result, op.group, op.ran = result, group, time.perf_counter()
        return True

    @staticmethod
    def _finish(ops: list[Op]) -> None:
        """Answer the ops of a group that is over: committed, or undone."""
        for op in ops:
            failure = op.group.failure
            op.finish(error=None if failure is None else StorageUnavailable(failure))

    def _enter(self, group: Group) -> bool:
        """A writer's work begins in `group`: whether it is the first (else in a savepoint)."""
        first = group.members == 0
        if not first:
            self._on_driver(group, "SAVEPOINT member")
        return first

    def _refused(self, group: Group, first: bool, exc: BaseException) -> None:
        """A writer's work raised `exc`: undo it. A storage failure undoes the group (raised
        as StorageUnavailable); otherwise nobody else's work goes with it."""
        if storage_failure(exc):
            raise self._undo(group, exc) from None
        if first:  # nobody else's work is in it: the whole transaction goes
            self._rollback(group)
        else:
            self._on_driver(group, "ROLLBACK TO SAVEPOINT member")
            self._on_driver(group, "RELEASE SAVEPOINT member")

    def _joined(self, group: Group, first: bool, tx: Tx) -> None:
        if not first:
            self._on_driver(group, "RELEASE SAVEPOINT member")
        group.join(tx.written, tx.cache, tx.closing)

    def _hand_on(self, group: Group) -> bool:
        """Whether to leave the group open for a writer waiting for its turn (it, or the last
        of the writers after it, commits for all of them)."""
        return self._write_lock.waiting > 0 and group.may_grow()

    def _open_group(self) -> Group:
        conn = self._writer
        if conn is None:
            try:
                conn = self.engine.connect().execution_options(write=True)
            except DBAPIError as exc:
                raise self._failed(exc) from None
            if self.engine.dialect.name == "sqlite":
                self._writer = conn
        asked = time.perf_counter()
        file_locked = self._file_lock.acquire()
        timing.record("lock", time.perf_counter() - asked)
        try:
            group = Group(conn, conn.begin(), file_locked)
        except BaseException as exc:
            if file_locked:
                self._file_lock.release()
            self._discard(conn, exc)
            if isinstance(exc, DBAPIError):
                raise self._failed(exc) from None
            raise
        self._group = group
        return group

    def _on_driver(self, group: Group, sql: str) -> None:
        """A savepoint statement, on the driver's connection: SQLAlchemy's nested transactions
        would cost more than the member's own statements."""
        try:
            group.conn.connection.dbapi_connection.cursor().execute(sql)
        except BaseException as exc:
            raise self._undo(group, exc) from None

    def _commit(self, group: Group) -> None:
        """Commit the group (the turn is held) and tell the world, in order, before the next
        group's writers run; its waiting members then answer."""
        self._group = None
        committing = time.perf_counter()
        try:
            group.transaction.commit()
        except BaseException as exc:
            raise self._undo(group, exc) from None
        group.db_s = time.perf_counter() - committing
        timing.record("db", group.db_s)
        self._end(group)
        self._give_back(group.conn)
        self._commits += 1
        self._last_commit = time.monotonic()
        timing.record("commit", time.perf_counter() - committing)
        self.write_health.succeeded()
        try:
            if group.written and self.on_commit is not None:
                self.on_commit(group.written)
        finally:
            group.done.set()

    def _undo(self, group: Group, exc: BaseException) -> Exception:
        """The group cannot be kept (a storage failure, or a savepoint or commit that failed):
        nothing of it is, and each of its writers hears StorageUnavailable (returned to raise)."""
        if self._group is group:
            self._group = None
        self._discard(group.conn, exc)
        self._end(group)
        reason = (exc.reason if isinstance(exc, StorageUnavailable)
                  else storage_failure(exc) or f"{type(exc).__name__}: {exc}")
        if storage_failure(exc):
            self.write_health.failed(reason, exc)
        group.failure = reason
        group.done.set()
        return StorageUnavailable(reason)

    def _end(self, group: Group) -> None:
        """The group's transaction is over (committed or undone): the next process may write."""
        if group.file_locked:
            group.file_locked = False
            self._file_lock.release()

    def _give_back(self, conn: Connection) -> None:
        if conn is not self._writer:
            conn.close()

    def _discard(self, conn: Connection, exc: BaseException) -> None:
        # After a failed statement or COMMIT SQLite may or may not have rolled back, and a
        # ROLLBACK may fail in turn: closing the connection discards whatever it held, and the
        # pool opens a fresh one for the next writer.
        if conn is self._writer:
            self._writer = None
        try:
            conn.invalidate(exc if isinstance(exc, Exception) else None)
        finally:
            conn.close()

    def _rollback(self, group: Group) -> None:
        """Undo a group that holds no member's work (its first writer was refused)."""
        self._group = None
        try:
            group.transaction.rollback()
        except BaseException as exc:
            self._undo(group, exc)
            return
        self._end(group)
        self._give_back(group.conn)
        group.done.set()

    def _failed(self, exc: DBAPIError) -> Exception:
        reason = storage_failure(exc)
        if reason is None:
            return exc
        self.write_health.failed(reason, exc)
        return StorageUnavailable(reason)  # the log has SQLite's words once

    def probe(self, config: HallConfig) -> None:
        """A small real write, so a storage fault is seen to clear even while no one writes
        (the hub's follower calls it while writes fail)."""
        with self.write(config) as tx:
            tx.set_state(PROBE_KEY, datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def checkpoint_due(self) -> bool:
        """Whether the follower should checkpoint now (see CHECKPOINT_QUIET_S)."""
        at = time.monotonic()
        return (at - self._last_commit >= CHECKPOINT_QUIET_S
                or at - self._last_checkpoint >= CHECKPOINT_AT_MOST_S
                or self._commits >= CHECKPOINT_AT_MOST_COMMITS)

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
        self._commits, self._last_checkpoint = 0, time.monotonic()
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
        except (DBAPIError, sqlite3.Error) as exc:  # the hot reads run on the driver (Tx._run)
            reason = storage_failure(exc)
            if reason is None:
                raise
            self.write_health.failed(reason, exc)
            raise StorageUnavailable(reason) from None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold back this process's writers (the event bus uses it to merge other processes'
        events). An open group is committed first: its members wait for it, and its events come
        before anything merged now."""
        with self._write_lock:
            if self._group is not None:
                self._commit(self._group)
            yield
