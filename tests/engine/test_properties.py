"""Property-based tests: random days of issuing, calling and clerk actions, with roll-overs
and a wall clock that NTP steps back or forward, keep the queue's invariants. The same state
machine drives the real hub over the in-memory store (many examples) and over a SQLite file
(fewer, slower examples), so both stores are held to the same rules."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import pytest
from helpers import FakeClock, migrated_copy, small_hall, small_hall_data
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hallcall.server.config import parse_config
from hallcall.server.engine.model import AT_WINDOW, WAITING, DomainError
from hallcall.server.hub import Hub
from hallcall.server.store import Store
from hallcall.server.store.memory import MemoryStore
from hallcall.server.web.serialize import event_json

HALL = small_hall()


def fair_hall():
    """The small hall with green-channel fairness on: two greens, then a normal ticket; a normal
    ticket waiting 30 minutes goes first. Window 2 lets one green through at a time, window 3
    has no maximum wait."""
    data = small_hall_data()
    data["queue"] = {"green_ratio": 2, "max_wait_minutes": 30}
    data["windows"][1]["green_ratio"] = 1
    data["windows"][2]["max_wait_minutes"] = 0
    return parse_config(data)


FAIR_HALL = fair_hall()
SERVICES = [s.id for s in HALL.services]
WINDOWS = [w.id for w in HALL.windows]
ACTIONS = ["call-next", "recall", "start", "finish", "no-show", "no-show-requeue", "transfer",
           "pause", "resume", "close", "open"]


class HubHall:
    """The real hub, driven through its use-case methods, on the store it is given. What the
    invariants read is read once per change (the hub writes only when driven: follow=False),
    not once per invariant."""

    def __init__(self, clock, store, hall=HALL):
        self.hub = Hub(hall, store, clock=clock)
        self.hub.start(follow=False)
        self._read: dict = {}

    def issue(self, service, priority):
        self._read.clear()
        return self.hub.issue(service, priority)[0].ticket

    def act(self, window_id, action, service=None, requeue=False, number=None):
        self._read.clear()
        return self.hub.act(window_id, action, service=service, requeue=requeue,
                            number=number).ticket

    def roll_over_if_due(self):
        self._read.clear()
        self.hub.roll_over_if_due()

    def _cached(self, what, read):
        if what not in self._read:
            with self.hub.store.read(HALL) as tx:
                self._read[what] = read(tx)
        return self._read[what]

    def all_tickets(self):
        return self._cached("tickets", lambda tx: tx.all_tickets())

    def window_states(self):
        return self._cached("windows", lambda tx: tx.window_states())

    def current_day(self):
        return self._cached("day", lambda tx: tx.state("day"))

    @property
    def resets(self):
        return self._cached("resets", lambda tx: [(d["closed_day"], d["day"]) for d in map(
            json.loads, (e.data for e in tx.events_after(0, 1_000_000) if e.type == "day.reset"))])

    def close(self):
        self.hub.stop()


def expected_pick(window, waiting, fairness, streak, now):
    """An independent statement of the call rule: a normal ticket queued `max_wait_minutes` or
    more before `now` first, oldest first; then green tickets, oldest first (a green-channel
    citizen never waits on the window's service order), unless normal tickets wait and the
    window's last `green_ratio` calls were all green; then, for service-order windows, the
    window's service order; then queue order."""
    eligible = [t for t in waiting if t.service in window.services]
    if not eligible:
        return None
    normal = [t for t in eligible if t.priority != "green"]
    if fairness.max_wait_minutes:
        overdue = [t for t in normal if now - t.queued_at >= timedelta(minutes=fairness.max_wait_minutes)]
        if overdue:
            return min(overdue, key=lambda t: (t.queued_at, t.seq_no))
    if normal and fairness.green_ratio and streak >= fairness.green_ratio:
        eligible = normal  # the normal tickets' turn

    def key(t):
        green = t.priority == "green"
        by_service = window.services.index(t.service) if window.order == "service-order" and not green else 0
        return (not green, by_service, t.queued_at, t.seq_no)

    return min(eligible, key=key)


class QueueMachine(RuleBasedStateMachine):
    config = HALL

    def __init__(self):
        super().__init__()
        self.clock = FakeClock(step=30)
        self.hall = self.make_hall()
        self.acknowledged: dict[str, str] = {}  # id -> number of every ticket issued
        self.streak = defaultdict(int)  # green calls in a row per window, as seen from outside
        # Per window: green calls by call-next, since its last normal call, with a normal
        # ticket waiting for it.
        self.greens_past_normal = defaultdict(int)

    def make_hall(self):
        return HubHall(self.clock, MemoryStore(event_json), self.config)

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

    def _called(self, window_id, ticket, before, by_call_next, normal_waited):
        """Bookkeeping of a call, and what holds of every one: the ticket was waiting."""
        assert before[ticket.id].status == WAITING, f"{ticket.number} called twice"
        if ticket.priority == "green":
            self.streak[window_id] += 1
            if by_call_next and normal_waited:
                self.greens_past_normal[window_id] += 1
        else:
            self.streak[window_id] = 0
            self.greens_past_normal[window_id] = 0
        ratio = self.config.window(window_id).queue_rules(self.config.queue).green_ratio
        if ratio:
            assert self.greens_past_normal[window_id] <= ratio

    @rule(window=st.sampled_from(WINDOWS), action=st.sampled_from(ACTIONS),
          to_service=st.sampled_from(SERVICES))
    def act(self, window, action, to_service):
        before = {t.id: t for t in self.hall.all_tickets()}
        day_before = self.hall.current_day()
        status = self.hall.window_states()[window].status
        requeue = action == "no-show-requeue"
        try:
            result = self.hall.act(window, "no-show" if requeue else action, service=to_service,
                                   requeue=requeue)
        except DomainError as e:
            assert e.code in ("window_closed", "nothing_called", "invalid_state")
            return
        if self.hall.current_day() != day_before and status == "closed":
            # The day rolled over inside the call, which reopened the window.
            status = self.config.window(window).status
        if action in ("resume", "pause"):
            assert status != "closed", f"{action} opened window {window}, closed for the day"
        if action == "call-next":
            # Only today's tickets compete.
            today = self.hall.current_day()
            waiting = [t for t in before.values() if t.status == WAITING and t.day == today]
            w = self.config.window(window)
            fairness = w.queue_rules(self.config.queue)
            assert status == "open"
            if result is None:
                assert expected_pick(w, waiting, fairness, 0, None) is None
                return
            # The hub's time of the call, which decides who has waited too long.
            want = expected_pick(w, waiting, fairness, self.streak[window], result.called_at)
            assert result.id == want.id, \
                f"window {window} called {result.number}, expected {want.number}"
            mine = [t for t in waiting if t.service in w.services]
            if fairness.max_wait_minutes:
                limit = result.called_at - timedelta(minutes=fairness.max_wait_minutes)
                overdue = [t for t in mine if t.priority != "green" and t.queued_at <= limit]
                if overdue:  # never a green, nor a younger normal ticket, past an overdue one
                    assert result.priority != "green"
                    assert result.queued_at == min(t.queued_at for t in overdue)
            self._called(window, result, before, True, any(t.priority != "green" for t in mine))

    @rule(window=st.sampled_from(WINDOWS), pick=st.integers(0, 30))
    def call_chosen(self, window, pick):
        """A supervisor calls a ticket by its number: one of any day, state or service (numbers
        start again each day: the number names today's ticket, if any)."""
        before = {t.id: t for t in self.hall.all_tickets()}
        if not before:
            return
        number = sorted(before.values(), key=lambda t: (t.day, t.issued_at))[pick % len(before)].number
        day_before = self.hall.current_day()
        status = self.hall.window_states()[window].status
        try:
            result = self.hall.act(window, "call", number=number)
        except DomainError as e:
            assert e.code in ("window_closed", "invalid_state")
            result = None
        today = self.hall.current_day()  # the call's, if it was accepted
        if result is None:
            # A refused call writes nothing, not even the roll-over it began with: the day it
            # was refused in is told by rolling over now.
            self.hall.roll_over_if_due()
            if self.hall.current_day() != day_before:
                return
        if today != day_before and status == "closed":
            status = self.config.window(window).status
        named = next((t for t in before.values() if t.number == number and t.day == today
                      and t.status == WAITING), None)
        callable_here = (status == "open" and named is not None
                         and named.service in self.config.window(window).services)
        assert (result is not None) == callable_here, (number, status, named)
        if result is not None:
            assert result.id == named.id and result.status == "called" and result.window == window
            self._called(window, result, before, False, False)

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
TestHubOnMemoryProperties.settings = settings(max_examples=100, stateful_step_count=60,
                                              deadline=None)


class FairQueueMachine(QueueMachine):
    """The same days with green-channel fairness on (the hall's rules and windows' own)."""

    config = FAIR_HALL


TestFairnessOnMemoryProperties = FairQueueMachine.TestCase
TestFairnessOnMemoryProperties.settings = settings(max_examples=100, stateful_step_count=60,
                                                   deadline=None)


class HubQueueMachine(FairQueueMachine):
    """On SQLite with fairness on: the window's green streak goes through the store."""

    db_counter = 0

    def make_hall(self):
        HubQueueMachine.db_counter += 1
        url = f"sqlite:///{self.tmp}/prop{HubQueueMachine.db_counter}.db"
        return HubHall(self.clock, Store(migrated_copy(url), event_json), self.config)


@pytest.fixture
def hub_machine(tmp_path):
    HubQueueMachine.tmp = tmp_path
    return HubQueueMachine


def test_hub_on_sqlite_keeps_the_same_invariants(hub_machine):
    from hypothesis.stateful import run_state_machine_as_test
    run_state_machine_as_test(hub_machine, settings=settings(
        max_examples=12, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
