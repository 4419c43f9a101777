"""The hall day's end and a wall clock that steps (NTP), in the pure rules: citizens at the
windows survive the roll-over, no time is written before a ticket's earlier ones, and the hall
day never goes back."""
from datetime import datetime, time, timedelta

import pytest
from helpers import SHANGHAI, small_hall

from hallcall.server.engine import rules
from hallcall.server.engine.model import DomainError, Ticket, WindowState

HALL = small_hall()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
FOUR = time(4, 0)
BACK = timedelta(minutes=-10)


def ticket(seq=1, status="waiting", day="2026-11-26", at=T0, **kw) -> Ticket:
    return Ticket(id=f"a{seq}", number=f"A{seq:03d}", seq_no=seq, day=day, service="a",
                  origin_service="a", priority="normal", status=status, issued_at=at,
                  queued_at=at, token=f"tok{seq}", **kw)


def at(hh, mm, day=27):
    return datetime(2026, 11, day, hh, mm, tzinfo=SHANGHAI)


def test_the_hall_day_never_goes_back_before_the_stored_one():
    # The clock stepped back from 04:05 to 03:55: still the new day, not yesterday's again.
    assert rules.current_day(at(3, 55), FOUR, "2026-11-27") == "2026-11-27"
    assert rules.current_day(at(3, 55), FOUR, "2026-11-26") == "2026-11-26"
    assert rules.current_day(at(4, 0), FOUR, "2026-11-26") == "2026-11-27"  # rolls over
    assert rules.current_day(at(3, 55), FOUR, None) == "2026-11-26"


def test_a_call_stamped_before_the_ticket_was_queued_is_stamped_at_its_queue_time():
    state = WindowState("1", "open")
    waiting = ticket()
    out = rules.call_next(HALL.window("1"), state, None, [waiting], T0 + BACK)
    called = out.ticket
    assert called.called_at == T0 and out.events[0].at == T0
    state = out.windows[0]
    started = rules.start(state, called, T0 + 2 * BACK).ticket
    assert started.started_at == T0
    done = rules.finish(state, started, T0 + 3 * BACK).ticket
    assert done.finished_at == T0 and done.started_at == T0
    # A later, correct time is taken as it is.
    assert rules.start(state, called, T0 + timedelta(minutes=3)).ticket.started_at == \
        T0 + timedelta(minutes=3)


def test_no_show_cancel_and_day_close_never_stamp_before_the_tickets_times():
    state = WindowState("1", "open", "a1")
    called = ticket(status="called", window="1", called_at=T0 + timedelta(minutes=5))
    missed = rules.no_show(state, called, T0).ticket
    assert missed.finished_at == T0 + timedelta(minutes=5)
    requeued = rules.no_show(state, called, T0, requeue=True).ticket
    assert requeued.queued_at == T0 + timedelta(minutes=5)  # behind, not ahead of, its call
    assert rules.cancel(ticket(), T0 + BACK).ticket.finished_at == T0
    closed = rules.close_day("2026-11-26", "2026-11-27", [ticket()], [], T0 + BACK)
    assert closed.tickets[0].finished_at == T0


def test_the_citizen_cancelling_is_told_apart_from_the_day_closing():
    out = rules.cancel(ticket(), T0)
    assert out.ticket.cancel_reason == "citizen" and out.events[0].data == {"reason": "citizen"}


def test_a_ticket_kept_over_the_roll_over_is_ended_at_its_window_and_the_next_call_is_today():
    yesterday = ticket(status="serving", window="1", called_at=T0, started_at=T0)
    state = WindowState("1", "open", "a1")
    today = ticket(seq=1, day="2026-11-27", at=at(4, 1))
    today = today.evolve(id="b1")
    out = rules.call_next(HALL.window("1"), state, yesterday, [today], at(4, 2))
    finished, called = out.tickets
    assert (finished.id, finished.status, finished.day) == ("a1", "done", "2026-11-26")
    assert (called.id, called.status) == ("b1", "called")
    assert out.windows == [WindowState("1", "open", "b1")]


@pytest.mark.parametrize("action", ["no-show-requeue", "transfer"])
def test_a_ticket_of_a_closed_day_cannot_wait_again(action):
    """Its number belongs to a day whose queues are closed: no window would ever call it."""
    state = WindowState("1", "open", "a1")
    kept = ticket(status="called", window="1", called_at=T0)
    with pytest.raises(DomainError) as e:
        rules.window_action("no-show" if action == "no-show-requeue" else action,
                            HALL.window("1"), state, kept, [], at(4, 2),
                            requeue=action == "no-show-requeue", target=HALL.service("b"),
                            day="2026-11-27")
    assert e.value.code == "invalid_state" and "2026-11-26" in e.value.message
    assert "营业日" in e.value.message_zh
    # Ending it plainly works.
    out = rules.window_action("no-show", HALL.window("1"), state, kept, [], at(4, 2),
                              day="2026-11-27")
    assert out.ticket.status == "no_show"
