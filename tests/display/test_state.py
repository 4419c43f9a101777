"""What the wall board knows, without a screen or a hub: calls flash once and are listed once per
ticket, a resumed stream or a fresh snapshot never flashes an old call again, the day's roll-over
clears the board but not the citizens still at their windows, and flashes take their turns on
the board's clock."""
from __future__ import annotations

from hallcall import events
from hallcall.display.state import BUSY_FLASH_S, FLASH_S, BoardState

T0 = 1000.0  # the board's monotonic clock when the test begins


def window(wid: str, current: dict | None = None) -> dict:
    return {"id": wid, "name": {"zh": f"{wid}号窗口", "en": f"Window {wid}"}, "status": "open",
            "current": current}


def ticket(number: str, status: str = "called", at_window: str | None = None,
           called_at: str = "2026-11-26T09:00:00+08:00") -> dict:
    return {"id": f"id-{number}", "number": number, "status": status, "window": at_window,
            "called_at": called_at}


def event(seq: int, kind: str, number: str | None = None, wid: str | None = None,
          status: str = "called", **data) -> dict:
    e = {"seq": seq, "type": kind, "at": "2026-11-26T09:00:00+08:00", **data}
    if number is not None:
        e["ticket"] = ticket(number, status, wid)
    if wid is not None:
        e["window"] = {"id": wid, "name": {"zh": f"{wid}号窗口", "en": f"Window {wid}"}}
    return e


def snapshot(last_event: int = 0, windows=None, recent_calls=(), notices=(), services=None):
    return {"hall": {"name": {"zh": "政务服务中心", "en": "Service Centre"}},
            "services": services if services is not None else [
                {"id": "a", "waiting": 2}, {"id": "b", "waiting": 0}, {"id": "c", "waiting": 5}],
            "windows": windows if windows is not None else [window("1"), window("2"), window("3")],
            "notices": list(notices), "recent_calls": list(recent_calls),
            "last_event": last_event}


def board(**kw) -> BoardState:
    state = BoardState(**kw)
    state.apply_snapshot(snapshot(last_event=10))
    return state


def listed(state: BoardState) -> list[str]:
    return [c["ticket"]["number"] for c in state.recent]


def test_a_new_call_flashes_is_listed_and_shows_at_its_window():
    state = board()
    assert state.apply_event(event(11, events.TICKET_CALLED, "A001", "2"), T0)
    assert state.flash["ticket"]["number"] == "A001"
    assert state.latest["window"]["id"] == "2"
    assert listed(state) == ["A001"]
    assert state.windows["2"]["current"]["number"] == "A001"
    assert [w["id"] for w in state.serving()] == ["2"]


def test_a_recall_flashes_again_but_the_ticket_is_listed_once():
    state = board()
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "2"), T0)
    state.apply_event(event(12, events.TICKET_CALLED, "B001", "3"), T0 + 10)
    state.tick(T0 + 20)  # both flashes are over
    state.apply_event(event(13, events.TICKET_RECALLED, "A001", "2"), T0 + 30)
    assert state.flash["ticket"]["number"] == "A001"
    assert listed(state) == ["A001", "B001"]  # newest first, A001 once
    assert state.flashed == [("A001", "2"), ("B001", "3"), ("A001", "2")]


def test_calls_in_the_snapshot_are_listed_but_never_flashed():
    state = BoardState()
    earlier = event(8, events.TICKET_CALLED, "A007", "1")
    state.apply_snapshot(snapshot(last_event=9, recent_calls=[earlier],
                                  windows=[window("1", ticket("A007", at_window="1"))]))
    assert listed(state) == ["A007"]
    assert state.flash is None and state.latest["ticket"]["number"] == "A007"
    state.tick(T0)
    assert state.flashed == []


def test_a_resumed_stream_replays_nothing_the_board_has_seen():
    state = board()  # its snapshot was taken at event 10
    # The stream resumes from an older position (or repeats what it sent): history, not news.
    assert not state.apply_event(event(9, events.TICKET_CALLED, "A001", "1"), T0)
    assert state.apply_event(event(11, events.TICKET_CALLED, "A002", "1"), T0)
    assert not state.apply_event(event(11, events.TICKET_CALLED, "A002", "1"), T0 + 1)
    state.tick(T0 + 60)
    assert state.flashed == [("A002", "1")]
    assert listed(state) == ["A002"]


