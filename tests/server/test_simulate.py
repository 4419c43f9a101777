"""`hallcall simulate`: a made-up history, written through the hub's use cases."""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from helpers import SHANGHAI, FakeClock

from hallcall.cli import main
from hallcall.server.bootstrap import build_hub
from hallcall.server.config import load_config
from hallcall.server.simulate import Refused, simulate

TODAY = date(2026, 11, 26)
DAYS = ["2026-11-24", "2026-11-25"]


def rows(path, query: str, *args) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query, args).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Two days of 200 tickets in the demo hall, seed 7: (the file, the result)."""
    path = tmp_path_factory.mktemp("sim") / "hall.db"
    result = simulate(load_config(), f"sqlite:///{path}", days=2, per_day=200, seed=7, today=TODAY)
    return path, result


def test_the_days_and_the_tickets_are_the_ones_asked_for(history):
    path, result = history
    assert result.days == DAYS
    assert result.tickets == 400
    assert rows(path, "SELECT day, count(*) FROM tickets GROUP BY day ORDER BY day") == [
        (DAYS[0], 200), (DAYS[1], 200)]
    # Each day was closed by the roll-over, the last one at today's start, as the hub does.
    resets = [json.loads(d) for (d,) in rows(path, "SELECT data FROM events WHERE type = 'day.reset'")]
    assert [r.get("day") for r in resets][-2:] == [DAYS[1], TODAY.isoformat()]
    assert rows(path, "SELECT count(*) FROM tickets WHERE status IN ('waiting', 'called', 'serving')") \
        == [(0,)]


def test_arrivals_peak_in_the_morning_and_the_afternoon(history):
    path, _ = history
    hours = Counter({int(h): n for h, n in rows(
        path, "SELECT strftime('%H', issued_at / 1000000, 'unixepoch', '+8 hours'), count(*) "
              "FROM tickets GROUP BY 1")})
    assert set(hours) <= set(range(8, 17))  # issued within 08:30-17:00
    for peak in (9, 14):
        assert hours[peak] > 2 * hours[16], hours  # the last hour of the day
        assert hours[peak] > 2 * hours[8] and hours[peak] > hours[12], hours  # opening, lunch


def test_no_ticket_is_duplicated_or_at_two_windows_at_once(history):
    path, _ = history
    assert rows(path, "SELECT day, number, count(*) FROM tickets GROUP BY day, number "
                      "HAVING count(*) > 1") == []
    at_window: dict[str, str] = {}  # ticket -> the window it is at
    current: dict[str, str] = {}  # window -> its ticket
    for (data,) in rows(path, "SELECT data FROM events WHERE type LIKE 'ticket.%' ORDER BY seq"):
        e = json.loads(data)
        ticket, kind = e["ticket"]["id"], e["type"]
        if kind == "ticket.called":
            window = e["window"]["id"]
            assert ticket not in at_window, e  # called while already called somewhere
            assert window not in current, e  # a window with two citizens at once
            at_window[ticket], current[window] = window, ticket
        elif kind in ("ticket.finished", "ticket.no_show", "ticket.transferred"):
            window = at_window.pop(ticket)
            assert current.pop(window) == ticket and e["window"]["id"] == window
        elif kind in ("ticket.started", "ticket.recalled"):
            assert at_window[ticket] == e["window"]["id"]
    assert at_window == {} and current == {}


def test_no_shows_transfers_green_and_ratings_are_all_there(history):
    path, result = history
    statuses = dict(rows(path, "SELECT status, count(*) FROM tickets GROUP BY status"))
    assert 0.02 * 400 <= statuses["no_show"] <= 0.12 * 400, statuses
    assert statuses["done"] > 0.8 * 400
    requeued = rows(path, "SELECT count(*) FROM events WHERE type = 'ticket.no_show' "
                          "AND (data LIKE '%\"requeued\": true%' OR data LIKE '%\"requeued\":true%')")
    assert requeued[0][0] > 0 and result.counts["requeued"] == requeued[0][0]
    assert rows(path, "SELECT count(*) FROM tickets WHERE transfers > 0")[0][0] > 0
    assert rows(path, "SELECT count(*) FROM tickets WHERE service != origin_service")[0][0] > 0
    green = rows(path, "SELECT count(*) FROM tickets WHERE priority = 'green'")[0][0]
    assert 0 < green < 0.12 * 400
    ratings = dict(rows(path, "SELECT rating, count(*) FROM tickets WHERE rating IS NOT NULL "
                              "GROUP BY rating"))
    assert sum(ratings.values()) > 0.6 * statuses["done"]
    assert ratings["satisfied"] > 0.7 * sum(ratings.values())
    # Service times follow the services: a 20-minute one takes longer than a 3-minute one.
    per = dict(rows(path, "SELECT service, avg(finished_at - started_at) / 60e6 FROM tickets "
                          "WHERE status = 'done' AND transfers = 0 GROUP BY service"))
    assert per["real-estate-transfer"] > 2 * per["senior-card"], per
    # Every window action is a clerk's, in the audit log.
    actors = rows(path, "SELECT DISTINCT actor_kind FROM audit WHERE action LIKE 'window.%'")
    assert actors == [("staff",)]


def test_the_same_seed_makes_the_same_history(tmp_path):
    # Two days (the roll-over between them included) of a few tickets show it as well as the
    # module's 400: each run is seconds of the hub's transactions.
    def history_of(name: str, seed: int) -> list[tuple]:
        simulate(load_config(), str(tmp_path / name), days=2, per_day=40, seed=seed, today=TODAY)
        return rows(tmp_path / name, "SELECT day, number, service, origin_service, priority, "
                    "status, issued_at, called_at, started_at, finished_at, window, rating, "
                    "transfers FROM tickets ORDER BY issued_at, number")

    first = history_of("first.db", 7)
    assert len(first) == 80 and {r[0] for r in first} == set(DAYS)
    assert history_of("again.db", 7) == first
    assert history_of("other.db", 8) != first


def test_a_database_with_tickets_in_the_range_is_refused_and_left_as_it_was(tmp_path, capsys):
    path = tmp_path / "hall.db"
    yesterday = date.today() - timedelta(days=1)
    clock = FakeClock(datetime(yesterday.year, yesterday.month, yesterday.day, 10, 0, tzinfo=SHANGHAI))
    hub = build_hub(load_config(), str(path), clock=clock, follow=False)
    hub.issue("senior-card")
    hub.stop()
    before = path.read_bytes(), rows(path, "SELECT count(*) FROM events")

    with pytest.raises(Refused, match="holds 1 tickets on or after"):
        simulate(load_config(), str(path), days=3, per_day=10, today=yesterday + timedelta(days=1))
    status = main(["simulate", "--db", str(path), "--days", "5", "--per-day", "10"])
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing was written" in err[0], err
    assert (path.read_bytes(), rows(path, "SELECT count(*) FROM events")) == before


def test_the_command_says_what_it_made(tmp_path, capsys):
    path = tmp_path / "new" / "hall.db"
    assert main(["simulate", "--db", str(path), "--days", "1", "--per-day", "30", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("simulated 1 hall days, 30 tickets (") and str(path) in out
    assert rows(path, "SELECT count(*) FROM tickets") == [(30,)]


def test_each_served_ticket_names_the_clerk_who_served_it(history):
    """What the report by staff member counts: the clerk whose window served the ticket last."""
    path, _ = history
    config = load_config()
    clerks = {w.id: next(s.id for s in config.staff if w.id in s.windows and not s.disabled)
              for w in config.windows if any(w.id in s.windows for s in config.staff)}
    served = rows(path, "SELECT window, staff FROM tickets WHERE status = 'done'")
    assert served and all(staff == clerks[window] for window, staff in served), served[:5]
    # Many windows, many clerks: a report by staff member has rows to compare.
    assert len({staff for _, staff in served}) >= 5
