"""`hallcall demo --history DAYS`: the demo hall starts with past hall days to report on."""
from __future__ import annotations

import csv
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from demo_run import PER_DAY, hallcall, headless_demo

from hallcall.server.config import load_config
from hallcall.server.engine import rules

pytestmark = pytest.mark.slow


def past_days(n: int) -> list[str]:
    config = load_config()
    today = rules.hall_day(datetime.now(ZoneInfo(config.timezone)), config.day_starts_at)
    return [(today - timedelta(days=k)).isoformat() for k in range(n, 0, -1)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The session's headless demo, with two small past days: (its folder, the run)."""
    return headless_demo(tmp_path_factory)


def test_the_export_holds_the_past_days_and_the_demo_still_ran_today(demo):
    out, run = demo
    days = past_days(2)
    export = out / "month.csv"
    done = hallcall("export", "--db", str(out / "hall.db"), "--from", days[0], "--to", days[1],
                    "-o", str(export), out=out)
    assert done.returncode == 0, done.stderr
    with open(export, encoding="utf-8-sig", newline="") as f:
        tickets = list(csv.DictReader(f))
    assert sorted({t["day"] for t in tickets}) == days
    assert [sum(t["day"] == d for t in tickets) for d in days] == [PER_DAY, PER_DAY]
    served = [t for t in tickets if t["status"] == "done"]
    assert served and all(t["first_called_at"] and t["window"] for t in served)
    # Each past day was closed by the roll-over: nothing of it is left waiting or at a window.
    assert not [t for t in tickets if t["status"] in ("waiting", "called", "serving")]
    # The demo itself went on as always, today: its two citizens' tickets, called.
    conn = sqlite3.connect(out / "hall.db")
    try:
        today = conn.execute("SELECT count(*) FROM tickets WHERE day > ?", (days[1],)).fetchone()
    finally:
        conn.close()
    assert today == (2,)
    assert "printed, called to window" in run.stdout


def test_it_says_how_far_the_history_has_got(demo):
    _, run = demo
    lines = [line for line in run.stdout.splitlines() if line.startswith("hallcall demo:")]
    assert f"simulating 2 past hall days of {PER_DAY} tickets" in lines[0]
    assert [line for line in lines if "history day" in line][-1].startswith(
        "hallcall demo: history day 2/2")
    assert any(f"history of {2 * PER_DAY} tickets" in line for line in lines)


def test_a_database_that_already_has_days_is_refused_and_left_as_it_was(demo):
    out, _ = demo
    db = out / "hall.db"
    before = db.read_bytes()
    elsewhere = out / "elsewhere"
    for where in (["--out", str(out)], ["--out", str(elsewhere), "--db", str(db)]):
        again = hallcall("demo", "--headless", *where, "--history", "3", out=out, timeout=60)
        assert again.returncode == 2, where
        assert "already holds 3 hall day(s)" in again.stderr and str(db) in again.stderr
        assert "Traceback" not in again.stderr
        assert db.read_bytes() == before
    assert not elsewhere.exists()  # refused before anything started


def test_tickets_a_day_without_days_is_refused(tmp_path):
    run = hallcall("demo", "--headless", "--out", str(tmp_path), "--history-per-day", "20",
                   out=tmp_path, timeout=60)
    assert run.returncode == 2 and "--history-per-day needs --history" in run.stderr
    assert not (tmp_path / "hall.db").exists()
