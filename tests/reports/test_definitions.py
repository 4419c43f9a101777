"""The report's definitions (API.md "Reports") on hand-made days whose every figure is known:
waits to the first call, service time from the start (or the call), nearest-rank p90, the
service-level target of the service a ticket was issued for, hour keys in the hall's zone,
window and staff rows without `issued`."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from reports.support import ANN, BO, DAY1, DAY2, at

from hallcall.server.reports import report
from hallcall.server.store.schema import tickets

RATED = ("satisfied", "basic", "unsatisfied")


def row(issued, called, served, no_show, cancelled, transferred, wait, service_avg, sla,
        ratings=(0, 0, 0)) -> dict:
    """A ROW's figures; `wait`: (avg, p90, max) or None."""
    avg, p90, top = wait or (None, None, None)
    return {"issued": issued, "called": called, "served": served, "no_show": no_show,
            "cancelled": cancelled, "transferred": transferred, "wait_avg_s": avg,
            "wait_p90_s": p90, "wait_max_s": top, "service_avg_s": service_avg, "sla_pct": sla,
            "ratings": dict(zip(RATED, ratings, strict=True))}


def figures(r: dict) -> dict:
    return {k: v for k, v in r.items() if k not in ("key", "name", "name_en")}


def by_key(body: dict) -> dict:
    return {r["key"]: figures(r) for r in body["rows"]}


def first_day(hub, clock) -> dict:
    """Day 1, by the minute (waits in brackets):
    A001 called by Ann at window 1 [5:00], started 09:07, finished 09:17, satisfied;
    B001 called at window 3 by Bo [8:00], no-show requeued, called again at 09:25, transferred
      to C, called for C at 09:30 and finished at 09:40 without a start, unsatisfied;
    B002 called at window 2 by Ann [12:00, over B's 10-minute target], 09:13-09:14, basic;
    C001 cancelled by the citizen; A003 called [18:00] and a no-show; A002 never called."""
    at(clock, DAY1, "09:00")
    tokens = {}
    for service in ("a", "a", "a", "b", "b", "c"):
        view, _ = hub.issue(service)
        tokens[view.ticket.number] = view.ticket.token
    steps = [("09:05", "1", "call", ANN, {"number": "A001"}),
             ("09:07", "1", "start", ANN, {}),
             ("09:08", "3", "call", BO, {"number": "B001"}),
             ("09:09", "3", "no-show", BO, {"requeue": True}),
             ("09:12", "2", "call", ANN, {"number": "B002"}),
             ("09:13", "2", "start", ANN, {}),
             ("09:14", "2", "finish", ANN, {"rating": "basic"}),
             ("09:15", None, "cancel", None, {"number": "C001"}),
             ("09:17", "1", "finish", ANN, {"rating": "satisfied"}),
             ("09:18", "1", "call", ANN, {"number": "A003"}),
             ("09:20", "1", "no-show", ANN, {}),
             ("09:25", "3", "call", BO, {"number": "B001"}),
             ("09:26", "3", "transfer", BO, {"service": "c"}),
             ("09:30", "3", "call", BO, {"number": "B001"}),
             ("09:40", "3", "finish", BO, {"rating": "unsatisfied"})]
    for when, window, action, actor, kw in steps:
        at(clock, DAY1, when)
        if action == "cancel":
            hub.cancel_ticket(tokens[kw["number"]])
        else:
            hub.act(window, action, actor=actor, **kw)
    return tokens


def second_day(hub, clock) -> None:
    """Day 2: A001 issued at 10:00, called by Ann at 10:40 [40:00, over the default 30],
    finished at 10:50 without a start, unsatisfied."""
    at(clock, DAY2, "10:00")
    hub.issue("a")
    at(clock, DAY2, "10:40")
    hub.act("1", "call", actor=ANN, number="A001")
    at(clock, DAY2, "10:50")
    hub.act("1", "finish", actor=ANN, rating="unsatisfied")


