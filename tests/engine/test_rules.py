"""The queue rules, driven directly with plain values."""
from datetime import datetime, time, timedelta

import pytest
from helpers import SHANGHAI, small_hall

from hallcall.server.engine import rules
from hallcall.server.engine.model import DomainError, Ticket, WindowState

HALL = small_hall()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)  # a Thursday


def ticket(service="a", seq=1, priority="normal", minutes=0, status="waiting", **kw) -> Ticket:
    at = T0 + timedelta(minutes=minutes)
    s = HALL.service(service)
    return Ticket(id=f"{service}{seq}", number=rules.format_number(s.prefix, seq), seq_no=seq,
                  day="2026-11-26", service=service, origin_service=service, priority=priority,
                  status=status, issued_at=at, queued_at=at, token=f"tok-{service}{seq}", **kw)


def issue(service="a", last=0, issued=None, now=T0, **kw):
    return rules.issue(HALL.service(service), day="2026-11-26", now=now, last_seq_no=last,
                       issued_today=last if issued is None else issued, ticket_id="x",
                       token="t", **kw)


def test_hall_day_rolls_over_at_the_configured_hour():
    before, at = datetime(2026, 11, 27, 3, 59, tzinfo=SHANGHAI), datetime(2026, 11, 27, 4, 0, tzinfo=SHANGHAI)
    assert rules.hall_day(before, time(4, 0)).isoformat() == "2026-11-26"
    assert rules.hall_day(at, time(4, 0)).isoformat() == "2026-11-27"


def test_issue_numbers_with_prefix_and_three_digits():
    out = issue("b", last=22)
    assert out.ticket.number == "B023"
    assert out.ticket.status == "waiting"
    assert [e.type for e in out.events] == ["ticket.issued"]


def test_issue_refuses_beyond_daily_limit_and_outside_hours():
    with pytest.raises(DomainError) as e:
        issue("c", last=3, now=T0)
    assert e.value.code == "daily_limit_reached"
    lunch = T0.replace(hour=12, minute=30)
    with pytest.raises(DomainError) as e:
        issue("c", last=0, now=lunch)
    assert e.value.code == "service_closed"
    saturday = T0 + timedelta(days=2)
    with pytest.raises(DomainError) as e:
        issue("c", now=saturday)
    assert e.value.code == "service_closed"


def test_issue_stops_at_999():
    with pytest.raises(DomainError) as e:
        issue("a", last=999)
    assert e.value.code == "daily_limit_reached"


def test_green_channel_first_then_oldest():
    w1 = HALL.window("1")
    waiting = [ticket(seq=1, minutes=0), ticket(seq=2, minutes=1, priority="green"),
               ticket(seq=3, minutes=2, priority="green")]
    assert rules.pick_next(w1, waiting).number == "A002"
    assert rules.pick_next(w1, waiting[:1]).number == "A001"


def test_oldest_first_across_the_windows_services():
    w2 = HALL.window("2")
    waiting = [ticket("a", 1, minutes=5), ticket("b", 1, minutes=2), ticket("c", 1, minutes=0)]
    assert rules.pick_next(w2, waiting).number == "B001"  # C is not served at window 2


def test_service_order_window_prefers_its_first_service():
    w3 = HALL.window("3")
    waiting = [ticket("c", 1, minutes=0), ticket("b", 1, minutes=9)]
    assert rules.pick_next(w3, waiting).number == "B001"
    assert rules.pick_next(w3, [waiting[0]]).number == "C001"


def test_call_next_finishes_the_current_ticket_first():
    current = ticket(seq=1, status="called", window="1", called_at=T0)
    state = WindowState("1", "open", current.id)
    out = rules.call_next(HALL.window("1"), state, current, [ticket(seq=2, minutes=1)], T0)
    assert [e.type for e in out.events] == ["ticket.finished", "ticket.called"]
    assert out.ticket.number == "A002" and out.ticket.window == "1"
    assert out.windows == [WindowState("1", "open", "a2")]


def test_call_next_with_nobody_waiting_leaves_window_free():
    out = rules.call_next(HALL.window("1"), WindowState("1", "open"), None, [], T0)
    assert out.ticket is None and out.events == [] and out.windows == []


def test_paused_window_calls_nobody():
    with pytest.raises(DomainError) as e:
        rules.call_next(HALL.window("1"), WindowState("1", "paused"), None, [ticket()], T0)
    assert e.value.code == "window_closed"


def test_recall_start_finish_lifecycle():
    called = ticket(status="called", window="1", called_at=T0)
    state = WindowState("1", "open", called.id)
    assert rules.recall(state, called, T0).events[0].type == "ticket.recalled"
    serving = rules.start(state, called, T0).ticket
    assert serving.status == "serving"
    with pytest.raises(DomainError) as e:
        rules.recall(state, serving, T0)
    assert e.value.code == "invalid_state"
    out = rules.finish(state, serving, T0 + timedelta(minutes=4), "satisfied")
    assert out.ticket.status == "done" and out.ticket.rating == "satisfied"
    assert out.windows == [WindowState("1", "open", None)]
    with pytest.raises(DomainError) as e:
        rules.recall(out.windows[0], out.ticket, T0)
    assert e.value.code == "nothing_called"


def test_finish_rejects_unknown_rating():
    called = ticket(status="called", window="1")
    with pytest.raises(DomainError) as e:
        rules.finish(WindowState("1", "open", called.id), called, T0, "great")
    assert e.value.status == 400


