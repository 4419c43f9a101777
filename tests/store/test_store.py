"""The store: schema by Alembic, durable settings, concurrent writers, events across processes.

The guarantees run on both engines (`store_url`: a SQLite file and a PostgreSQL database, see
tests/pg_support.py); what only one engine has (SQLite's WAL and PRAGMAs) is tested on it alone."""
from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from helpers import small_hall
from pg_support import pg_only

from hallcall.server.hub import Hub
from hallcall.server.store import Store
from hallcall.server.store.repo import HEAD_REVISION, alembic_config
from hallcall.server.web.serialize import event_json, hall_json

HALL = small_hall()


def open_hub(url, follow=False, clock=None):
    hub = Hub(HALL, Store(url, event_json), clock=clock)
    hub.start(follow=follow)
    return hub


def test_schema_comes_from_alembic_and_head_matches(db_url, tmp_path):

    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION
    hub = open_hub(db_url)
    hub.stop()
    con = sqlite3.connect(tmp_path / "hall.db")
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert {r[0] for r in con.execute("SELECT id FROM windows")} == {"1", "2", "3"}
    finally:
        con.close()


def test_connections_commit_durably(store_url):
    hub = open_hub(store_url)
    try:
        with hub.store.read(hub.config) as tx:
            if pg_only(store_url):  # a commit is acknowledged once flushed to disk
                assert tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
                assert tx.conn.exec_driver_sql("SHOW fsync").scalar() == "on"
            else:
                assert tx.conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert tx.conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        hub.stop()


def test_schema_on_postgresql_is_alembics_with_times_in_64_bits(pg_url):
    """The same migrations make the tables on PostgreSQL; times (microseconds since the epoch,
    past 2**31 since 1970) fit only a BIGINT there, where INTEGER is 32 bits."""
    from sqlalchemy import inspect

    hub = open_hub(pg_url)
    try:
        with hub.store.read(hub.config) as tx:
            version = tx.conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            columns = {c["name"]: c["type"] for c in inspect(tx.conn).get_columns("tickets")}
        assert version == HEAD_REVISION
        assert all(columns[name].python_type is int and "BIG" in str(columns[name]).upper()
                   for name in ("issued_at", "queued_at", "called_at", "first_called_at"))
    finally:
        hub.stop()


def test_restart_keeps_state_and_continues_numbering(store_url):
    hub = open_hub(store_url)
    numbers = [hub.issue("a")[0].ticket.number for _ in range(3)]
    hub.act("1", "call-next")
    hub.stop()
    hub = open_hub(store_url)
    try:
        assert hub.issue("a")[0].ticket.number == "A004"
        assert hall_json(hub.snapshot())["windows"][0]["current"]["number"] == numbers[0]
    finally:
        hub.stop()


def test_two_hubs_on_one_file_never_duplicate(store_url):
    """Two hub instances (as two processes would) with many threads each."""
    hubs = [open_hub(store_url), open_hub(store_url)]
    try:
        def work(i):
            hub = hubs[i % 2]
            got = [hub.issue("a")[0].ticket.number for _ in range(10)]
            called = [hub.act(w, "call-next").ticket for w in ("1", "2")]
            return got, [c.id for c in called if c]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(8)))
        numbers = [n for got, _ in results for n in got]
        assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 81)]
        with hubs[0].store.read(hubs[0].config) as tx:
            tickets = tx.all_tickets()
        called_ever = [t for t in tickets if t.called_at is not None]
        # every call handed out a distinct ticket
        all_called = [tid for _, ids in results for tid in ids]
        assert len(all_called) == len(set(all_called))
        assert len(called_ever) == len(all_called)
    finally:
        for h in hubs:
            h.stop()


def test_events_are_numbered_in_commit_order_and_reach_other_hubs(store_url):
    a, b = open_hub(store_url, follow=True), open_hub(store_url, follow=True)
    try:
        seen = []
        stop = threading.Event()

        def listen():
            seq = a.bus.last_seq
            while not stop.is_set() and len(seen) < 6:
                for e in a.bus.wait_after(seq, 0.2) or []:
                    seen.append(e.seq)
                    seq = e.seq

        t = threading.Thread(target=listen)
        t.start()
        for hub in (a, b, b, a, b, a):
            hub.issue("b")
        deadline = time.monotonic() + 3
        while len(seen) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        t.join()
        assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6
        with a.store.read(a.config) as tx:
            assert [e.seq for e in tx.events_after(0)] == list(range(1, 7))
    finally:
        a.stop()
        b.stop()


# The store answers two questions in SQL for speed; they must agree with the engine's definitions.

from datetime import datetime, timedelta  # noqa: E402

from helpers import SHANGHAI  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hallcall.server.engine import estimate, rules  # noqa: E402
from hallcall.server.engine.model import Outcome, Ticket  # noqa: E402

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
ticket_specs = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.booleans(), st.integers(0, 4),
                                  st.sampled_from(["waiting", "waiting", "called", "done"])),
                        min_size=1, max_size=25)


def check_queue_answers(hub, specs):
    tickets = []
    for i, (service, green, minute, status) in enumerate(specs):
        # Equal minutes make ties on purpose; odd microseconds must survive the round trip.
        at = T0 + timedelta(minutes=minute, microseconds=987_653)
        tickets.append(Ticket(
            id=f"t{i:02d}", number=f"X{i:03d}", seq_no=i + 1, day="2026-11-26",
            service=service, origin_service=service, priority="green" if green else "normal",
            status=status, issued_at=at, queued_at=at, token=f"tok{i}",
            window="1" if status == "called" else None))
    with hub.store.write(hub.config) as tx:
        tx.apply(Outcome(tickets=tickets), "2026-11-26")
    with hub.store.read(hub.config) as tx:
        loaded = tx.all_tickets()
        assert sorted(loaded, key=lambda t: t.id) == tickets
        for t in loaded:
            same = [o for o in tickets if o.service == t.service]
            assert tx.count_ahead(t) == estimate.ahead_of(t, same) if t.status == "waiting" else True
        for window in HALL.windows:
            heads = tx.queue_heads("2026-11-26", window.services)
            assert rules.pick_next(window, heads) == rules.pick_next(window, tickets)


