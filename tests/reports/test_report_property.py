"""For random histories driven through the hub (issue, call, recall, start, finish and rate,
no-shows with and without requeue, transfers, cancels, time passing, across one to three hall
days), every report equals the figures computed here, in plain Python, from the raw export and
API.md's definitions: the SQL and this independent reading of the same rules must agree."""
from __future__ import annotations

import csv
import math
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from fractions import Fraction

from helpers import SHANGHAI, FakeClock, migrated_copy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reports.support import ANN, BO, DAY1, report_hall

from hallcall.server.bootstrap import build_hub
from hallcall.server.engine.model import DomainError
from hallcall.server.reports import BY, report
from hallcall.server.web.reports_api import export_csv

HALL = report_hall()
NEXT_DAY = ("day",)
ACTORS = st.sampled_from([None, ANN, BO])
# A visit: call-next at a window, then what became of the ticket there (a few steps, each
# perhaps refused when the window had nobody to call).
VISITS = [["finish"], ["start", "finish"], ["no-show"], ["no-show requeue"], ["transfer"],
          ["start", "transfer"], ["recall", "start", "finish"], ["finish", "rate"], []]
ISSUE = st.tuples(st.just("issue"), st.sampled_from("aabc"), st.sampled_from(["normal", "normal", "green"]),
                  st.integers(1, 4))
VISIT = st.tuples(st.just("visit"), st.sampled_from("123"), ACTORS, st.sampled_from(range(len(VISITS))),
                  st.integers(0, 11), st.integers(0, 900))
STEP = st.one_of(  # issues and visits drawn more often than the rest, so that queues move
    ISSUE, ISSUE, ISSUE, VISIT, VISIT, VISIT, VISIT,
    st.tuples(st.just("act"), st.sampled_from("123"), st.sampled_from(
        ["call-next", "recall", "start", "finish", "no-show", "transfer", "rate"]), ACTORS,
        st.integers(0, 11)),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("wait"), st.integers(1, 1500)),
    st.just(NEXT_DAY),
)
RATINGS = ("satisfied", "basic", "unsatisfied")


def act(hub, window: str, action: str, actor, n: int) -> None:
    kw = {"actor": actor} if actor else {}
    if action == "finish":
        kw["rating"] = (None, *RATINGS)[n % 4]
    elif action == "rate":
        kw["rating"] = RATINGS[n % 3]
    elif action in ("no-show", "no-show requeue"):
        action, kw["requeue"] = "no-show", action.endswith("requeue")
    elif action == "transfer":
        kw["service"] = "abc"[n % 3]
    try:
        hub.act(window, action, **kw)
    except DomainError:
        pass  # refused (nobody to call, nobody at the window, closed): changes nothing


def play(hub, clock, steps) -> None:
    tokens, days = [], 1
    for step in steps:
        if step[0] == "issue":
            for _ in range(step[3]):
                try:
                    view, _ = hub.issue(step[1], priority=step[2])
                except DomainError:
                    break  # C closed at this hour, or its daily limit reached
                tokens.append(view.ticket.token)
        elif step[0] == "visit":
            _, window, actor, visit, n, seconds = step
            act(hub, window, "call-next", actor, n)
            for action in VISITS[visit]:
                clock.advance(seconds=seconds // 3)
                act(hub, window, action, actor, n)
        elif step[0] == "act":
            act(hub, *step[1:])
        elif step[0] == "cancel" and tokens:
            try:
                hub.cancel_ticket(tokens[step[1] % len(tokens)])
            except DomainError:
                pass  # no longer waiting
        elif step[0] == "wait":
            clock.advance(seconds=step[1])
        elif step == NEXT_DAY and days < 3:
            days += 1
            clock.set(clock.now.replace(hour=9, minute=0, second=0) + timedelta(days=1))


def parse(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def expected(tickets: list[dict], by: str) -> tuple[dict, dict]:
    """{key: figures} and the total, from the export's rows, by the definitions."""
    def key(t):
        if by == "service":
            return t["origin_service"]
        if by == "department":
            s = HALL.service(t["origin_service"])
            return s.department if s else ""
        if by == "window":
            return t["window"] or None
        if by == "staff":
            return t["staff"] or None
        if by == "hour":
            return f"{parse(t['issued_at']).astimezone(SHANGHAI).hour:02d}"
        return t["day"]

    groups = defaultdict(list)
    for t in tickets:
        k = key(t)
        if k is not None:
            groups[k].append(t)
    rows = {k: figures_of(ts, by) for k, ts in groups.items()}
    return rows, figures_of([t for ts in groups.values() for t in ts], by)


def figures_of(ts: list[dict], by: str) -> dict:
    waits, spent, within = [], [], 0
    for t in ts:
        issued, first = parse(t["issued_at"]), parse(t["first_called_at"])
        if first is not None:
            wait = (first - issued).total_seconds()
            waits.append(wait)
            s = HALL.service(t["origin_service"])
            within += wait <= (s.target_wait_minutes if s else 30) * 60
        if t["status"] == "done":
            began = parse(t["started_at"]) or parse(t["called_at"])
            spent.append(max(0.0, (parse(t["finished_at"]) - began).total_seconds()))
    n = len(waits)
    return {
        "issued": None if by in ("window", "staff") else len(ts),
        "called": n,
        "served": sum(t["status"] == "done" for t in ts),
        "no_show": sum(t["status"] == "no_show" for t in ts),
        "cancelled": sum(t["status"] == "cancelled" for t in ts),
        "transferred": sum(int(t["transfers"]) > 0 for t in ts),
        "wait_avg_s": half_up(Fraction(int(sum(waits)), n)) if n else None,
        "wait_p90_s": int(sorted(waits)[math.ceil(0.9 * n) - 1]) if n else None,
        "wait_max_s": int(max(waits)) if n else None,
        "service_avg_s": half_up(Fraction(int(sum(spent)), len(spent))) if spent else None,
        "sla_pct": half_up(Fraction(1000 * within, n)) / 10 if n else None,
        "ratings": {r: sum(t["rating"] == r for t in ts) for r in RATINGS},
    }


def bare(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("key", "name", "name_en")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=20, max_size=80))
def test_every_report_equals_the_figures_of_the_export(steps):
    clock = FakeClock(datetime.fromisoformat(f"{DAY1}T09:00:00+08:00"), step=0)
    with tempfile.TemporaryDirectory() as folder:
        hub = build_hub(HALL, migrated_copy(f"sqlite:///{folder}/hall.db"), clock=clock,
                        follow=False)
        try:
            play(hub, clock, steps)
            last = hub.day_of(clock.now, HALL)
            text = "".join(export_csv(hub, DAY1, last))
            tickets = list(csv.DictReader(text.lstrip("\ufeff").splitlines()))
            for what, seen in (("called", any(t["first_called_at"] for t in tickets)),
                               ("served by staff", any(t["staff"] for t in tickets)),
                               ("transferred", any(int(t["transfers"]) for t in tickets)),
                               ("called twice", any(int(t["calls"]) > 1 for t in tickets)),
                               ("rated", any(t["rating"] for t in tickets)),
                               ("days", len({t["day"] for t in tickets}) > 1)):
                event(f"{what}: {seen}")  # --hypothesis-show-statistics: what the histories held
            for by in BY:
                body = report(hub, DAY1, last, by)
                rows, total = expected(tickets, by)
                got = {r["key"]: bare(r) for r in body["rows"]}
                if by in ("hour", "day"):  # complete: the keys without tickets are zeros
                    got = {k: v for k, v in got.items() if v["issued"]}
                assert got == rows, by
                assert bare(body["total"]) == total, by
        finally:
            hub.stop()