def test_one_day_with_a_ticket_never_called(hub, clock):
    first_day(hub, clock)
    body = report(hub, DAY1, DAY1, "service")
    assert (body["from"], body["to"], body["by"]) == (DAY1, DAY1, "service")
    assert [(r["key"], r["name"], r["name_en"]) for r in body["rows"]] == [
        ("a", "甲", "Alpha"), ("b", "乙", "Beta"), ("c", "丙", "Gamma")]
    rows = by_key(body)
    # A002 still waits: issued, not called, no wait of its own.
    assert rows["a"] == row(3, 2, 1, 1, 0, 0, (690, 1080, 1080), 600, 100.0, (1, 0, 0))
    # B001 is B's, though transferred to C and served there; its wait is to its first call.
    assert rows["b"] == row(2, 2, 2, 0, 0, 1, (600, 720, 720), 330, 50.0, (0, 1, 1))
    assert rows["c"] == row(1, 0, 0, 0, 1, 0, None, None, None)
    assert figures(body["total"]) == row(6, 4, 3, 1, 1, 1, (645, 1080, 1080), 420, 75.0, (1, 1, 1))
    assert (body["total"]["key"], body["total"]["name"]) == ("total", "合计")


@pytest.fixture
def two_days(hub, clock):
    first_day(hub, clock)
    second_day(hub, clock)  # the roll-over cancels A002, still waiting at the end of day 1
    return hub


def test_by_service_across_two_days(two_days):
    body = report(two_days, DAY1, DAY2, "service")
    rows = by_key(body)
    assert list(rows) == ["a", "b", "c"]
    # a's waits 300, 1080, 2400: p90 is rank ceil(2.7) = 3; 2400 s misses the 30 minutes.
    assert rows["a"] == row(4, 3, 2, 1, 1, 0, (1260, 2400, 2400), 600, 66.7, (1, 0, 1))
    assert rows["b"] == row(2, 2, 2, 0, 0, 1, (600, 720, 720), 330, 50.0, (0, 1, 1))
    assert rows["c"] == row(1, 0, 0, 0, 1, 0, None, None, None)
    assert figures(body["total"]) == row(7, 5, 4, 1, 2, 1, (996, 2400, 2400), 465, 60.0, (1, 1, 2))


def test_only_the_days_of_the_range_count(two_days):
    body = report(two_days, DAY2, DAY2, "service")
    assert by_key(body) == {"a": row(1, 1, 1, 0, 0, 0, (2400, 2400, 2400), 600, 0.0, (0, 0, 1))}
    empty = report(two_days, "2026-11-01", "2026-11-25", "service")
    assert empty["rows"] == [] and figures(empty["total"]) == row(0, 0, 0, 0, 0, 0, None, None, None)


def test_by_department_of_the_service_issued_for(two_days):
    body = report(two_days, DAY1, DAY2, "department")
    assert [(r["key"], r["name"], r["name_en"]) for r in body["rows"]] == [
        ("d", "部门", "Department"), ("e", "二部", "Second")]
    rows = by_key(body)
    assert rows["d"] == row(6, 5, 4, 1, 1, 1, (996, 2400, 2400), 465, 60.0, (1, 1, 2))
    assert rows["e"] == row(1, 0, 0, 0, 1, 0, None, None, None)  # B001 went to C, counts for B's
    assert figures(body["total"]) == row(7, 5, 4, 1, 2, 1, (996, 2400, 2400), 465, 60.0, (1, 1, 2))


def test_by_window_has_no_issued_and_leaves_out_tickets_never_at_one(two_days):
    body = report(two_days, DAY1, DAY2, "window")
    assert [(r["key"], r["name"]) for r in body["rows"]] == [("1", "1号窗口"), ("2", "2号窗口"),
                                                             ("3", "3号窗口")]
    rows = by_key(body)
    assert rows["1"] == row(None, 3, 2, 1, 0, 0, (1260, 2400, 2400), 600, 66.7, (1, 0, 1))
    # B002 waited 12 minutes for B (target 10); B001 8 minutes, served as C (target 30) but B's.
    assert rows["2"] == row(None, 1, 1, 0, 0, 0, (720, 720, 720), 60, 0.0, (0, 1, 0))
    assert rows["3"] == row(None, 1, 1, 0, 0, 1, (480, 480, 480), 600, 100.0, (0, 0, 1))
    # A002 and C001 were never at a window: in no row, nor in the total.
    assert figures(body["total"]) == row(None, 5, 4, 1, 0, 1, (996, 2400, 2400), 465, 60.0, (1, 1, 2))


