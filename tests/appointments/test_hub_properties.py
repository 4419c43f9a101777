"""Random mornings through the real hub with bookings: citizens book, cancel and check in (early,
in time, late), walk-ins and green tickets arrive, windows call next and finish, with green
fairness on, and the clock moves. Whatever happens: no slot holds more than its places, each
call-next takes the ticket the engine's rule takes over every waiting ticket (so the SQL heads
hide nothing), the console's line starts with it, and a ticket's `ahead` is its place in the line
of a window serving its service alone."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from helpers import SHANGHAI, FakeClock, small_hall_data
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from hallcall.server.config import parse_config
from hallcall.server.engine import rules
from hallcall.server.engine.model import WAITING, DomainError
from hallcall.server.engine.queue_order import call_order
from hallcall.server.hub import Hub
from hallcall.server.store import Store
from hallcall.server.store.memory import MemoryStore
from hallcall.server.web.serialize import event_json

START = datetime(2026, 11, 26, 8, 50, tzinfo=SHANGHAI)
DAY = date(2026, 11, 26)


def hall():
    data = small_hall_data()
    data["queue"] = {"green_ratio": 2, "max_wait_minutes": 25}
    a = data["services"][0]
    a["appointments"] = {"slot_minutes": 15, "per_slot": 2, "early_minutes": 20, "late_minutes": 10}
    a["hours"] = ["08:30-12:00"]
    return parse_config(data)


HALL = hall()
SLOTS = [START.replace(hour=9, minute=0) + timedelta(minutes=15 * i) for i in range(8)]


class Morning(RuleBasedStateMachine):
    store_kind = "memory"
    db_url = None

    def __init__(self):
        super().__init__()
        self.clock = FakeClock(START, step=0)  # time moves only when a rule moves it
        store = MemoryStore(event_json) if self.store_kind == "memory" else \
            Store(self.db_url(), event_json)
        self.hub = Hub(HALL, store, clock=self.clock)
        self.hub.start(follow=False)
        self.bookings: list[tuple[str, str]] = []  # (code, token)

    def teardown(self):
        self.hub.stop()

    def waiting(self):
        with self.hub.store.read(HALL) as tx:
            return [t for t in tx.tickets_of_day(DAY.isoformat()) if t.status == WAITING]

    @rule(slot=st.sampled_from(SLOTS))
    def book(self, slot):
        try:
            a = self.hub.book("a", slot)
        except DomainError as e:
            assert e.code in ("slot_full", "bad_request"), e.code
            return
        self.bookings.append((a.code, a.token))

    @rule(i=st.integers(0, 30))
    def cancel(self, i):
        if self.bookings:
            try:
                self.hub.cancel_appointment(self.bookings[i % len(self.bookings)][1])
            except DomainError as e:
                assert e.code == "invalid_state"

    @rule(i=st.integers(0, 30))
    def check_in(self, i):
        if not self.bookings:
            return
        code = self.bookings[i % len(self.bookings)][0]
        try:
            view, booking, new = self.hub.check_in(code, "k")
        except DomainError as e:
            assert e.code in ("too_early", "invalid_state"), e.code
            return
        assert view.ticket.appointment_code == code
        if new:  # a second check-in answers the first one's ticket, late or not as it was then
            assert view.ticket.slot_late == (self.clock.now > booking.start + timedelta(minutes=10))

    @rule(service=st.sampled_from(["a", "b"]), green=st.booleans())
    def walk_in(self, service, green):
        self.hub.issue(service, "green" if green else "normal")

    @rule(window_id=st.sampled_from(["1", "2"]))
    def call_next(self, window_id):
        window = HALL.window(window_id)
        with self.hub.store.read(HALL) as tx:
            streak = tx.window_state(window_id).green_streak
        expected = rules.pick_next(window, self.waiting(), window.queue_rules(HALL.queue), streak,
                                   self.clock.now)
        line = self.hub.window_view(window_id).queue
        called = self.hub.act(window_id, "call-next").ticket
        assert (called.id if called else None) == (expected.id if expected else None)
        assert (line[0].id if line else None) == (called.id if called else None)

    @rule(minutes=st.integers(1, 12))
    def time_passes(self, minutes):
        self.clock.advance(minutes=minutes)

    @invariant()
    def no_slot_holds_more_than_its_places(self):
        with self.hub.store.read(HALL) as tx:
            counts = tx.booked_counts("a", DAY.isoformat())
        assert all(n <= 2 for n in counts.values()), counts

    @invariant()
    def ahead_is_the_place_in_a_line_of_the_service_alone(self):
        waiting = [t for t in self.waiting() if t.service == "a"]
        line = call_order(HALL.window("1"), waiting, rules.STRICT, 0, self.clock.now)
        for place, t in enumerate(line):
            assert self.hub.ticket_status(t.token).ahead == place


TestMorningInMemory = Morning.TestCase
TestMorningInMemory.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


@pytest.fixture
def sqlite_morning(tmp_path_factory):
    class OnSqlite(Morning):
        store_kind = "sqlite"

        @staticmethod
        def db_url():
            return f"sqlite:///{tmp_path_factory.mktemp('m')}/m.db"

    return OnSqlite


def test_mornings_on_sqlite(sqlite_morning):
    run_state_machine_as_test(sqlite_morning, settings=settings(
        max_examples=10, stateful_step_count=30, deadline=None))
