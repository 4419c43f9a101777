"""Property-based tests: random days of issuing, calling and clerk actions, with roll-overs
and a wall clock that NTP steps back or forward, keep the queue's invariants. The same state
machine drives the real hub over the in-memory store (many examples) and over a SQLite file
(fewer, slower examples), so both stores are held to the same rules."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest
from helpers import FakeClock, small_hall
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hallcall.server.engine.model import AT_WINDOW, WAITING, DomainError
from hallcall.server.hub import Hub
from hallcall.server.store import Store
from hallcall.server.store.memory import MemoryStore
from hallcall.server.web.serialize import event_json

HALL = small_hall()
SERVICES = [s.id for s in HALL.services]
WINDOWS = [w.id for w in HALL.windows]
ACTIONS = ["call-next", "recall", "start", "finish", "no-show", "no-show-requeue", "transfer",
           "pause", "resume"]


class HubHall:
    """The real hub, driven through its use-case methods, on the store it is given."""

    def __init__(self, clock, store):
        self.hub = Hub(HALL, store, clock=clock)
        self.hub.start(follow=False)

    def issue(self, service, priority):
        return self.hub.issue(service, priority)[0].ticket

    def act(self, window_id, action, service=None, requeue=False):
        return self.hub.act(window_id, action, service=service, requeue=requeue).ticket

    def all_tickets(self):
        with self.hub.store.read(HALL) as tx:
            return tx.all_tickets()

    def window_states(self):
        with self.hub.store.read(HALL) as tx:
            return tx.window_states()

    def current_day(self):
        with self.hub.store.read(HALL) as tx:
            return tx.state("day")

    @property
    def resets(self):
        with self.hub.store.read(HALL) as tx:
            return [(d["closed_day"], d["day"]) for d in map(json.loads, (
                e.data for e in tx.events_after(0, 1_000_000) if e.type == "day.reset"))]

    def close(self):
        self.hub.stop()


def expected_pick(window_id, waiting):
    """An independent statement of the call rule: green tickets first, oldest of them first
    (a green-channel citizen never waits on the window's service order); then, for service-order
    windows, the window's service order; then queue order."""
    window = HALL.window(window_id)
    eligible = [t for t in waiting if t.service in window.services]
    if not eligible:
        return None

    def key(t):
        green = t.priority == "green"
        by_service = window.services.index(t.service) if window.order == "service-order" and not green else 0
        return (not green, by_service, t.queued_at, t.seq_no)

    return min(eligible, key=key)


class QueueMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = FakeClock(step=30)
        self.hall = self.make_hall()
        self.acknowledged: dict[str, str] = {}  # id -> number of every ticket issued

    def make_hall(self):
        return HubHall(self.clock, MemoryStore(event_json))

    def teardown(self):
        self.hall.close()

    @rule(service=st.sampled_from(SERVICES), green=st.booleans())
    def issue(self, service, green):
        try:
            t = self.hall.issue(service, "green" if green else "normal")
        except DomainError as e:
            assert e.code in ("service_closed", "daily_limit_reached")
            return
        self.acknowledged[t.id] = t.number

    @rule(window=st.sampled_from(WINDOWS), action=st.sampled_from(ACTIONS),
          to_service=st.sampled_from(SERVICES))
    def act(self, window, action, to_service):
        before = {t.id: t for t in self.hall.all_tickets()}
        state = self.hall.window_states()[window]
        requeue = action == "no-show-requeue"
        try:
            result = self.hall.act(window, "no-show" if requeue else action, service=to_service,
                                   requeue=requeue)
        except DomainError as e:
            assert e.code in ("window_closed", "nothing_called", "invalid_state")
            return
        if action == "call-next":
            # The day may have rolled over inside the call: only today's tickets compete.
            today = self.hall.current_day()
            waiting = [t for t in before.values() if t.status == WAITING and t.day == today]
            want = expected_pick(window, waiting)
            assert state.status == "open"
            if want is None:
                assert result is None
            else:
                assert result is not None and result.id == want.id, \
                    f"window {window} called {result and result.number}, expected {want.number}"

    @rule(minutes=st.sampled_from([1, 5, 30, 240, 24 * 60]))
    def time_passes(self, minutes):
        self.clock.advance(minutes=minutes)

    @rule(minutes=st.sampled_from([-10, 60]))
    def clock_steps(self, minutes):
        """NTP steps the wall clock back ten minutes or forward an hour."""
        self.clock.advance(minutes=minutes)

    @invariant()
    def a_tickets_times_never_run_backwards(self):
        for t in self.hall.all_tickets():
            times = [x for x in (t.issued_at, t.called_at, t.started_at, t.finished_at) if x]
            assert times == sorted(times), (t.number, times)
            assert t.queued_at >= t.issued_at

    @invariant()
    def a_later_number_never_queues_ahead_of_an_earlier_one(self):
        by_queue = defaultdict(list)
        for t in self.hall.all_tickets():
            if t.calls == 0 and t.transfers == 0:  # still where the kiosk put it
                by_queue[(t.day, t.service)].append(t)
        for queue in by_queue.values():
            queued = [t.queued_at for t in sorted(queue, key=lambda t: t.seq_no)]
            assert queued == sorted(queued)

    @invariant()
    def the_day_rolls_over_once_and_only_forward(self):
        resets = self.hall.resets
        # Each reset with the one after it (None after the last); with no resets the None is left over.
        for (closed, new), nxt in zip(resets, resets[1:] + [None], strict=False):
            assert closed < new
            if nxt is not None:
                assert nxt[0] == new
        if resets:
            assert resets[-1][1] == self.hall.current_day()

    @invariant()
    def only_todays_tickets_wait(self):
        """A ticket kept at its window over the roll-over is ended there, never queued again."""
        today = self.hall.current_day()
        assert all(t.day == today for t in self.hall.all_tickets() if t.status == WAITING)

    @invariant()
    def numbers_unique_and_consecutive_per_service_and_day(self):
        by_key = defaultdict(list)
        for t in self.hall.all_tickets():
            by_key[(t.day, t.origin_service)].append(t.seq_no)
        for (day, service), seqs in by_key.items():
            assert sorted(seqs) == list(range(1, len(seqs) + 1)), (day, service, sorted(seqs))
            limit = HALL.service(service).daily_limit
            assert limit is None or len(seqs) <= limit

    @invariant()
    def a_ticket_is_at_most_at_one_window(self):
        tickets = {t.id: t for t in self.hall.all_tickets()}
        currents = [w.current for w in self.hall.window_states().values() if w.current]
        assert len(currents) == len(set(currents))
        for w in self.hall.window_states().values():
            if w.current:
                t = tickets[w.current]
                assert t.status in AT_WINDOW and t.window == w.id
        at_windows = {t.id for t in tickets.values() if t.status in AT_WINDOW}
        assert at_windows == set(currents)

    @invariant()
    def no_acknowledged_ticket_is_lost(self):
        numbers = {t.id: t.number for t in self.hall.all_tickets()}
        for tid, number in self.acknowledged.items():
            assert numbers.get(tid) == number


TestHubOnMemoryProperties = QueueMachine.TestCase
TestHubOnMemoryProperties.settings = settings(max_examples=150, stateful_step_count=60,
                                              deadline=None)


class HubQueueMachine(QueueMachine):
    db_counter = 0

    def make_hall(self):
        HubQueueMachine.db_counter += 1
        url = f"sqlite:///{self.tmp}/prop{HubQueueMachine.db_counter}.db"
        return HubHall(self.clock, Store(url, event_json))


@pytest.fixture
def hub_machine(tmp_path):
    HubQueueMachine.tmp = tmp_path
    return HubQueueMachine


def test_hub_on_sqlite_keeps_the_same_invariants(hub_machine):
    from hypothesis.stateful import run_state_machine_as_test
    run_state_machine_as_test(hub_machine, settings=settings(
        max_examples=12, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