def test_by_staff_who_served_each_ticket_last(two_days):
    body = report(two_days, DAY1, DAY2, "staff")
    assert [(r["key"], r["name"]) for r in body["rows"]] == [("ann", "安娜"), ("bo", "博")]
    assert all("name_en" not in r for r in body["rows"])
    rows = by_key(body)
    # Ann: waits 300, 720, 1080, 2400 (p90: rank 4); within target: 300 and 1080 of A.
    assert rows["ann"] == row(None, 4, 3, 1, 0, 0, (1125, 2400, 2400), 420, 50.0, (1, 1, 1))
    assert rows["bo"] == row(None, 1, 1, 0, 0, 1, (480, 480, 480), 600, 100.0, (0, 0, 1))
    assert figures(body["total"]) == row(None, 5, 4, 1, 0, 1, (996, 2400, 2400), 465, 60.0, (1, 1, 2))


def test_by_hour_of_issue_in_the_halls_zone_every_hour_listed(two_days):
    body = report(two_days, DAY1, DAY2, "hour")
    assert [r["key"] for r in body["rows"]] == [f"{h:02d}" for h in range(24)]
    rows = by_key(body)
    # Issued at 09:00 and 10:00 in Shanghai (01:00 and 02:00 UTC).
    assert rows["09"] == row(6, 4, 3, 1, 2, 1, (645, 1080, 1080), 420, 75.0, (1, 1, 1))
    assert rows["10"] == row(1, 1, 1, 0, 0, 0, (2400, 2400, 2400), 600, 0.0, (0, 0, 1))
    quiet = row(0, 0, 0, 0, 0, 0, None, None, None)
    assert all(rows[h] == quiet for h in rows if h not in ("09", "10"))
    assert figures(body["total"]) == row(7, 5, 4, 1, 2, 1, (996, 2400, 2400), 465, 60.0, (1, 1, 2))


def test_by_day_every_day_of_the_range_listed(two_days):
    body = report(two_days, "2026-11-25", "2026-11-28", "day")
    assert [r["key"] for r in body["rows"]] == ["2026-11-25", DAY1, DAY2, "2026-11-28"]
    rows = by_key(body)
    assert rows[DAY1] == row(6, 4, 3, 1, 2, 1, (645, 1080, 1080), 420, 75.0, (1, 1, 1))
    assert rows[DAY2] == row(1, 1, 1, 0, 0, 0, (2400, 2400, 2400), 600, 0.0, (0, 0, 1))
    assert rows["2026-11-25"] == rows["2026-11-28"] == row(0, 0, 0, 0, 0, 0, None, None, None)


def waits_of(hub, clock, minutes: list[int]) -> None:
    """Tickets of A issued at 09:00, each called after its number of minutes and finished."""
    at(clock, DAY1, "09:00")
    for _ in minutes:
        hub.issue("a")
    for n, m in sorted(enumerate(minutes, 1), key=lambda p: p[1]):
        at(clock, DAY1, f"{9 + m // 60:02d}:{m % 60:02d}")
        hub.act("1", "call", actor=ANN, number=f"A{n:03d}")
        hub.act("1", "finish", actor=ANN)


@pytest.mark.parametrize(("minutes", "p90"), [
    ([7, 2, 9, 1, 10, 4, 3, 8, 6, 5], 9),  # rank ceil(9.0) = 9 (interpolation would say 9.1)
    ([7, 2, 9, 1, 10, 4, 3, 8, 6, 5, 11], 10),  # rank ceil(9.9) = 10
    ([4], 4),
])
def test_p90_is_the_nearest_rank(hub, clock, minutes, p90):
    waits_of(hub, clock, minutes)
    total = report(hub, DAY1, DAY1, "service")["total"]
    assert total["wait_p90_s"] == p90 * 60
    assert total["wait_max_s"] == max(minutes) * 60
    assert total["wait_avg_s"] == round(sum(minutes) * 60 / len(minutes))


def test_seconds_round_to_whole_seconds(hub, clock):
    at(clock, DAY1, "09:00:00")
    hub.issue("a")
    hub.issue("a")
    at(clock, DAY1, "09:00:10")
    hub.act("1", "call", actor=ANN, number="A001")  # 10 s
    at(clock, DAY1, "09:00:11")
    hub.act("1", "finish", actor=ANN)
    hub.act("1", "call", actor=ANN, number="A002")  # 11 s
    total = report(hub, DAY1, DAY1, "service")["total"]
    assert (total["wait_avg_s"], total["wait_p90_s"], total["service_avg_s"]) == (11, 11, 1)  # 10.5 up


