"""Green-channel fairness, calling a chosen ticket, and a closed window staying closed, driven
directly with plain values."""
from datetime import datetime, timedelta

import pytest
from helpers import SHANGHAI, small_hall, small_hall_data

from hallcall.server.config import parse_config
from hallcall.server.config.model import QueueRules
from hallcall.server.engine import rules
from hallcall.server.engine.model import DomainError, Ticket, WindowState

HALL = small_hall()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
RATIO_2 = QueueRules(green_ratio=2)
WAIT_45 = QueueRules(max_wait_minutes=45)


def ticket(service="a", seq=1, priority="normal", minutes=0, status="waiting", day="2026-11-26",
           **kw) -> Ticket:
    at = T0 + timedelta(minutes=minutes)
    s = HALL.service(service)
    return Ticket(id=f"{service}{seq}", number=rules.format_number(s.prefix, seq), seq_no=seq,
                  day=day, service=service, origin_service=service, priority=priority,
                  status=status, issued_at=at, queued_at=at, token=f"tok-{service}{seq}", **kw)


def calls(window_id, waiting, fairness, now=T0 + timedelta(hours=1), streak=0):
    """Call-next at the window until nobody is left: the numbers in calling order."""
    window, state, left, order = HALL.window(window_id), WindowState(window_id, "open", None, streak), \
        list(waiting), []
    while True:
        current = next((t for t in left if t.id == state.current), None)
        out = rules.call_next(window, state, current, left, now, fairness)
        state = next((w for w in out.windows if w.id == window_id), state)
        if out.ticket is None:
            return order
        order.append(out.ticket.number)
        left = [t for t in left if t.id != out.ticket.id] + [out.ticket]


def greens_and_normals(greens=5, normals=3):
    return ([ticket("a", i, "green", minutes=30 + i) for i in range(1, greens + 1)]
            + [ticket("a", 10 + i, "normal", minutes=i) for i in range(1, normals + 1)])


def test_after_n_greens_in_a_row_a_normal_ticket_gets_its_turn():
    assert calls("1", greens_and_normals(), RATIO_2) == [
        "A001", "A002", "A011", "A003", "A004", "A012", "A005", "A013"]


def test_green_ratio_0_keeps_green_strictly_first():
    assert calls("1", greens_and_normals(), QueueRules()) == [
        "A001", "A002", "A003", "A004", "A005", "A011", "A012", "A013"]


def test_the_streak_carries_over_from_earlier_calls():
    # Two greens were called here already: the normal ticket goes first now.
    assert calls("1", greens_and_normals(2, 1), RATIO_2, streak=2) == ["A011", "A001", "A002"]


def test_greens_go_on_while_no_normal_ticket_waits():
    assert calls("1", greens_and_normals(4, 0), RATIO_2) == ["A001", "A002", "A003", "A004"]


def test_the_normal_ticket_taken_is_the_one_call_next_would_take():
    # Window 3 serves B before C: after the greens it takes B's ticket, though C's is older.
    line = [ticket("b", 1, "green", minutes=20), ticket("c", 2, "green", minutes=21),
            ticket("b", 5, minutes=10), ticket("c", 6, minutes=0)]
    assert calls("3", line, QueueRules(green_ratio=1)) == ["B001", "B005", "C002", "C006"]


def test_the_streak_is_written_with_each_call_and_a_normal_call_resets_it():
    window = HALL.window("1")
    out = rules.call_next(window, WindowState("1", "open", None, 1), None,
                          [ticket("a", 1, "green"), ticket("a", 2)], T0, RATIO_2)
    assert out.ticket.number == "A001" and out.windows == [WindowState("1", "open", "a1", 2)]
    out = rules.call_next(window, out.windows[0], out.ticket, [ticket("a", 3, "green"), ticket("a", 2)],
                          T0, RATIO_2)
    assert out.ticket.number == "A002" and out.windows == [WindowState("1", "open", "a2", 0)]


def test_finishing_pausing_or_emptying_the_window_keeps_the_streak():
    called = ticket(status="called", window="1", called_at=T0)
    state = WindowState("1", "open", called.id, 2)
    assert rules.finish(state, called, T0).windows == [WindowState("1", "open", None, 2)]
    assert rules.set_status(WindowState("1", "open", None, 2), "paused", None, T0).windows == [
        WindowState("1", "paused", None, 2)]
    # Nobody to call: the window's current is cleared, its streak is not.
    out = rules.call_next(HALL.window("1"), state, called, [], T0, RATIO_2)
    assert out.windows == [WindowState("1", "open", None, 2)]


def test_a_normal_ticket_waiting_past_the_maximum_goes_before_green_ones():
    line = [ticket("a", 1, minutes=0), ticket("a", 2, "green", minutes=20)]
    assert calls("1", line, WAIT_45, now=T0 + timedelta(minutes=44, seconds=59)) == ["A002", "A001"]
    assert calls("1", line, WAIT_45, now=T0 + timedelta(minutes=45)) == ["A001", "A002"]
    assert calls("1", line, QueueRules(), now=T0 + timedelta(hours=5)) == ["A002", "A001"]


def test_overdue_tickets_are_called_oldest_first_whatever_the_windows_service_order():
    line = [ticket("b", 1, minutes=10), ticket("c", 2, minutes=0), ticket("b", 3, "green", minutes=50),
            ticket("b", 4, minutes=40)]
    # At 9:55 B001 and C002 have waited 45 minutes or more; B004 has not: after the green one.
    assert calls("3", line, WAIT_45, now=T0 + timedelta(minutes=55)) == [
        "C002", "B001", "B003", "B004"]


