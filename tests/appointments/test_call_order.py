"""The call order with appointments: green (with its fairness rules), then checked-in bookings
whose slot has begun (by slot), then walk-ins, then bookings whose slot is still to come."""
from datetime import datetime, timedelta

from helpers import SHANGHAI, small_hall
from hypothesis import given, settings
from hypothesis import strategies as st

from hallcall.server.config.model import QueueRules
from hallcall.server.engine import rules
from hallcall.server.engine.model import Ticket
from hallcall.server.engine.queue_order import ahead_of, call_order

HALL = small_hall()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


def ticket(i: int, service: str, kind: str, minute: int, slot_minute: int = 0,
           status: str = "waiting", calls: int = 0) -> Ticket:
    """kind: walk (a walk-in), green, booked (checked in in time), late (checked in too late)."""
    at = T0 + timedelta(minutes=minute)
    booked = kind in ("booked", "late")
    return Ticket(id=f"t{i:03d}", number=f"{service.upper()}{i:03d}", seq_no=i, day="2026-11-26",
                  service=service, origin_service=service,
                  priority="green" if kind == "green" else "normal", status=status,
                  issued_at=at, queued_at=at, token=f"tok{i}", calls=calls,
                  appointment_code=f"{i:06d}" if booked else None,
                  slot_start=T0 + timedelta(minutes=slot_minute) if booked else None,
                  slot_late=kind == "late")


def picked_one_by_one(window, waiting, fairness=rules.STRICT, streak=0, now=None):
    left, order = list(waiting), []
    while (chosen := rules.pick_next(window, left, fairness, streak, now)) is not None:
        order.append(chosen)
        left.remove(chosen)
        streak = rules.next_streak(streak, chosen)
    return order


def ids(line):
    return [t.id for t in line]


tickets = st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["walk", "green", "booked", "late"]),
                             st.integers(0, 20), st.sampled_from([0, 10, 20, 30, 40]),
                             st.sampled_from(["waiting", "waiting", "waiting", "called"]),
                             st.sampled_from([0, 0, 1])),
                   max_size=25)


@settings(max_examples=300, deadline=None)
@given(spec=tickets, window_id=st.sampled_from(["1", "2", "3"]), ratio=st.integers(0, 3),
       max_wait=st.sampled_from([0, 5, 12]), streak=st.integers(0, 4), at_minute=st.integers(0, 45))
def test_the_line_is_the_order_of_successive_calls(spec, window_id, ratio, max_wait, streak,
                                                    at_minute):
    waiting = [ticket(i, *s) for i, s in enumerate(spec)]
    window, fairness = HALL.window(window_id), QueueRules(ratio, max_wait)
    now = T0 + timedelta(minutes=at_minute)
    line = call_order(window, waiting, fairness, streak, now)
    assert line == picked_one_by_one(window, waiting, fairness, streak, now)
    # No booking whose slot has begun waits behind a walk-in, unless the green rules took that
    # walk-in first (it had waited max_wait_minutes).
    limit = rules.overdue_since(fairness, now)
    for i, early in enumerate(line):
        if early.priority == "green" or rules.booked(early):
            continue
        for later in line[i + 1:]:
            if rules.booked(later) and later.slot_start <= now:
                assert limit is not None and early.queued_at <= limit, (early, later)


@settings(max_examples=300, deadline=None)
@given(spec=tickets, at_minute=st.integers(0, 45))
def test_ahead_is_the_place_in_the_line_of_its_service(spec, at_minute):
    waiting = [ticket(i, "a", *s[1:]) for i, s in enumerate(spec)]
    window = HALL.window("1")  # serves a alone
    now = T0 + timedelta(minutes=at_minute)
    line = call_order(window, waiting, rules.STRICT, 0, now)
    for place, t in enumerate(line):
        assert ahead_of(t, waiting, now) == place


def test_a_begun_slot_is_called_before_walk_ins_and_after_green():
    window = HALL.window("1")
    walk_in = ticket(1, "a", "walk", 0)
    green = ticket(2, "a", "green", 5)
    slot_9_10 = ticket(3, "a", "booked", 8, slot_minute=10)  # checked in at 9:08 for 9:10
    slot_9_00 = ticket(4, "a", "booked", 9, slot_minute=0)  # came at 9:09 for 9:00: in time
    slot_9_40 = ticket(5, "a", "booked", 2, slot_minute=40)  # early: waits for its slot
    late = ticket(6, "a", "late", 1, slot_minute=0)  # too late: a walk-in from 9:01
    line = [walk_in, green, slot_9_10, slot_9_00, slot_9_40, late]
    at_9_12 = T0 + timedelta(minutes=12)
    assert ids(call_order(window, line, now=at_9_12)) == ["t002", "t004", "t003", "t001", "t006", "t005"]
    assert rules.pick_next(window, line, now=at_9_12) == green
    # At 9:05 the 9:10 slot has not begun: its citizen waits behind the walk-ins.
    at_9_05 = T0 + timedelta(minutes=5)
    assert ids(call_order(window, line, now=at_9_05)) == ["t002", "t004", "t001", "t006", "t003", "t005"]
    # At 9:40 the early one's slot has begun and it goes before the walk-ins.
    at_9_40 = T0 + timedelta(minutes=40)
    assert ids(call_order(window, line, now=at_9_40)) == ["t002", "t004", "t003", "t005", "t001", "t006"]


def test_an_early_booking_is_called_when_nobody_else_waits():
    window = HALL.window("1")
    early = ticket(1, "a", "booked", 0, slot_minute=30)
    assert rules.pick_next(window, [early], now=T0 + timedelta(minutes=1)) == early


def test_a_booking_called_once_queues_as_a_walk_in():
    """A requeued no-show (or a transferred ticket) has had its turn: it goes by its queue time."""
    window = HALL.window("1")
    requeued = ticket(1, "a", "booked", 20, slot_minute=0, calls=1)
    walk_in = ticket(2, "a", "walk", 10)
    assert ids(call_order(window, [requeued, walk_in], now=T0 + timedelta(minutes=25))) == ["t002", "t001"]


def test_green_fairness_still_applies_with_bookings():
    window = HALL.window("1")
    greens = [ticket(i, "a", "green", i) for i in range(1, 4)]
    booked = ticket(5, "a", "booked", 0, slot_minute=0)
    walk_in = ticket(6, "a", "walk", 0)
    at = T0 + timedelta(minutes=10)
    # After two greens in a row the normal turn takes the booking, the walk-in waits for the next.
    assert ids(call_order(window, [*greens, booked, walk_in], QueueRules(2, 0), 0, at)) == [
        "t001", "t002", "t005", "t003", "t006"]
    # A walk-in that has waited max_wait_minutes goes first, before greens and bookings; a
    # booking counts its wait from its slot's start, not from its early check-in.
    early = ticket(7, "a", "booked", 0, slot_minute=8)
    at = T0 + timedelta(minutes=12)
    assert ids(call_order(window, [*greens, early, walk_in], QueueRules(0, 10), 0, at)) == [
        "t006", "t001", "t002", "t003", "t007"]
