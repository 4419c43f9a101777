"""The store: loads the slice of queue state an operation needs and writes its outcome.

All writes go through `Store.write()`: one SQLite transaction opened with BEGIN IMMEDIATE, so the
state an operation reads cannot change under it in this or any other process, and the state change
and its events commit together. Within one process a lock queues writers in front of SQLite: its
busy handler sleeps in growing steps, which would put waits of tens of milliseconds on a busy kiosk.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo
from importlib import resources

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ..config.model import HallConfig
from ..engine.model import OPEN_STATES, WAITING, Outcome, Ticket, WindowState
from ..serialize import event_dict
from . import schema
from .db import make_engine

T = schema.tickets
# The newest migration in migrations/versions; tests check that the two agree.
HEAD_REVISION = "0001"


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    type: str
    data: str  # JSON, exactly as the event stream sends it


def _ts(dt: datetime | None) -> float | None:
    return dt.timestamp() if dt is not None else None


class Tx:
    """One transaction's view of the store."""

    def __init__(self, conn: Connection, config: HallConfig, tz: tzinfo):
        self.conn, self.config, self.tz = conn, config, tz
        self.written: list[StoredEvent] = []

    # -- tickets --------------------------------------------------------------------------

    def _dt(self, value: float | None) -> datetime | None:
        return datetime.fromtimestamp(value, self.tz) if value is not None else None

    def _ticket(self, row) -> Ticket:
        m = row._mapping
        return Ticket(
            id=m["id"], number=m["number"], seq_no=m["seq_no"], day=m["day"], service=m["service"],
            origin_service=m["origin_service"], priority=m["priority"], status=m["status"],
            issued_at=self._dt(m["issued_at"]), queued_at=self._dt(m["queued_at"]),
            token=m["token"], called_at=self._dt(m["called_at"]),
            started_at=self._dt(m["started_at"]), finished_at=self._dt(m["finished_at"]),
            window=m["window"], rating=m["rating"], lang=m["lang"], device=m["device"],
            transfers=m["transfers"], calls=m["calls"])

    def _tickets(self, query) -> list[Ticket]:
        return [self._ticket(r) for r in self.conn.execute(query)]

    def ticket(self, ticket_id: str | None) -> Ticket | None:
        if ticket_id is None:
            return None
        row = self.conn.execute(select(T).where(T.c.id == ticket_id)).first()
        return self._ticket(row) if row else None

    def ticket_by_token(self, token: str) -> Ticket | None:
        row = self.conn.execute(select(T).where(T.c.token == token)).first()
        return self._ticket(row) if row else None

    def queue_heads(self, day: str, services) -> list[Ticket]:
        """The first waiting ticket of each service and priority, in queue order.

        The call rule only ever picks a head (green heads first, then the oldest head or the head
        of the window's first service), so this is all `rules.pick_next` needs, however long the
        queues grow.
        """
        ranked = select(T, func.row_number().over(
            partition_by=(T.c.service, T.c.priority),
            order_by=(T.c.queued_at, T.c.seq_no, T.c.id)).label("rank")).where(and_(
                T.c.status == WAITING, T.c.day == day, T.c.service.in_(list(services)))).subquery()
        return self._tickets(select(*[ranked.c[c.name] for c in T.columns]).where(ranked.c.rank == 1))

    def count_ahead(self, ticket: Ticket) -> int:
        """SQL form of `estimate.ahead_of` (tests hold the two to the same answers)."""
        same_queue = and_(T.c.status == WAITING, T.c.day == ticket.day, T.c.service == ticket.service,
                          T.c.id != ticket.id)
        q, s = ticket.queued_at.timestamp(), ticket.seq_no
        earlier = or_(T.c.queued_at < q, and_(T.c.queued_at == q, or_(
            T.c.seq_no < s, and_(T.c.seq_no == s, T.c.id < ticket.id))))
        if ticket.priority == "green":
            rule = and_(T.c.priority == "green", earlier)
        else:
            rule = or_(T.c.priority == "green", and_(T.c.priority == ticket.priority, earlier))
        return self.conn.execute(select(func.count()).where(and_(same_queue, rule))).scalar_one()

    def open_tickets(self) -> list[Ticket]:
        return self._tickets(select(T).where(T.c.status.in_(OPEN_STATES)))

    def all_tickets(self) -> list[Ticket]:
        return self._tickets(select(T).order_by(T.c.issued_at))

    def tickets_of_day(self, day: str) -> list[Ticket]:
        return self._tickets(select(T).where(T.c.day == day).order_by(T.c.issued_at))

    def numbering(self, day: str, service: str) -> tuple[int, int]:
        """(last number issued, tickets issued) for a service on a hall day."""
        row = self.conn.execute(
            select(func.coalesce(func.max(T.c.seq_no), 0), func.count())
            .where(and_(T.c.day == day, T.c.origin_service == service))).one()
        return row[0], row[1]

    def recent_durations(self, service: str, limit: int) -> list[float]:
        rows = self.conn.execute(
            select(T.c.finished_at - func.coalesce(T.c.started_at, T.c.called_at))
            .where(and_(T.c.service == service, T.c.status == "done"))
            .order_by(T.c.finished_at.desc()).limit(limit))
        return [r[0] for r in rows if r[0] is not None]

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
        row = self.conn.execute(
            select(schema.windows).where(schema.windows.c.id == window_id)).one()
        return WindowState(row.id, row.status, row.current)

    def window_states(self) -> dict[str, WindowState]:
        return {r.id: WindowState(r.id, r.status, r.current)
                for r in self.conn.execute(select(schema.windows))}

    # -- idempotency and hall state --------------------------------------------------------

    def idempotent(self, device: str, key: str) -> tuple[str, str] | None:
        t = schema.idempotency
        row = self.conn.execute(select(t.c.request, t.c.ticket_id).where(
            and_(t.c.device == device, t.c.key == key))).first()
        return (row.request, row.ticket_id) if row else None

    def remember_idempotency(self, device: str, key: str, request: str, ticket_id: str,
                             now: datetime) -> None:
        self.conn.execute(schema.idempotency.insert().values(
            device=device, key=key, request=request, ticket_id=ticket_id, created_at=now.timestamp()))

    def state(self, key: str, default=None):
        row = self.conn.execute(select(schema.hall_state.c.value)
                                .where(schema.hall_state.c.key == key)).first()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value) -> None:
        stmt = sqlite_insert(schema.hall_state).values(key=key, value=json.dumps(value, ensure_ascii=False))
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["key"],
                                                     set_={"value": stmt.excluded.value}))

    # -- events ---------------------------------------------------------------------------

    def last_seq(self) -> int:
        return self.conn.execute(select(func.coalesce(func.max(schema.events.c.seq), 0))).scalar_one()

    def events_after(self, seq: int, limit: int = 1000) -> list[StoredEvent]:
        e = schema.events
        rows = self.conn.execute(select(e.c.seq, e.c.type, e.c.data).where(e.c.seq > seq)
                                 .order_by(e.c.seq).limit(limit))
        return [StoredEvent(*r) for r in rows]

    def events_of_day(self, day: str, types) -> list[dict]:
        e = schema.events
        rows = self.conn.execute(select(e.c.data).where(and_(e.c.day == day, e.c.type.in_(types)))
                                 .order_by(e.c.seq))
        return [json.loads(r[0]) for r in rows]

    # -- writing an outcome ---------------------------------------------------------------

    def apply(self, outcome: Outcome, day: str) -> None:
        for t in outcome.tickets:
            values = dict(
                id=t.id, day=t.day, number=t.number, seq_no=t.seq_no, service=t.service,
                origin_service=t.origin_service, priority=t.priority, status=t.status,
                issued_at=_ts(t.issued_at), queued_at=_ts(t.queued_at), called_at=_ts(t.called_at),
                started_at=_ts(t.started_at), finished_at=_ts(t.finished_at), window=t.window,
                token=t.token, rating=t.rating, lang=t.lang, device=t.device,
                transfers=t.transfers, calls=t.calls)
            stmt = sqlite_insert(T).values(**values)
            self.conn.execute(stmt.on_conflict_do_update(
                index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id"}))
        for w in outcome.windows:
            self.conn.execute(schema.windows.update().where(schema.windows.c.id == w.id)
                              .values(status=w.status, current=w.current))
        if outcome.events:
            seq = self.last_seq()
            rows = []
            for event in outcome.events:
                seq += 1
                data = json.dumps(event_dict(self.config, seq, event), ensure_ascii=False,
                                  separators=(",", ":"))
                rows.append(dict(seq=seq, type=event.type, at=event.at.timestamp(), day=day, data=data))
                self.written.append(StoredEvent(seq, event.type, data))
            self.conn.execute(schema.events.insert(), rows)


class Store:
    def __init__(self, config: HallConfig, url: str):
        self.config = config
        self.tz: tzinfo = ZoneInfo(config.timezone)
        self.engine = make_engine(url)
        self._write_lock = threading.Lock()
        # Called with the events of each commit, in sequence order, while writers are held back.
        self.on_commit: Callable[[list[StoredEvent]], None] | None = None

    def close(self) -> None:
        self.engine.dispose()

    def at_head(self) -> bool:
        """Whether the schema is at HEAD_REVISION, asked without importing Alembic (~10 MB)."""
        with self.engine.connect() as conn, conn.begin():
            tables = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables:
                return False
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD_REVISION

    def upgrade(self) -> None:
        """Bring the schema to the head revision and add windows new to the config."""
        if not self.at_head():
            from alembic import command
            from alembic.config import Config

            cfg = Config()
            cfg.set_main_option("script_location",
                                str(resources.files("server.store").joinpath("migrations")))
            with self._write_lock, self.engine.connect().execution_options(write=True) as conn:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        with self.write() as tx:
            existing = {r[0] for r in tx.conn.execute(select(schema.windows.c.id))}
            new = [{"id": w.id, "status": w.status, "current": None}
                   for w in self.config.windows if w.id not in existing]
            if new:
                tx.conn.execute(schema.windows.insert(), new)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._write_lock:
            with self.engine.connect().execution_options(write=True) as conn:
                with conn.begin():
                    tx = Tx(conn, self.config, self.tz)
                    yield tx
            # Committed: now the world may hear of it, in order, before the next writer runs.
            if tx.written and self.on_commit is not None:
                self.on_commit(tx.written)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield Tx(conn, self.config, self.tz)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold back this process's writers (the event bus uses it to merge other processes' events)."""
        with self._write_lock:
            yield
