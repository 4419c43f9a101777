"""The hall day's roll-over with citizens at the windows, and a wall clock that NTP steps back or
forward, through the hub's API on a real SQLite file with a controllable clock.

The demo hall's day starts at 04:00 (Asia/Shanghai)."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

import pytest
from helpers import ADMIN, BUTTONS, KIOSK, SHANGHAI

from hallcall.server.answers import DayClosed

SERVICE = "company-name"  # served by windows 1-4 in the demo hall
OLD, NEW = "2026-11-26", "2026-11-27"


def at(hh, mm, day=27):
    return datetime(2026, 11, day, hh, mm, tzinfo=SHANGHAI)


def issue(client):
    r = client.post("/api/tickets", json={"service": SERVICE}, headers=KIOSK)
    assert r.status_code == 201, r.json
    return r.json["ticket"]


def act(client, window, action, body=None):
    return client.post(f"/api/windows/{window}/{action}", json=body or {}, headers=BUTTONS)


def ticket(client, token):
    return client.get(f"/api/tickets/{token}").json["ticket"]


def stats(client, day):
    s = client.get(f"/api/stats?date={day}", headers=ADMIN).json
    return next(r for r in s["services"] if r["id"] == SERVICE)


def window(client, wid):
    return next(w for w in client.get("/api/hall").json["windows"] if w["id"] == wid)


def events(app, type_=None):
    with app.config["HUB"].store.read(app.config["HUB"].config) as tx:
        return [json.loads(e.data) for e in tx.events_after(0, 100_000)
                if type_ is None or e.type == type_]


def all_tickets(app):
    with app.config["HUB"].store.read(app.config["HUB"].config) as tx:
        return tx.all_tickets()


def assert_numbering_never_restarts(app):
    """Per hall day and service: A001, A002, … each once, in the order they were issued."""
    by_day = defaultdict(list)
    for t in sorted(all_tickets(app), key=lambda t: t.issued_at):
        by_day[(t.day, t.origin_service)].append(t.seq_no)
    for key, seqs in by_day.items():
        assert seqs == list(range(1, len(seqs) + 1)), (key, seqs)


def assert_times_never_run_backwards(app):
    for t in all_tickets(app):
        times = [x for x in (t.issued_at, t.called_at, t.started_at, t.finished_at) if x]
        assert times == sorted(times), (t.number, t.day, times)
        assert t.queued_at >= t.issued_at


@pytest.fixture
def before_four(make_app, clock):
    """Day OLD at 03:50: A001 called at window 1, A002 being served at window 2, A003 waiting."""
    clock.set(at(3, 50))
    app = make_app()
    c = app.test_client()
    tickets = [issue(c) for _ in range(3)]
    assert act(c, "1", "call-next").json["ticket"]["number"] == "A001"
    assert act(c, "2", "call-next").json["ticket"]["number"] == "A002"
    assert act(c, "2", "start").status_code == 200
    assert {t["day"] for t in tickets} == {OLD}
    return app, c, tickets


def test_citizens_at_the_windows_stay_over_the_roll_over_and_count_for_their_day(before_four, clock):
    app, c, (a1, a2, a3) = before_four
    clock.set(at(4, 1))
    # Before any write has rolled the day over, and after: both stay shown at their windows.
    assert window(c, "1")["current"]["number"] == "A001"
    new_a1 = issue(c)  # the first write of the day rolls it over
    assert (new_a1["number"], new_a1["day"]) == ("A001", NEW)

    hall = c.get("/api/hall").json
    assert hall["hall"]["day"] == NEW
    w1, w2 = window(c, "1"), window(c, "2")
    assert (w1["current"]["id"], w1["current"]["status"], w1["current"]["day"]) == (a1["id"], "called", OLD)
    assert (w2["current"]["id"], w2["current"]["status"]) == (a2["id"], "serving")
    assert app.config["HUB"].window_view("2").window.current.id == a2["id"]
    # Only the waiting citizen was cancelled, and the phone page's JSON says why.
    gone = ticket(c, a3["token"])
    assert (gone["status"], gone["cancel_reason"]) == ("cancelled", "day_closed")
    assert ticket(c, a1["token"])["status"] == "called"
    assert ticket(c, a2["token"])["cancel_reason"] is None

    # The clerks end them as usual; window 1's call-next calls today's queue.
    assert act(c, "2", "finish").json["ticket"]["status"] == "done"
    assert act(c, "2", "rate", {"rating": "satisfied"}).json["ticket"]["id"] == a2["id"]
    called = act(c, "1", "call-next").json["ticket"]
    assert called["id"] == new_a1["id"]
    assert ticket(c, a1["token"])["status"] == "done"

    old = stats(c, OLD)
    assert (old["issued"], old["called"], old["served"], old["cancelled"]) == (3, 2, 2, 1)
    assert old["ratings"]["satisfied"] == 1
    new = stats(c, NEW)
    assert (new["issued"], new["called"], new["served"], new["waiting"]) == (1, 1, 0, 0)
    assert len(events(app, "day.reset")) == 1
    assert_numbering_never_restarts(app)


def test_a_kept_ticket_cannot_be_requeued_or_transferred_into_the_closed_day(before_four, clock):
    app, c, (a1, a2, a3) = before_four
    clock.set(at(4, 1))
    for action, body in (("no-show", {"requeue": True}), ("transfer", {"service": "company-setup"})):
        r = act(c, "1", action, body)
        assert r.status_code == 409 and r.json["error"]["code"] == "invalid_state"
        assert OLD in r.json["error"]["message"] and r.json["error"]["message_zh"]
    assert ticket(c, a1["token"])["status"] == "called"  # nothing changed
    assert act(c, "1", "no-show").json["ticket"]["status"] == "no_show"
    assert stats(c, OLD)["no_show"] == 1


def test_close_day_by_hand_keeps_the_citizens_at_the_windows(before_four, clock):
    app, c, (a1, a2, a3) = before_four
    assert app.config["HUB"].close_day() == DayClosed(day=OLD, cancelled=1, at_windows=2)
    assert ticket(c, a3["token"])["cancel_reason"] == "day_closed"
    assert window(c, "2")["current"]["id"] == a2["id"]
    assert issue(c)["number"] == "A004"  # the same hall day goes on numbering


def test_clock_back_ten_minutes_across_the_day_start_does_not_reopen_yesterday(make_app, clock):
    clock.set(at(3, 58))
    app = make_app()
    c = app.test_client()
    old = issue(c)
    clock.set(at(4, 2))
    first = issue(c)
    assert (first["number"], first["day"]) == ("A001", NEW)
    clock.set(at(3, 52))  # NTP steps the clock back 10 minutes, to yesterday's hall day
    again = issue(c)
    assert (again["number"], again["day"]) == ("A002", NEW)  # neither A001 again nor into OLD
    assert again["issued_at"] >= first["issued_at"]
    assert c.get("/api/hall").json["hall"]["day"] == NEW
    assert stats(c, NEW)["issued"] == 2  # today's figures, though the wall clock says yesterday
    clock.set(at(4, 3))  # the wall clock passes 04:00 again: no second roll-over
    assert issue(c)["number"] == "A003"
    app.config["HUB"].roll_over_if_due()
    assert [e["closed_day"] for e in events(app, "day.reset")] == [OLD]
    assert ticket(c, old["token"])["status"] == "cancelled"
    assert_numbering_never_restarts(app)


def test_clock_forward_an_hour_across_the_day_start_then_back_rolls_over_once(make_app, clock):
    clock.set(at(3, 30))
    app = make_app()
    c = app.test_client()
    issue(c)
    issue(c)
    clock.set(at(4, 30))  # a wrong step forward an hour: the day rolls over
    assert issue(c)["day"] == NEW
    clock.set(at(3, 31))  # and NTP corrects it
    again = issue(c)
    assert (again["number"], again["day"]) == ("A002", NEW)
    clock.set(at(4, 31))
    assert issue(c)["number"] == "A003"
    assert len(events(app, "day.reset")) == 1
    assert stats(c, OLD)["issued"] == 2
    assert_numbering_never_restarts(app)


def test_clock_back_ten_minutes_mid_day_keeps_queue_order_and_figures_non_negative(make_app, clock):
    clock.set(at(10, 0))
    app = make_app()
    c = app.test_client()
    first = issue(c)
    clock.set(at(9, 50))
    second = issue(c)  # issued after the first, though the wall clock now says earlier
    assert act(c, "1", "call-next").json["ticket"]["id"] == first["id"]
    assert act(c, "2", "call-next").json["ticket"]["id"] == second["id"]
    act(c, "1", "start")
    clock.advance(minutes=3)  # still behind 10:00
    act(c, "1", "finish")
    act(c, "2", "no-show", {"requeue": True})
    clock.set(at(10, 20))
    act(c, "2", "call-next")
    act(c, "2", "finish")
    s = stats(c, NEW)
    assert s["served"] == 2
    assert s["avg_wait_s"] >= 0 and s["max_wait_s"] >= 0 and s["avg_service_s"] >= 0
    assert_times_never_run_backwards(app)
    with app.config["HUB"].store.read(app.config["HUB"].config) as tx:
        seqs_at = [(e.seq, json.loads(e.data)["at"]) for e in tx.events_after(0, 1000)]
    assert [a for _, a in seqs_at] == sorted(a for _, a in seqs_at)  # the log's times only grow


def test_after_a_restart_or_in_another_hub_process_the_clock_still_does_not_run_back(make_app, clock):
    """Each hub process holds its own clock; the last stored change holds them all."""
    clock.set(at(10, 0))
    a = make_app()
    b = make_app()  # a second hub process on the same file, started before a's tickets
    ca, cb = a.test_client(), b.test_client()
    first = issue(ca)
    clock.set(at(9, 50))
    second = issue(cb)
    assert second["issued_at"] >= first["issued_at"] and second["number"] == "A002"
    assert act(cb, "1", "call-next").json["ticket"]["id"] == first["id"]
    clock.set(at(9, 45))
    restarted = make_app()  # a new hub process (as after a restart) while the clock is behind
    third = issue(restarted.test_client())
    assert third["issued_at"] >= second["issued_at"]
    assert act(cb, "2", "call-next").json["ticket"]["id"] == second["id"]
    assert_times_never_run_backwards(b)
