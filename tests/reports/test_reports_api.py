"""GET /api/reports and /api/reports/unsatisfied: who may read them, what a bad request is told,
and the files (CSV with BOM, XLSX) read back as a spreadsheet would."""
from __future__ import annotations

import csv
import io

import pytest
from helpers import ADMIN, BUTTONS, DISPLAY, KIOSK
from reports.support import DAY1, at, sign_in

from hallcall.server.audit import Actor

URL = f"/api/reports?from={DAY1}&to={DAY1}"
W1, W2 = Actor("staff", "w1"), Actor("staff", "w2")


def a_day(app, clock) -> None:
    """The demo hall: A001 waits 4 minutes, is served by w1 and rated unsatisfied at 09:10;
    A002 waits 6, served by w2, satisfied; A003 waits 10, served by w1, unsatisfied at 09:20;
    A004 never called."""
    hub = app.config["HUB"]
    at(clock, DAY1, "09:00")
    for _ in range(4):
        hub.issue("company-name")
    for when, window, actor, action, kw in [
            ("09:04", "1", W1, "call", {"number": "A001"}),
            ("09:06", "2", W2, "call", {"number": "A002"}),
            ("09:10", "1", W1, "finish", {"rating": "unsatisfied"}),
            ("09:10", "1", W1, "call", {"number": "A003"}),
            ("09:12", "2", W2, "finish", {"rating": "satisfied"}),
            ("09:20", "1", W1, "finish", {"rating": "unsatisfied"})]:
        at(clock, DAY1, when)
        hub.act(window, action, actor=actor, **kw)


def test_the_display_token_reads_a_report_as_json(app, client, clock):
    a_day(app, clock)
    r = client.get(URL + "&by=staff", headers=DISPLAY)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert "Content-Disposition" not in r.headers
    body = r.json
    assert (body["from"], body["to"], body["by"]) == (DAY1, DAY1, "staff")
    assert [(row["key"], row["name"], row["served"]) for row in body["rows"]] == [
        ("w1", "1号窗口工作人员", 2), ("w2", "2号窗口工作人员", 1)]
    assert body["total"]["ratings"] == {"satisfied": 1, "basic": 0, "unsatisfied": 2}


def test_by_defaults_to_service(app, client, clock):
    a_day(app, clock)
    body = client.get(URL, headers=ADMIN).json
    assert body["by"] == "service"
    (row,) = body["rows"]
    assert (row["key"], row["name"], row["name_en"], row["issued"], row["called"]) == (
        "company-name", "企业名称预先核准", "Company name pre-approval", 4, 3)
    assert (row["wait_avg_s"], row["wait_p90_s"], row["wait_max_s"]) == (400, 600, 600)


def test_without_a_token_401_with_a_kiosk_or_buttons_token_403(client):
    for url in (URL, f"/api/reports/unsatisfied?from={DAY1}&to={DAY1}"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=KIOSK).status_code == 403
        assert client.get(url, headers=BUTTONS).status_code == 403
        assert client.get(url, headers=DISPLAY).status_code == 200


@pytest.mark.parametrize(("who", "status"), [("lead", 200), ("admin", 200), ("w3", 403)])
def test_a_supervisor_or_admin_session_reads_reports_a_clerk_does_not(make_app, who, status):
    client = make_app().test_client()
    sign_in(client, who)
    assert client.get(URL).status_code == status
    assert client.get(f"/api/reports/unsatisfied?from={DAY1}&to={DAY1}").status_code == status


@pytest.mark.parametrize("query", ["", f"?from={DAY1}", f"?from={DAY1}&to=tomorrow",
                                   "?from=2026-11-27&to=2026-11-26", "?from=2025-11-25&to=2026-11-26",
                                   f"?from={DAY1}&to={DAY1}&by=month",
                                   f"?from={DAY1}&to={DAY1}&format=pdf"])
def test_bad_requests_are_told_in_both_languages(client, query):
    for path in ("/api/reports", "/api/reports/unsatisfied"):
        if path.endswith("unsatisfied") and ("by=" in query or "format=" in query):
            continue
        r = client.get(path + query, headers=ADMIN)
        assert r.status_code == 400, (path, query)
        error = r.json["error"]
        assert error["code"] == "bad_request" and error["message"] and error["message_zh"]


def test_the_csv_has_a_bom_and_reads_back_with_the_total_last(app, client, clock):
    a_day(app, clock)
    r = client.get(URL + "&by=window&format=csv", headers=DISPLAY)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == f'attachment; filename="report-window-{DAY1}-{DAY1}.csv"'
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [(x["key"], x["name"], x["issued"], x["called"]) for x in rows] == [
        ("1", "1号窗口", "", "2"), ("2", "2号窗口", "", "1"), ("total", "合计", "", "3")]
    assert (rows[0]["ratings_unsatisfied"], rows[1]["ratings_satisfied"]) == ("2", "1")
    assert rows[0]["wait_avg_s"] == "420"  # 4 and 10 minutes
    assert rows[0]["sla_pct"] == "100.0" and rows[0]["name_en"] == "Window 1"


def test_the_xlsx_opens_with_numbers_as_numbers_and_the_total_bold(app, client, clock):
    from openpyxl import load_workbook

    a_day(app, clock)
    r = client.get(URL + "&by=hour&format=xlsx", headers=ADMIN)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["Content-Disposition"] == f'attachment; filename="report-hour-{DAY1}-{DAY1}.xlsx"'
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = list(sheet.values)
    assert values[0][:4] == ("键", "名称", "英文名称", "取号数")  # the Chinese labels, then
    assert values[1][:4] == ("key", "name", "name_en", "issued")  # the field names
    assert sheet.freeze_panes == "C3"
    fields = values[1]
    rows = [dict(zip(fields, v, strict=True)) for v in values[2:]]
    assert [x["key"] for x in rows] == [f"{h:02d}" for h in range(24)] + ["total"]
    nine = rows[9]
    assert (nine["issued"], nine["called"], nine["wait_max_s"]) == (4, 3, 600)
    assert nine["sla_pct"] == 100 and not isinstance(nine["sla_pct"], str)
    assert rows[8]["wait_avg_s"] is None
    assert all(cell.font.bold for cell in sheet[sheet.max_row])
    assert not any(cell.font.bold for cell in sheet[sheet.max_row - 1])


def test_the_unsatisfied_ratings_newest_first(app, client, clock):
    a_day(app, clock)
    r = client.get(f"/api/reports/unsatisfied?from={DAY1}&to={DAY1}", headers=DISPLAY)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.json
    assert (body["from"], body["to"]) == (DAY1, DAY1)
    assert [(t["number"], t["window"], t["staff"], t["staff_name"], t["finished_at"])
            for t in body["tickets"]] == [
        ("A003", "1", "w1", "1号窗口工作人员", f"{DAY1}T09:20:00+08:00"),
        ("A001", "1", "w1", "1号窗口工作人员", f"{DAY1}T09:10:00+08:00")]
    first = body["tickets"][0]
    assert (first["day"], first["service"], first["service_name"], first["rating"]) == (
        DAY1, "company-name", "企业名称预先核准", "unsatisfied")
    assert first["id"]
    assert client.get("/api/reports/unsatisfied?from=2026-11-27&to=2026-11-30",
                      headers=DISPLAY).json["tickets"] == []