def test_an_overdue_call_is_a_normal_call_and_resets_the_streak():
    out = rules.call_next(HALL.window("1"), WindowState("1", "open", None, 1), None,
                          [ticket("a", 1), ticket("a", 2, "green", minutes=50)],
                          T0 + timedelta(minutes=60), QueueRules(green_ratio=3, max_wait_minutes=45))
    assert out.ticket.number == "A001" and out.windows[0].green_streak == 0


def test_a_window_may_set_its_own_rules_and_otherwise_follows_the_halls():
    data = small_hall_data()
    data["queue"] = {"green_ratio": 3, "max_wait_minutes": 45}
    data["windows"][0].update(green_ratio=0)
    data["windows"][1].update(max_wait_minutes=0, green_ratio=1)
    hall = parse_config(data)
    assert [w.queue_rules(hall.queue) for w in hall.windows] == [
        QueueRules(0, 45), QueueRules(1, 0), QueueRules(3, 45)]


# -- calling a chosen ticket --------------------------------------------------------------------


def test_calling_a_chosen_ticket_finishes_the_current_one_and_calls_it():
    current = ticket("a", 1, status="serving", window="2", called_at=T0, started_at=T0)
    chosen = ticket("b", 9, minutes=30)
    out = rules.call_chosen(HALL.window("2"), WindowState("2", "open", current.id, 3), current,
                            chosen, "B009", T0 + timedelta(minutes=40), day="2026-11-26")
    assert [e.type for e in out.events] == ["ticket.finished", "ticket.called"]
    assert (out.ticket.number, out.ticket.status, out.ticket.window) == ("B009", "called", "2")
    assert out.windows == [WindowState("2", "open", "b9", 0)]  # a normal call resets the streak
    green = ticket("a", 4, "green")
    out = rules.call_chosen(HALL.window("2"), WindowState("2", "open", None, 3), None, green,
                            "A004", T0)
    assert out.windows == [WindowState("2", "open", "a4", 4)]


@pytest.mark.parametrize("chosen", [
    None,  # no such number today
    ticket("c", 2),  # C is not served at window 2
    ticket("a", 3, status="called", window="1"),  # another window has it
    ticket("a", 5, day="2026-11-25"),  # yesterday's
])
def test_calling_a_ticket_that_is_not_waiting_for_the_window_is_refused(chosen):
    number = chosen.number if chosen else "A077"
    with pytest.raises(DomainError) as e:
        rules.call_chosen(HALL.window("2"), WindowState("2", "open"), None, chosen, number, T0,
                          day="2026-11-26")
    assert e.value.code == "invalid_state" and number in e.value.message
    assert number in e.value.message_zh


def test_a_closed_or_paused_window_calls_no_chosen_ticket():
    for status in ("closed", "paused"):
        with pytest.raises(DomainError) as e:
            rules.call_chosen(HALL.window("1"), WindowState("1", status), None, ticket(), "A001", T0)
        assert e.value.code == "window_closed"


# -- closed means closed ---------------------------------------------------------------------------


def test_a_closed_window_refuses_resume_pause_and_calls_until_reopened():
    closed = WindowState("3", "closed")
    for action in ("resume", "pause", "call-next"):
        with pytest.raises(DomainError) as e:
            rules.window_action(action, HALL.window("3"), closed, None, [ticket("b")], T0)
        assert e.value.code == "window_closed"
        assert e.value.message == "Window 3 is closed for today; a supervisor can reopen it"
        assert e.value.message_zh == "3号窗口今日已关闭，可由值班主任重新开启"
    out = rules.window_action("open", HALL.window("3"), closed, None, [], T0)
    assert out.windows == [WindowState("3", "open")]
    assert [(e.type, e.window, e.data) for e in out.events] == [("window.status", "3", {"status": "open"})]


def test_opening_a_window_that_is_not_closed_changes_nothing():
    for status in ("open", "paused"):
        out = rules.reopen(WindowState("1", status), T0)
        assert out.windows == [] and out.events == []


def test_allowed_actions_offer_open_on_a_closed_window_only_to_who_may():
    def allowed(status, may=()):
        return rules.allowed_actions(HALL.window("1"), WindowState("1", status), None, [ticket()],
                                     [], None, T0, "2026-11-26", may=may)
    assert allowed("closed") == ()
    assert allowed("closed", may=("call", "open")) == ("open",)
    assert allowed("paused", may=("call", "open")) == ("resume", "close")
    assert allowed("open", may=("call", "open")) == ("call-next", "pause", "close")


def test_a_new_hall_day_gives_closed_windows_their_configured_status_back():
    windows = [WindowState("1", "closed", None, 2), WindowState("2", "paused"), WindowState("3", "closed"),
               WindowState("4", "closed")]
    out = rules.close_day("2026-11-26", "2026-11-27", [], windows, T0,
                          {"1": "open", "2": "open", "3": "closed"})  # 4: not in the config now
    assert out.windows == [WindowState("1", "open", None, 2)]
    assert [(e.type, e.window, e.data) for e in out.events] == [
        ("window.status", "1", {"status": "open"}),
        ("day.reset", None, {"closed_day": "2026-11-26", "day": "2026-11-27"})]
