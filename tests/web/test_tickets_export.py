"""GET /api/tickets/export and `hallcall export`: the raw tickets of some hall days as CSV
(API.md "Reports"), with the first call kept apart from the latest."""
from __future__ import annotations

import csv
import re
import subprocess
import sys

import pytest
from helpers import ADMIN, BUTTONS, DISPLAY, KIOSK

from hallcall.server.web import reports_api

COLUMNS = ["id", "day", "number", "service", "origin_service", "priority", "status", "issued_at",
           "first_called_at", "called_at", "started_at", "finished_at", "window", "staff", "rating"]
ISO = re.compile(r"^2026-11-2\dT\d\d:\d\d:\d\d\+08:00$")


def a_day(c, clock):
    """Three tickets: A001 called, requeued as a no-show, called again and finished with a
    rating; A002 called and being served; A003 (green) never called."""
    for priority in ("normal", "normal", "green"):
        assert c.post("/api/tickets", json={"service": "company-name", "priority": priority},
                      headers=KIOSK).status_code == 201
    assert c.post("/api/windows/1/call", json={"number": "A001"}, headers=ADMIN).status_code == 200
    clock.advance(minutes=4)
    assert c.post("/api/windows/1/no-show", json={"requeue": True}, headers=BUTTONS).status_code == 200
    clock.advance(minutes=1)
    assert c.post("/api/windows/1/call", json={"number": "A001"}, headers=ADMIN).status_code == 200
    assert c.post("/api/windows/1/finish", json={"rating": "satisfied"}, headers=BUTTONS).status_code == 200
    assert c.post("/api/windows/1/call", json={"number": "A002"}, headers=ADMIN).status_code == 200
    assert c.post("/api/windows/1/start", headers=BUTTONS).status_code == 200


