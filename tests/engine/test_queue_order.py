"""The clerk console's line: `call_order` lists tickets exactly as call-next would call them."""
from datetime import datetime, timedelta

from helpers import SHANGHAI, small_hall
from hypothesis import given, settings
from hypothesis import strategies as st

from hallcall.server.config.model import QueueRules
from hallcall.server.engine import rules
from hallcall.server.engine.model import Ticket
from hallcall.server.engine.queue_order import call_order

HALL = small_hall()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)


def ticket(i: int, service: str, priority: str, minute: int, status: str = "waiting") -> Ticket:
    at = T0 + timedelta(minutes=minute)
    return Ticket(id=f"t{i:03d}", number=f"{service.upper()}{i:03d}", seq_no=i, day="2026-11-26",
                  service=service, origin_service=service, priority=priority, status=status,
                  issued_at=at, queued_at=at, token=f"tok{i}")


def picked_one_by_one(window, waiting, fairness=rules.STRICT, streak=0, now=None):
    left, order = list(waiting), []
    while (chosen := rules.pick_next(window, left, fairness, streak, now)) is not None:
        order.append(chosen)
        left.remove(chosen)
        streak = rules.next_streak(streak, chosen)
    return order


tickets = st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["normal", "green"]),
                             st.integers(0, 20), st.sampled_from(["waiting", "waiting", "called"])),
                   max_size=25)


@settings(max_examples=200, deadline=None)
@given(spec=tickets, window_id=st.sampled_from(["1", "2", "3"]))
def test_the_line_is_the_order_of_successive_calls(spec, window_id):
    waiting = [ticket(i, *s) for i, s in enumerate(spec)]
    window = HALL.window(window_id)
    assert call_order(window, waiting) == picked_one_by_one(window, waiting)


def test_green_first_then_the_windows_service_order():
    window = HALL.window("3")  # serves b before c, by service order
    line = [ticket(1, "c", "normal", 0), ticket(2, "b", "normal", 5), ticket(3, "c", "green", 9),
            ticket(4, "a", "normal", 0), ticket(5, "b", "normal", 1)]
    assert [t.id for t in call_order(window, line)] == ["t003", "t005", "t002", "t001"]


@settings(max_examples=300, deadline=None)
@given(spec=tickets, window_id=st.sampled_from(["1", "2", "3"]), ratio=st.integers(0, 3),
       max_wait=st.sampled_from([0, 5, 12]), streak=st.integers(0, 4), at_minute=st.integers(0, 40))
def test_with_fairness_the_line_is_still_the_order_of_successive_calls(spec, window_id, ratio,
                                                                       max_wait, streak, at_minute):
    waiting = [ticket(i, *s) for i, s in enumerate(spec)]
    window, fairness = HALL.window(window_id), QueueRules(ratio, max_wait)
    now = T0 + timedelta(minutes=at_minute)
    assert call_order(window, waiting, fairness, streak, now) == \
        picked_one_by_one(window, waiting, fairness, streak, now)


def test_the_line_shows_the_normal_turn_and_the_overdue_tickets_first():
    window = HALL.window("1")
    line = [ticket(1, "a", "normal", 0), ticket(2, "a", "normal", 15), ticket(3, "a", "green", 16),
            ticket(4, "a", "green", 17), ticket(5, "a", "green", 18), ticket(6, "a", "normal", 19)]
    at = T0 + timedelta(minutes=20)
    # A001 has waited 20 minutes (the maximum is 20): first. Then two greens, a normal, ...
    assert [t.id for t in call_order(window, line, QueueRules(2, 20), 0, at)] == [
        "t001", "t003", "t004", "t002", "t005", "t006"]
    # ... and with one green call already made, one green before the normal turn.
    assert [t.id for t in call_order(window, line, QueueRules(2, 0), 1, at)] == [
        "t003", "t001", "t004", "t005", "t002", "t006"]
