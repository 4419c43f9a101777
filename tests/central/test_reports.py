"""GET /api/central/reports over forwarded events answers what each hall's own report says for
the same tickets, and adds every hall at once and by=hall."""
from __future__ import annotations

import csv
import io

import pytest
from central.support import OTHER_TOKEN, forward
from reports.support import DAY1, DAY2, report_hall
from reports.test_definitions import first_day, second_day

from hallcall.server.reports import BY, report

RANGE = f"from={DAY1}&to={DAY2}"


@pytest.fixture
def two_halls(make_hub, clock, tmp_path, central):
    """hall-1: the report tests' two hand-made days; hall-2: the same hall, a third of it (day 2)."""
    one = make_hub(config=report_hall())
    first_day(one, clock)
    second_day(one, clock)
    two = make_hub(config=report_hall(), db=f"sqlite:///{tmp_path}/hall-2.db")
    second_day(two, clock)
    forward(central, one, "hall-1", batch=7)  # batches that end mid-ticket
    forward(central, two, "hall-2", token=OTHER_TOKEN)
    return one, two


def get(central, query: str):
    r = central.client.get(f"/api/central/reports?{RANGE}&{query}")
    assert r.status_code == 200, r.json
    return r


def test_one_halls_report_is_the_halls_own_by_every_grouping(two_halls, central):
    one, _ = two_halls
    for by in BY:
        mine = report(one, DAY1, DAY2, by)
        theirs = get(central, f"hall=hall-1&by={by}").json
        assert theirs["hall"] == "hall-1"
        if by == "staff":  # the halls do not send their staff's names: the bare ids
            for body in (mine, theirs):
                for r in body["rows"]:
                    r.pop("name"), r.pop("name_en", None)
        assert {k: theirs[k] for k in mine} == mine, by


def test_every_hall_by_hall_and_by_window_of_each_hall(two_halls, central):
    one, two = two_halls
    body = get(central, "hall=all&by=hall").json
    assert [(r["key"], r["name"], r["issued"]) for r in body["rows"]] == [
        ("hall-1", "测试大厅", 7), ("hall-2", "测试大厅", 1)]
    assert body["total"]["issued"] == 8
    assert body["total"]["ratings"]["unsatisfied"] == 3  # 2 of hall-1, 1 of hall-2
    by_service = get(central, "by=service").json  # hall=all by default
    assert [(r["key"], r["issued"]) for r in by_service["rows"]] == [("a", 5), ("b", 2), ("c", 1)]
    windows = get(central, "hall=all&by=window").json
    assert [r["key"] for r in windows["rows"]] == ["hall-1/1", "hall-1/2", "hall-1/3", "hall-2/1"]
    assert windows["rows"][0]["name_en"].startswith("Test hall ")


def test_files_and_bad_queries(two_halls, central):
    r = get(central, "hall=hall-2&by=day&format=csv")
    assert 'filename="report-hall-2-day-' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(x["key"], x["issued"]) for x in rows] == [(DAY1, "0"), (DAY2, "1"), ("total", "1")]
    for query, status, named in [("hall=nowhere", 404, "nowhere"), ("by=clerk", 400, "by"),
                                 ("format=pdf", 400, "format")]:
        r = central.client.get(f"/api/central/reports?{RANGE}&{query}")
        assert r.status_code == status and named in r.json["error"]["message"], query
    r = central.client.get(f"/api/central/reports?from={DAY2}&to={DAY1}")
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"


def test_each_hall_counts_by_its_own_departments_and_targets(central):
    """Service a is department d1 with a 10-minute target in one hall, d2 with the default 30
    in the other: a ticket called after 20 minutes is late in the first only."""
    day = "2026-12-02"
    for hall, token, department, target in (("h1", "token-one-xxxxxxxx", "d1", 10),
                                            ("h2", "token-two-xxxxxxxx", "d2", None)):
        info = {"name": {"zh": hall, "en": hall}, "timezone": "Asia/Shanghai",
                "services": [{"id": "a", "name": {"zh": "甲", "en": "A"}, "department": department,
                              "target_wait_minutes": target}],
                "departments": [{"id": department, "name": {"zh": department, "en": department}}]}
        ticket = {"id": "t1", "number": "A001", "service": "a", "origin_service": "a",
                  "priority": "normal", "status": "called", "day": day, "window": "1",
                  "issued_at": f"{day}T09:00:00+08:00", "called_at": f"{day}T09:20:00+08:00",
                  "first_called_at": f"{day}T09:20:00+08:00"}
        r = central.post(hall, [{"seq": 1, "type": "ticket.called", "at": ticket["called_at"],
                                 "ticket": ticket}], token=token, info=info, pending=0)
        assert r.status_code == 200, r.json
    body = central.client.get(f"/api/central/reports?from={day}&to={day}&by=department").json
    assert [(r["key"], r["issued"], r["sla_pct"]) for r in body["rows"]] == [
        ("d1", 1, 0.0), ("d2", 1, 100.0)]
    assert body["total"]["sla_pct"] == 50.0