@given(specs=ticket_specs)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sql_queue_answers_match_the_engine(tmp_path_factory, specs):
    hub = open_hub(f"sqlite:///{tmp_path_factory.mktemp('q')}/q.db")
    try:
        check_queue_answers(hub, specs)
    finally:
        hub.stop()


@given(specs=ticket_specs)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sql_queue_answers_match_the_engine_on_postgresql(pg_url, specs):
    """PostgreSQL's own SQL for the same questions (its window functions, CASE types, NULL
    order): fewer examples, on one database emptied between them."""
    hub = open_hub(pg_url)
    try:
        with hub.store.write(hub.config) as tx:
            tx.conn.exec_driver_sql("DELETE FROM tickets")
        check_queue_answers(hub, specs)
    finally:
        hub.stop()


def test_upgrade_from_the_first_schema_keeps_the_data(store_url):
    """A hall running revision 0001 upgrades in place: tickets survive, new tables appear."""

    from alembic import command

    from hallcall.server.store import make_engine

    url = store_url
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("INSERT INTO windows (id, status) VALUES ('1', 'open')")
    engine.dispose()
    hub = open_hub(url)
    try:
        hub.issue("a")
        with hub.store.read(hub.config) as tx:
            version = tx.conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            assert version == HEAD_REVISION
            assert tx.device_statuses() == {}
        assert hall_json(hub.snapshot())["services"][0]["issued_today"] == 1
    finally:
        hub.stop()


def test_upgrade_to_0003_gives_old_cancelled_tickets_the_reason_their_events_recorded(store_url):
    """Tickets cancelled before the cancel_reason column: the phone page can still say why."""
    import json

    from alembic import command
    from sqlalchemy import text

    from hallcall.server.store import make_engine

    url = store_url
    engine = make_engine(url)
    cfg = alembic_config()
    rows = [("t1", "cancelled", "day_closed"), ("t2", "cancelled", "citizen"),
            ("t3", "cancelled", None), ("t4", "done", None)]
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        for i, (tid, status, reason) in enumerate(rows, 1):
            conn.exec_driver_sql(
                "INSERT INTO tickets (id, day, number, seq_no, service, origin_service, priority,"
                " status, issued_at, queued_at, token, transfers, calls) VALUES"
                f" ('{tid}', '2026-11-26', 'A00{i}', {i}, 'a', 'a', 'normal', '{status}', 0, 0,"
                f" 'tok{i}', 0, 0)")
            if reason:  # t3: cancelled with no event left (the events table was pruned)
                data = json.dumps({"seq": i, "type": "ticket.cancelled", "ticket": {"id": tid},
                                   "reason": reason})
                conn.execute(text(
                    "INSERT INTO events (seq, type, at, day, data) VALUES (:s, :t, 0, :d, :j)"),
                    {"s": i, "t": "ticket.cancelled", "d": "2026-11-26", "j": data})
    engine.dispose()
    hub = open_hub(url)
    try:
        with hub.store.read(hub.config) as tx:
            got = {t.id: t.cancel_reason for t in tx.all_tickets()}
        assert got == {"t1": "day_closed", "t2": "citizen", "t3": None, "t4": None}
    finally:
        hub.stop()


def test_sightings_and_device_statuses_upsert_keeping_the_latest_sighting(store_url):
    """mark_seen keeps the later of two sightings (another hub process may have written a later
    one first); a device's status is replaced whole. Each engine's own upsert and max."""
    hub = open_hub(store_url)
    try:
        late, early = T0 + timedelta(minutes=5), T0
        for seen in ({"k": late}, {"k": early, "b1": early}):
            with hub.store.write(hub.config) as tx:
                tx.mark_seen(seen)
        for status in ({"printer": {"paper": "ok"}}, {"printer": {"paper": "out"}}):
            with hub.store.write(hub.config) as tx:
                tx.set_device_status("k", status, late)
        with hub.store.read(hub.config) as tx:
            assert {d: at for d, (at, _) in tx.devices_seen().items()} == {"k": late, "b1": early}
            assert tx.device_statuses() == {"k": ({"printer": {"paper": "out"}}, late)}
    finally:
        hub.stop()


def test_a_place_in_line_is_counted_in_the_waiting_index_alone(make_hub):
    """Each ticket issued is answered with the number ahead of it: SQLite must count them in
    ix_tickets_waiting, never row by row in the table (a third of a flat-out writer's time)."""
    from sqlalchemy.dialects import sqlite

    from hallcall.server.store import repo

    hub = make_hub()
    for _ in range(3):
        hub.issue("company-name")
    with sqlite3.connect(hub.store.file) as db:
        for query in (repo.AHEAD_OF_NORMAL, repo.AHEAD_OF_GREEN, repo.AHEAD_OF_BEGUN,
                      repo.AHEAD_OF_TO_COME):
            form = repo._DriverForm.of(query, sqlite.dialect(), None)
            plan = " ".join(str(row[-1]) for row in db.execute(
                "EXPLAIN QUERY PLAN " + form.sql, [None] * len(form.names)))
            assert "COVERING INDEX ix_tickets_waiting" in plan, plan