def test_rating_key_finishes_the_ticket_at_the_window_with_the_rating():
    serving = ticket(status="serving", window="1", called_at=T0, started_at=T0)
    out = rules.rate(WindowState("1", "open", serving.id), serving, None, "basic", T0)
    assert (out.ticket.status, out.ticket.rating) == ("done", "basic")
    assert out.windows == [WindowState("1", "open", None)]
    assert [e.type for e in out.events] == ["ticket.finished"]


def test_rating_key_rates_the_last_finished_ticket_for_a_few_minutes_once():
    free = WindowState("1", "paused", None)  # a clerk may pause right after finishing
    done = ticket(status="done", window="1", finished_at=T0)
    out = rules.rate(free, None, done, "unsatisfied", T0 + timedelta(minutes=2))
    assert out.ticket.rating == "unsatisfied" and out.ticket.status == "done"
    assert [(e.type, e.window, e.data) for e in out.events] == [
        ("ticket.rated", "1", {"rating": "unsatisfied"})]
    with pytest.raises(DomainError) as e:  # a second press does not overwrite the first
        rules.rate(free, None, out.ticket, "satisfied", T0 + timedelta(minutes=2))
    assert e.value.code == "already_rated"
    with pytest.raises(DomainError) as e:  # too late: it would rate whoever came long ago
        rules.rate(free, None, done, "satisfied", T0 + rules.RATE_WITHIN + timedelta(seconds=1))
    assert e.value.code == "nothing_called"
    with pytest.raises(DomainError) as e:  # nobody has been served here today
        rules.rate(free, None, None, "satisfied", T0)
    assert e.value.code == "nothing_called"
    with pytest.raises(DomainError) as e:
        rules.rate(free, None, done, "great", T0)
    assert e.value.status == 400


def test_no_show_requeue_goes_behind_those_waiting_now():
    called = ticket(seq=1, status="called", window="1")
    later = T0 + timedelta(minutes=10)
    out = rules.no_show(WindowState("1", "open", called.id), called, later, requeue=True)
    back = out.ticket
    assert back.status == "waiting" and back.number == "A001" and back.queued_at == later
    waiting = [back, ticket(seq=2, minutes=5)]
    assert rules.pick_next(HALL.window("1"), waiting).number == "A002"


def test_no_show_without_requeue_ends_the_ticket():
    called = ticket(status="called", window="1")
    out = rules.no_show(WindowState("1", "open", called.id), called, T0)
    assert out.ticket.status == "no_show"
    assert out.windows[0].current is None


def test_transfer_keeps_number_and_issue_time():
    early = ticket("a", 7, minutes=0, status="serving", window="1")
    out = rules.transfer(WindowState("1", "open", early.id), early, HALL.service("b"), T0)
    moved = out.ticket
    assert (moved.number, moved.service, moved.status) == ("A007", "b", "waiting")
    assert moved.issued_at == early.issued_at
    # It keeps its place by time: it goes before a B ticket issued after it.
    later_b = ticket("b", 1, minutes=30)
    assert rules.pick_next(HALL.window("3"), [later_b, moved]).number == "A007"


def test_set_status_is_idempotent_and_emits_an_event():
    state = WindowState("1", "open")
    out = rules.set_status(state, "paused", None, T0)
    assert out.windows == [WindowState("1", "paused")] and out.events[0].type == "window.status"
    assert rules.set_status(out.windows[0], "paused", None, T0).events == []
    with pytest.raises(DomainError) as e:
        rules.set_status(WindowState("1", "closed"), "paused", None, T0)
    assert e.value.code == "window_closed"
    called = ticket(status="called", window="1")
    with pytest.raises(DomainError) as e:
        rules.set_status(WindowState("1", "open", called.id), "closed", called, T0)
    assert e.value.code == "invalid_state"


def test_cancel_only_while_waiting():
    assert rules.cancel(ticket(), T0).ticket.status == "cancelled"
    with pytest.raises(DomainError):
        rules.cancel(ticket(status="called", window="1"), T0)


def test_close_day_cancels_waiting_tickets_and_keeps_the_windows_citizens():
    tickets = [ticket(seq=1, status="called", window="1"), ticket(seq=2),
               ticket(seq=3, status="serving", window="2"), ticket(seq=4, status="done")]
    out = rules.close_day("2026-11-26", "2026-11-27", tickets,
                          [WindowState("1", "open", "a1"), WindowState("2", "open", "a3"),
                           WindowState("3", "open", "a4")], T0)
    assert [(t.number, t.status, t.cancel_reason) for t in out.tickets] == [
        ("A002", "cancelled", "day_closed")]
    # Windows 1 and 2 keep their citizens; window 3 pointed at a finished ticket and is cleared.
    assert out.windows == [WindowState("3", "open", None)]
    assert [e.type for e in out.events] == ["ticket.cancelled", "day.reset"]
    assert out.events[0].data == {"reason": "day_closed"}
    assert out.events[-1].data == {"closed_day": "2026-11-26", "day": "2026-11-27"}


def test_a_ticket_transferred_while_served_starts_afresh_at_the_next_window():
    serving = ticket("a", 7, status="serving", window="1", called_at=T0, started_at=T0)
    moved = rules.transfer(WindowState("1", "open", serving.id), serving, HALL.service("b"), T0).ticket
    later = T0 + timedelta(minutes=20)
    called = rules.call_next(HALL.window("3"), WindowState("3", "open"), None, [moved], later).ticket
    assert (called.called_at, called.started_at) == (later, None)
    # Finished without a start: its time here counts from this call, not from window 1's start.
    done = rules.finish(WindowState("3", "open", called.id), called, later + timedelta(minutes=5)).ticket
    assert done.started_at == later