def test_sla_by_the_target_of_the_service_issued_for(hub, clock):
    """B promises 10 minutes: a wait of exactly 10 is within it, 10 and a second is not; C keeps
    the default 30 and a B ticket transferred to C is still judged by B's 10."""
    at(clock, DAY1, "09:00:00")
    for s in ("b", "b", "c"):
        hub.issue(s)
    at(clock, DAY1, "09:10:00")
    hub.act("3", "call", actor=BO, number="B001")
    at(clock, DAY1, "09:10:01")
    hub.act("3", "transfer", actor=BO, service="c")
    hub.act("2", "call", actor=ANN, number="B002")
    at(clock, DAY1, "09:29:00")
    hub.act("3", "call", actor=BO, number="C001")
    rows = by_key(report(hub, DAY1, DAY1, "service"))
    assert (rows["b"]["called"], rows["b"]["sla_pct"]) == (2, 50.0)
    assert (rows["c"]["called"], rows["c"]["sla_pct"]) == (1, 100.0)
    sla_third = report(hub, DAY1, DAY1, "department")["total"]["sla_pct"]
    assert sla_third == 66.7


def test_a_service_the_hall_no_longer_has_still_counts(hub, hall, clock):
    at(clock, DAY1, "09:00")
    hub.issue("c")
    # The hall as it may be a year on: C removed from the config, its tickets still stored.
    gone = replace(hall, services=tuple(s for s in hall.services if s.id != "c"))
    later = SimpleNamespace(config=gone, store=hub.store)
    by_service = report(later, DAY1, DAY1, "service")
    assert [(r["key"], r["name"], r["issued"]) for r in by_service["rows"]] == [("c", "c", 1)]
    by_department = report(later, DAY1, DAY1, "department")
    assert [(r["key"], r["name"], r["issued"]) for r in by_department["rows"]] == [("", "?", 1)]


def test_an_unknown_by_is_refused(hub):
    with pytest.raises(ValueError, match="by must be one of"):
        report(hub, DAY1, DAY1, "month")


def test_a_service_time_is_never_negative(hub, clock):
    """The hub's clock never runs back, but a row written by another hub process or an older
    version may finish before its start: it counts as 0 s, not minus 5 minutes."""
    at(clock, DAY1, "09:00")
    hub.issue("a")
    hub.issue("a")
    for window, number in (("1", "A001"), ("2", "A002")):
        hub.act(window, "call", actor=ANN, number=number)
    at(clock, DAY1, "09:02")
    hub.act("1", "finish", actor=ANN)
    hub.act("2", "finish", actor=ANN)
    with hub.store.engine.begin() as conn:
        conn.execute(tickets.update().where(tickets.c.number == "A001")
                     .values(started_at=tickets.c.finished_at + 300_000_000))
    assert report(hub, DAY1, DAY1, "service")["total"]["service_avg_s"] == 60  # (0 + 120) / 2


def test_hours_follow_summer_time_day_by_day(make_hub, clock):
    """A hall in Berlin: 09:00 is 08:00 UTC before the clocks go forward (29 March 2026) and
    07:00 UTC after; both are the hour "09" of their day."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reports.support import report_hall_data

    from hallcall.server.config import parse_config

    data = report_hall_data()
    data["hall"]["timezone"] = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    clock.set(datetime(2026, 3, 27, 8, 0, tzinfo=berlin))  # the hub's time never runs back
    hub = make_hub(config=parse_config(data))
    for day in (27, 30):
        clock.set(datetime(2026, 3, day, 9, 30, tzinfo=berlin))
        hub.issue("a")
    rows = by_key(report(hub, "2026-03-27", "2026-03-30", "hour"))
    assert rows["09"]["issued"] == 2
    assert sum(r["issued"] for r in rows.values()) == 2


def test_reports_asked_at_once_are_made_one_after_another(hub, clock, monkeypatch):
    """Each report holds a few MB while it runs: four at once would take the hub over its memory
    budget, so they queue, and each still gets its own, whole answer."""
    import importlib
    import threading
    from concurrent.futures import ThreadPoolExecutor

    report_module = importlib.import_module("hallcall.server.reports.report")  # not the function

    first_day(hub, clock)
    running, most = [0], [0]
    guard = threading.Lock()
    real = report_module.report_of

    def watched(*args):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            threading.Event().wait(0.05)  # long enough for the others to arrive
            return real(*args)
        finally:
            with guard:
                running[0] -= 1

    monkeypatch.setattr(report_module, "report_of", watched)
    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(lambda by: report(hub, DAY1, DAY1, by), ["service", "window", "hour", "day"]))
    assert most[0] == 1
    assert [b["by"] for b in bodies] == ["service", "window", "hour", "day"]
    assert all(b["total"]["called"] == 4 for b in bodies)
