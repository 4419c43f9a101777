"""The clerk console's line: `call_order` lists tickets exactly as call-next would call them."""
from datetime import datetime, timedelta

from helpers import SHANGHAI, small_hall
from hypothesis import given, settings
from hypothesis import strategies as st

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


def picked_one_by_one(window, waiting):
    left, order = list(waiting), []
    while (chosen := rules.pick_next(window, left)) is not None:
        order.append(chosen)
        left.remove(chosen)
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
