"""Appointments in the stores: the SQL queue answers (heads, fronts, ahead) equal the engine's
with bookings in the queues, bookings round-trip, and a slot never takes more than its places,
whatever the concurrency: threads on one hub, and two hub processes on one file."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest
from helpers import SHANGHAI, FakeClock, small_hall
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from real_server import RealServer

from hallcall.server.config import load_config, parse_config
from hallcall.server.engine import rules
from hallcall.server.engine.model import Appointment, Outcome, Ticket
from hallcall.server.engine.queue_order import ahead_of, call_order
from hallcall.server.hub import Hub
from hallcall.server.store import Store
from hallcall.server.store.memory import MemoryStore
from hallcall.server.web.serialize import event_json

HALL = small_hall()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
DAY = "2026-11-26"

specs = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["walk", "green", "booked", "late"]),
                           st.integers(0, 4), st.sampled_from([0, 10, 20]),
                           st.sampled_from(["waiting", "waiting", "called"]), st.sampled_from([0, 0, 1])),
                 min_size=1, max_size=25)


def made_tickets(spec) -> list[Ticket]:
    tickets = []
    for i, (service, kind, minute, slot_minute, status, calls) in enumerate(spec):
        # Equal minutes make ties on purpose; odd microseconds must survive the round trip.
        at = T0 + timedelta(minutes=minute, microseconds=987_653)
        is_booked = kind in ("booked", "late")
        tickets.append(Ticket(
            id=f"t{i:02d}", number=f"X{i:03d}", seq_no=i + 1, day=DAY, service=service,
            origin_service=service, priority="green" if kind == "green" else "normal",
            status=status, issued_at=at, queued_at=at, token=f"tok{i}", calls=calls,
            window="1" if status == "called" else None,
            appointment_code=f"{i:06d}" if is_booked else None,
            slot_start=T0 + timedelta(minutes=slot_minute, microseconds=5) if is_booked else None,
            slot_late=kind == "late"))
    return tickets


def open_hub(url, clock=None, config=HALL):
    hub = Hub(config, Store(url, event_json), clock=clock)
    hub.start(follow=False)
    return hub


@given(spec=specs, at_minute=st.integers(0, 25))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sql_queue_answers_match_the_engine_with_bookings(tmp_path_factory, spec, at_minute):
    tickets = made_tickets(spec)
    now = T0 + timedelta(minutes=at_minute)
    memory = Hub(HALL, MemoryStore(event_json))
    memory.start(follow=False)
    hub = open_hub(f"sqlite:///{tmp_path_factory.mktemp('q')}/q.db")
    try:
        for store in (hub.store, memory.store):
            with store.write(HALL) as tx:
                tx.apply(Outcome(tickets=tickets), DAY)
            with store.read(HALL) as tx:
                loaded = {t.id: t for t in tx.all_tickets()}
                assert loaded == {t.id: t for t in tickets}
                for t in (t for t in tickets if t.status == "waiting"):
                    same = [o for o in tickets if o.service == t.service]
                    assert tx.count_ahead(t, now) == ahead_of(t, same, now), t
                for window in HALL.windows:
                    fairness = HALL.queue
                    heads = tx.queue_heads(DAY, window.services)
                    for streak in (0, 5):
                        assert rules.pick_next(window, heads, fairness, streak, now) == \
                            rules.pick_next(window, tickets, fairness, streak, now)
                    fronts = tx.queue_fronts(DAY, window.services, 3)
                    assert call_order(window, fronts, now=now)[:3] == call_order(window, tickets, now=now)[:3]
    finally:
        hub.stop()
        memory.stop()


def booking(i: int, start: datetime, status: str = "booked") -> Appointment:
    return Appointment(id=f"ap{i}", code=f"{i:06d}", token=f"token-{i}", service="a", day=DAY,
                       start=start, end=start + timedelta(minutes=30), status=status,
                       created_at=T0, phone="+86 1" if i % 2 else None, lang="zh")


@pytest.mark.parametrize("kind", ["sqlite", "pg", "memory"])
def test_bookings_round_trip_and_are_counted_by_slot(kind, request):
    if kind == "memory":
        hub = Hub(HALL, MemoryStore(event_json))
    else:
        hub = open_hub(request.getfixturevalue("db_url" if kind == "sqlite" else "pg_url"))
    if kind == "memory":
        hub.start(follow=False)
    try:
        ten, half_past = T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=30)
        made = [booking(1, ten), booking(2, ten, "checked_in"), booking(3, ten, "cancelled"),
                booking(4, half_past)]
        with hub.store.write(HALL) as tx:
            for a in made:
                tx.save_appointment(a)
        with hub.store.read(HALL) as tx:
            assert tx.appointment_by_code("000001") == made[0]
            assert tx.appointment_by_token("token-4") == made[3]
            assert tx.appointment_by_code("999999") is None
            assert tx.booked_counts("a", DAY) == {ten: 2, half_past: 1}
            assert tx.booked_counts("a", "2026-11-27") == {}
            assert tx.pending_bookings(DAY, "a") == 2
            assert tx.appointments_of_day(DAY) == made
    finally:
        hub.stop()


def bookable_hall():
    from helpers import small_hall_data

    data = small_hall_data()
    data["services"][0]["appointments"] = {"slot_minutes": 30, "per_slot": 2}
    return parse_config(data)


def test_threads_booking_the_last_places_of_a_slot_on_one_hub(db_url):
    hub = open_hub(db_url, clock=FakeClock(), config=bookable_hall())
    start = T0 + timedelta(hours=1)
    go = threading.Barrier(12)

    def one(_):
        go.wait()
        try:
            hub.book("a", start)
            return "booked"
        except rules.DomainError as e:
            return e.code

    try:
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(one, range(12)))
        assert sorted(answers) == ["booked"] * 2 + ["slot_full"] * 10
        assert hub.slots("a", date(2026, 11, 26))[2].booked == 2
    finally:
        hub.stop()


def _post(url: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        code = json.loads(e.read())["error"]["code"]
        return 409 if code == "slot_full" else e.code


@pytest.mark.slow
def test_two_hub_processes_on_one_file_never_overbook_a_slot(tmp_path, store_url):
    """The demo hall (open around the clock) on two `hallcall serve` processes sharing a
    database (a SQLite file, a PostgreSQL database): phones booking a slot's last places at
    both at once; exactly per_slot win."""
    demo = load_config()
    service = next(s for s in demo.services if s.appointments is not None and not s.retired)
    first = RealServer(store_url, tmp_path / "one.log").start()
    second = RealServer(store_url, tmp_path / "two.log").start()
    try:
        tomorrow = (datetime.now(SHANGHAI) - timedelta(hours=4)).date() + timedelta(days=1)
        with urllib.request.urlopen(f"{first.url}/api/appointments/slots?service={service.id}"
                                    f"&date={tomorrow}", timeout=20) as r:
            slot = json.loads(r.read())["slots"][20]
        assert slot["booked"] == 0
        go = threading.Barrier(16)

        def one(i):
            go.wait()
            url = (first if i % 2 else second).url
            return _post(f"{url}/api/appointments", {"service": service.id, "start": slot["start"]})

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(one, range(16)))
        places = service.appointments.per_slot
        assert sorted(answers) == [201] * places + [409] * (16 - places)
        for server in (first, second):
            with urllib.request.urlopen(f"{server.url}/api/appointments/slots?service={service.id}"
                                        f"&date={tomorrow}", timeout=20) as r:
                again = {s["start"]: s for s in json.loads(r.read())["slots"]}
            assert again[slot["start"]]["booked"] == places
    finally:
        first.stop()
        second.stop()