def test_a_fresh_snapshot_updates_the_counts_without_flashing_old_calls_again():
    state = board()
    call = event(11, events.TICKET_CALLED, "A001", "1")
    state.apply_event(call, T0)
    state.tick(T0 + FLASH_S)
    # The refresh after the call: it lists the same call among its recent ones.
    state.apply_snapshot(snapshot(last_event=11, recent_calls=[call],
                                  windows=[window("1", ticket("A001", at_window="1"))],
                                  services=[{"id": "a", "waiting": 1}, {"id": "c", "waiting": 4}]))
    state.tick(T0 + 2 * FLASH_S)
    assert state.flashed == [("A001", "1")]
    assert listed(state) == ["A001"]
    assert [s["id"] for s in state.waiting()] == ["c", "a"]  # the longest queue first


def test_arrival_keeps_the_ticket_at_its_window_and_the_end_clears_it():
    state = board()
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "1"), T0)
    state.apply_event(event(12, events.TICKET_STARTED, "A001", "1", status="serving"), T0 + 1)
    assert state.windows["1"]["current"]["status"] == "serving"
    state.apply_event(event(13, events.TICKET_FINISHED, "A001", "1", status="done"), T0 + 2)
    assert state.windows["1"]["current"] is None
    assert listed(state) == ["A001"]  # still among the recent calls


def test_a_no_show_clears_only_the_window_whose_ticket_it_was():
    state = board()
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "1"), T0)
    state.apply_event(event(12, events.TICKET_CALLED, "A002", "2"), T0)
    state.apply_event(event(13, events.TICKET_NO_SHOW, "A001", "1", status="no_show"), T0 + 1)
    assert state.windows["1"]["current"] is None
    assert state.windows["2"]["current"]["number"] == "A002"


def test_the_day_roll_over_clears_the_calls_but_keeps_the_windows_tickets():
    state = board()
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "1"), T0)
    state.apply_event(event(12, events.TICKET_CALLED, "A002", "2"), T0)  # waits for its flash
    state.apply_event(event(13, events.DAY_RESET, closed_day="2026-11-25", day="2026-11-26"),
                      T0 + 1)
    assert state.recent == [] and state.flash is None and state.latest is None
    state.tick(T0 + 60)
    assert state.flashed == [("A001", "1")]  # A002's flash was dropped with the old day
    # The citizens called before the roll-over are still walking to their windows.
    assert state.windows["1"]["current"]["number"] == "A001"
    assert state.windows["2"]["current"]["number"] == "A002"


def test_notices_change_with_their_event_and_with_the_next_snapshot():
    state = board()
    state.apply_event(event(11, events.NOTICES_CHANGED,
                            notices=[{"zh": "午休", "en": "Lunch break"}]), T0)
    assert state.notices == [{"zh": "午休", "en": "Lunch break"}]
    state.apply_snapshot(snapshot(last_event=11, notices=[]))
    assert state.notices == []


def test_a_flash_lasts_its_time_then_the_latest_call_stays_large():
    state = board()
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "1"), T0)
    state.tick(T0 + FLASH_S - 0.1)
    assert state.flash is not None
    state.tick(T0 + FLASH_S)
    assert state.flash is None
    assert state.latest["ticket"]["number"] == "A001"


def test_calls_waiting_behind_a_flash_shorten_it_and_take_their_turns_in_order():
    state = board()
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "1"), T0)
    state.apply_event(event(12, events.TICKET_CALLED, "A002", "2"), T0 + 0.5)
    state.apply_event(event(13, events.TICKET_CALLED, "A003", "3"), T0 + 0.5)
    state.tick(T0 + BUSY_FLASH_S - 0.1)
    assert state.flash["ticket"]["number"] == "A001"
    state.tick(T0 + BUSY_FLASH_S)
    assert state.flash["ticket"]["number"] == "A002"
    state.tick(T0 + 2 * BUSY_FLASH_S)
    assert state.flash["ticket"]["number"] == "A003"
    state.tick(T0 + 2 * BUSY_FLASH_S + FLASH_S - 0.1)  # the last one gets its full time
    assert state.flash["ticket"]["number"] == "A003"
    state.tick(T0 + 2 * BUSY_FLASH_S + FLASH_S)
    assert state.flash is None
    assert state.flashed == [("A001", "1"), ("A002", "2"), ("A003", "3")]


def test_a_windows_own_screen_flashes_only_its_calls_but_lists_all():
    state = board(only_window="3")
    state.apply_event(event(11, events.TICKET_CALLED, "A001", "1"), T0)
    assert state.flash is None
    state.apply_event(event(12, events.TICKET_CALLED, "A002", "3"), T0 + 1)
    assert state.flash["ticket"]["number"] == "A002"
    assert listed(state) == ["A002", "A001"]


def test_the_list_keeps_the_newest_calls_only():
    state = board(recent_max=3)
    for i in range(5):
        state.apply_event(event(11 + i, events.TICKET_CALLED, f"A00{i}", "1"), T0 + 10 * i)
    assert listed(state) == ["A004", "A003", "A002"]
