"""The store keeps a ticket's first call (revision 0005), old databases get it from their call
events, and both stores page a range of hall days by issue time."""
from __future__ import annotations

import json

import pytest
from helpers import FakeClock, small_hall

from hallcall.server.hub import Hub
from hallcall.server.store import Store
from hallcall.server.store.memory import MemoryStore
from hallcall.server.store.repo import alembic_config
from hallcall.server.web.serialize import event_json

HALL = small_hall()


def test_upgrade_to_0005_gives_old_tickets_their_earliest_call_event(store_url):
    """On both engines: 0005 reads the events' JSON in each one's own SQL."""
    from alembic import command
    from sqlalchemy import text

    from hallcall.server.store import make_engine

    url = store_url
    engine = make_engine(url)
    cfg = alembic_config()
    # t1 called twice (the later call is in called_at), t2 once, t3 never, t4 called with its
    # events pruned: only t1 and t2 can be told.
    rows = [("t1", "done", 5_000_000), ("t2", "called", 7_000_000), ("t3", "waiting", None),
            ("t4", "done", 9_000_000)]
    events = [("t1", 2_000_000), ("t2", 7_000_000), ("t1", 5_000_000)]
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        for i, (tid, status, called) in enumerate(rows, 1):
            conn.execute(text(
                "INSERT INTO tickets (id, day, number, seq_no, service, origin_service, priority,"
                " status, issued_at, queued_at, called_at, token, transfers, calls) VALUES"
                " (:id, '2026-11-26', :n, :i, 'a', 'a', 'normal', :st, 1000000, 1000000, :c, :tok,"
                " 0, 0)"), {"id": tid, "n": f"A00{i}", "i": i, "st": status, "c": called,
                            "tok": f"tok{i}"})
        event = text("INSERT INTO events (seq, type, at, day, data) "
                     "VALUES (:seq, :type, :at, '2026-11-26', :data)")
        for seq, (tid, at) in enumerate(events, 1):
            data = json.dumps({"seq": seq, "type": "ticket.called", "ticket": {"id": tid}})
            conn.execute(event, {"seq": seq, "type": "ticket.called", "at": at, "data": data})
        conn.execute(event, {  # another ticket's later event type must not count
            "seq": 4, "type": "ticket.issued", "at": 1, "data": json.dumps({"ticket": {"id": "t3"}})})
    engine.dispose()
    hub = Hub(HALL, Store(url, event_json))
    hub.start(follow=False)
    try:
        with hub.store.read(hub.config) as tx:
            got = {t.id: t.first_called_at for t in tx.all_tickets()}
            called = {t.id: t.called_at for t in tx.all_tickets()}
        assert got["t1"].timestamp() == 2 and called["t1"].timestamp() == 5
        assert got["t2"].timestamp() == 7
        assert got["t3"] is None and got["t4"] is None
    finally:
        hub.stop()


def test_the_first_call_survives_a_restart(db_url, clock):
    hub = Hub(HALL, Store(db_url, event_json), clock=clock)
    hub.start(follow=False)
    hub.issue("a", "normal")
    first = hub.act("1", "call-next").ticket
    clock.advance(minutes=2)
    hub.act("1", "no-show", requeue=True)
    clock.advance(minutes=2)
    again = hub.act("1", "call-next").ticket
    hub.stop()
    hub = Hub(HALL, Store(db_url, event_json), clock=clock)
    hub.start(follow=False)
    try:
        with hub.store.read(hub.config) as tx:
            (t,) = tx.all_tickets()
        assert t.first_called_at == first.called_at and t.called_at == again.called_at
        assert t.first_called_at < t.called_at
    finally:
        hub.stop()


@pytest.mark.parametrize("kind", ["sqlite", "pg", "memory"])
def test_tickets_between_pages_a_range_of_days_by_issue_time(kind, request):
    clock = FakeClock(step=0)  # tickets issued at one instant: the id breaks the tie
    store = (MemoryStore(event_json) if kind == "memory" else
             Store(request.getfixturevalue("db_url" if kind == "sqlite" else "pg_url"), event_json))
    hub = Hub(HALL, store, clock=clock)
    hub.start(follow=False)
    try:
        days = {}
        for day in (26, 27, 28, 29):
            clock.set(clock.now.replace(day=day, hour=9))
            for service in ("a", "b", "a"):
                hub.issue(service, "normal")
            clock.advance(seconds=1)
            hub.issue("b", "normal")
            with hub.store.read(hub.config) as tx:
                days[day] = tx.tickets_of_day(f"2026-11-{day}")
        expected = sorted((t for d in (27, 28) for t in days[d]), key=lambda t: (t.issued_at, t.id))
        for size in (1, 3, 100):
            got, after = [], None
            while True:
                with hub.store.read(hub.config) as tx:
                    chunk = tx.tickets_between("2026-11-27", "2026-11-28", after, size)
                assert len(chunk) <= size
                if not chunk:
                    break
                got += chunk
                after = chunk[-1]
            assert [t.id for t in got] == [t.id for t in expected] and len(got) == 8
        with hub.store.read(hub.config) as tx:
            assert tx.tickets_between("2026-11-30", "2026-12-31", None, 10) == []
            assert len(tx.tickets_between("2026-11-29", "2026-11-29", None, 10)) == 4
    finally:
        hub.stop()