def rows_of(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    reader = csv.DictReader(text[1:].splitlines())
    assert reader.fieldnames[:len(COLUMNS)] == COLUMNS or set(COLUMNS) <= set(reader.fieldnames)
    return list(reader)


def test_the_export_has_one_row_per_ticket_with_first_and_latest_call(client, clock):
    a_day(client, clock)
    r = client.get("/api/tickets/export?from=2026-11-26&to=2026-11-26", headers=ADMIN)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="tickets-2026-11-26-2026-11-26.csv"'
    assert r.data.startswith(b"\xef\xbb\xbf")
    rows = rows_of(r.data.decode("utf-8"))
    assert [row["number"] for row in rows] == ["A001", "A002", "A003"]  # by issue time
    one, two, three = rows
    assert (one["status"], one["rating"], one["window"], one["priority"]) == (
        "done", "satisfied", "1", "normal")
    assert all(ISO.match(one[k]) for k in ("issued_at", "first_called_at", "called_at", "started_at",
                                           "finished_at"))
    assert one["first_called_at"] < one["called_at"]  # same offset: text order is time order
    assert two["status"] == "serving" and two["first_called_at"] == two["called_at"] != ""
    assert two["finished_at"] == "" and two["rating"] == ""
    assert three["priority"] == "green" and three["status"] == "waiting"
    assert three["first_called_at"] == three["called_at"] == three["window"] == ""
    assert all(row["day"] == "2026-11-26" and row["service"] == row["origin_service"] == "company-name"
               for row in rows)
    assert all(row["staff"] == "" for row in rows)  # only devices acted: nobody signed in


def test_the_staff_column_names_who_worked_the_window(client, clock):
    """A clerk signed in at window 3's console calls and ends a visit; the window's keys then
    call the next citizen for them."""
    for _ in range(2):
        client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    sign_in(client, "w3")
    page = client.get("/console/3").get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)
    assert client.post("/api/windows/3/call-next", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/api/windows/3/call-next", headers=BUTTONS).status_code == 200
    r = client.get("/api/tickets/export?from=2026-11-26&to=2026-11-26", headers=ADMIN)
    assert [(row["number"], row["window"], row["staff"]) for row in rows_of(r.data.decode())] == [
        ("A001", "3", "w3"), ("A002", "3", "w3")]


def test_the_ticket_json_carries_the_first_call(client, clock):
    r = client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    token = r.json["ticket"]["token"]
    assert r.json["ticket"]["first_called_at"] is None
    client.post("/api/windows/1/call-next", headers=BUTTONS)
    first = client.get(f"/api/tickets/{token}").json["ticket"]
    clock.advance(minutes=2)
    client.post("/api/windows/1/no-show", json={"requeue": True}, headers=BUTTONS)
    client.post("/api/windows/1/call-next", headers=BUTTONS)
    now = client.get(f"/api/tickets/{token}").json["ticket"]
    assert now["first_called_at"] == first["called_at"] == first["first_called_at"]
    assert now["called_at"] > now["first_called_at"]


def test_the_export_covers_a_range_of_days_and_only_it(client, clock):
    for i in range(3):  # 26 November: one ticket, 27th: two, 28th: three
        clock.set(clock.now.replace(day=26 + i, hour=9))
        for _ in range(i + 1):
            r = client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
            assert r.status_code == 201
    rows = rows_of(client.get("/api/tickets/export?from=2026-11-27&to=2026-11-28", headers=ADMIN)
                   .data.decode("utf-8"))
    assert [r["day"] for r in rows] == ["2026-11-27"] * 2 + ["2026-11-28"] * 3
    assert [r["issued_at"] for r in rows] == sorted(r["issued_at"] for r in rows)
    empty = client.get("/api/tickets/export?from=2025-01-01&to=2025-01-31", headers=ADMIN)
    assert empty.status_code == 200 and rows_of(empty.data.decode("utf-8")) == []


def test_the_export_is_read_in_chunks_not_at_once(app, client, clock, monkeypatch):
    for _ in range(7):
        client.post("/api/tickets", json={"service": "company-name"}, headers=KIOSK)
    hub = app.config["HUB"]
    real = reports_api.export_csv

    def small_chunks(hub_, from_day, to_day, chunk=reports_api.CHUNK):
        yield from real(hub_, from_day, to_day, chunk=3)

    monkeypatch.setattr(reports_api, "export_csv", small_chunks)
    pieces = list(reports_api.export_csv(hub, "2026-11-26", "2026-11-26"))
    sizes = [len(p.splitlines()) for p in pieces]
    assert sizes == [1, 3, 3, 1]  # the header, then three reads
    r = client.get("/api/tickets/export?from=2026-11-26&to=2026-11-26", headers=ADMIN)
    assert r.is_streamed
    assert [row["number"] for row in rows_of(r.data.decode("utf-8"))] == [f"A00{i}" for i in range(1, 8)]


@pytest.mark.parametrize("query", ["", "?from=2026-11-26", "?from=2026-11-26&to=tomorrow",
                                   "?from=2026-11-27&to=2026-11-26", "?from=2026-1-26&to=2026-11-26",
                                   "?from=2025-11-25&to=2026-11-26", "?from=2026-02-30&to=2026-03-01"])
def test_bad_ranges_are_refused(client, query):
    r = client.get(f"/api/tickets/export{query}", headers=ADMIN)
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    assert r.json["error"]["message_zh"]


def test_a_whole_year_is_the_longest_range(client):
    assert client.get("/api/tickets/export?from=2024-01-01&to=2024-12-31", headers=ADMIN).status_code == 200
    assert client.get("/api/tickets/export?from=2024-01-01&to=2025-01-01", headers=ADMIN).status_code == 400


def test_only_an_admin_exports(client):
    url = "/api/tickets/export?from=2026-11-26&to=2026-11-26"
    assert client.get(url).status_code == 401
    for headers in (KIOSK, BUTTONS, DISPLAY):
        assert client.get(url, headers=headers).status_code == 403


def test_a_signed_in_admin_exports_a_supervisor_does_not(make_app):
    url = "/api/tickets/export?from=2026-11-26&to=2026-11-26"
    admin = make_app().test_client()
    sign_in(admin)
    assert admin.get(url).status_code == 200
    lead = make_app().test_client()
    sign_in(lead, "lead")
    assert lead.get(url).status_code in (401, 403)


def sign_in(client, staff_id="admin", password="demo") -> None:
    """Sign in at the console's form (the demo hall's staff all have the password "demo")."""
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/console/login", data={"csrf_token": token, "clerk": staff_id,
                                            "password": password})
    assert r.status_code == 303, r.get_data(as_text=True)


def hallcall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hallcall", *args], capture_output=True,
                          text=True, timeout=60)


def test_the_command_writes_the_same_csv_from_the_database(make_app, db_url, tmp_path, clock):
    app = make_app()
    c = app.test_client()
    a_day(c, clock)
    served = c.get("/api/tickets/export?from=2026-11-26&to=2026-11-26", headers=ADMIN).data
    app.config["HUB"].stop()

    out = tmp_path / "tickets.csv"
    run = hallcall("export", "--from", "2026-11-26", "--to", "2026-11-26", "--db", db_url, "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == served
    run = hallcall("export", "--from", "2026-11-26", "--to", "2026-11-26", "--db", db_url)
    assert run.returncode == 0, run.stderr
    assert run.stdout == served.decode("utf-8")[1:].replace("\r\n", "\n")


def test_the_command_never_creates_a_database_and_refuses_bad_ranges(tmp_path):
    missing = tmp_path / "none.db"
    run = hallcall("export", "--from", "2026-11-26", "--to", "2026-11-26", "--db", str(missing))
    assert run.returncode != 0 and not missing.exists()
    assert "Traceback" not in run.stderr
    run = hallcall("export", "--from", "2026-11-27", "--to", "2026-11-26", "--db", str(missing))
    assert run.returncode != 0 and "from must not be after to" in run.stderr
    assert "Traceback" not in run.stderr
