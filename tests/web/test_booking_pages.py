"""The booking pages (server/web/booking.py): /book offers exactly the services that take
bookings, with the days they may be booked; /book/<token> and its QR code are there for a booking
and only for one; the pages run under the CSP with no inline script or style."""
from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
import segno
from helpers import SHANGHAI, small_hall_data

from hallcall.server.config import parse_config
from hallcall.server.web.qr import QUIET_ZONE

TODAY = date(2026, 11, 26)  # the test clock's day, a Thursday
DATA_BLOCK = re.compile(r'<script type="application/json" id="book-data">(.*?)</script>', re.S)


def booking_hall(**changes):
    data = small_hall_data()
    a, b, c = data["services"]
    a["appointments"] = {"slot_minutes": 30, "per_slot": 2, "days_ahead": 3,
                         "early_minutes": 20, "late_minutes": 10}
    c["appointments"] = {"days_ahead": 7}  # c opens Monday to Friday only
    for service_id, fields in changes.items():
        next(s for s in data["services"] if s["id"] == service_id).update(fields)
    return parse_config(data)


@pytest.fixture
def app(make_app):
    return make_app(HALL=booking_hall())


def page_data(response) -> dict:
    assert response.status_code == 200 and response.mimetype == "text/html"
    return json.loads(DATA_BLOCK.search(response.get_data(as_text=True)).group(1))


def book(app, service="a", at=None):
    hub = app.config["HUB"]
    slot = hub.slots(service, TODAY)[-1] if at is None else at
    return hub.book(service, slot.start)


def test_book_offers_only_the_services_that_take_bookings(client):
    data = page_data(client.get("/book"))
    assert [s["id"] for s in data["services"]] == ["a", "c"]
    assert [d["id"] for d in data["departments"]] == ["d"]
    a = data["services"][0]
    assert (a["early_minutes"], a["late_minutes"], a["per_slot"]) == (20, 10, 2)
    assert a["name"] == {"zh": "甲", "en": "Alpha"}
    assert data["hall"]["today"] == TODAY.isoformat()
    assert data["hall"]["timezone"] == "Asia/Shanghai"


def test_each_service_lists_today_to_days_ahead_and_disables_closed_weekdays(client):
    services = {s["id"]: s for s in page_data(client.get("/book"))["services"]}
    assert [d["date"] for d in services["a"]["days"]] == [
        "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29"]
    assert all(d["open"] for d in services["a"]["days"])
    days_c = {d["date"]: d["open"] for d in services["c"]["days"]}
    assert len(days_c) == 8
    assert days_c["2026-11-28"] is False and days_c["2026-11-29"] is False  # Saturday, Sunday
    assert days_c["2026-11-27"] is True and days_c["2026-11-30"] is True


def test_a_service_closed_by_the_staff_is_not_bookable_today_only(make_app):
    client = make_app(HALL=booking_hall(a={"closed": True})).test_client()
    a = page_data(client.get("/book"))["services"][0]
    assert a["days"][0] == {"date": "2026-11-26", "open": False, "paused": True}
    assert a["days"][1]["open"] is True


def test_a_retired_service_is_not_offered(make_app):
    hall = booking_hall(a={"retired": True})
    client = make_app(HALL=hall).test_client()
    assert [s["id"] for s in page_data(client.get("/book"))["services"]] == ["c"]


def test_a_hall_without_bookings_still_serves_the_page(make_app):
    from helpers import small_hall
    data = page_data(make_app(HALL=small_hall()).test_client().get("/book"))
    assert data["services"] == [] and data["departments"] == []


def test_names_cannot_break_out_of_the_data_block(make_app):
    hostile = "</script><script>alert(1)</script>"
    client = make_app(HALL=booking_hall(a={"name": {"zh": hostile, "en": "A & <b>"}})).test_client()
    response = client.get("/book")
    assert "<script>alert(1)" not in response.get_data(as_text=True)
    assert page_data(response)["services"][0]["name"] == {"zh": hostile, "en": "A & <b>"}


def test_pages_have_a_csp_and_no_inline_script_or_style(client, app):
    token = book(app).token
    for url in ("/book", f"/book/{token}"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert " style=" not in page and "<style" not in page


def test_the_booking_page_is_there_for_a_booking_only(client, app):
    appointment = book(app)
    response = client.get(f"/book/{appointment.token}")
    assert response.status_code == 200
    assert f'data-token="{appointment.token}"' in response.get_data(as_text=True)
    for token in ("no-such-booking", "x" * 101):
        missing = client.get(f"/book/{token}")
        assert missing.status_code == 404 and missing.mimetype == "text/html"
        text = html.unescape(missing.get_data(as_text=True))
        assert "未找到该预约" in text and "We couldn't find this booking" in text


def test_a_cancelled_booking_keeps_its_page(client, app):
    appointment = book(app)
    app.config["HUB"].cancel_appointment(appointment.token)
    assert client.get(f"/book/{appointment.token}").status_code == 200


def qr_modules(svg: str) -> set[tuple[int, int]]:
    root = ET.fromstring(svg)
    d = root.find("{http://www.w3.org/2000/svg}path").get("d")
    return {(int(x) + i, int(y)) for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", d)
            for i in range(int(w))}


def test_the_qr_code_encodes_exactly_the_bookings_code(client, app):
    appointment = book(app)
    response = client.get(f"/book/qr/{appointment.token}.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["Cache-Control"] == "no-store"
    svg = response.get_data(as_text=True)
    expected = segno.make(appointment.code, error="m", micro=False)
    assert qr_modules(svg) == {(x + QUIET_ZONE, y + QUIET_ZONE) for y, row in enumerate(expected.matrix)
                               for x, m in enumerate(row) if m}
    assert appointment.code in ET.fromstring(svg).get("aria-label")
    other = book(app)
    assert qr_modules(client.get(f"/book/qr/{other.token}.svg").get_data(as_text=True)) != qr_modules(svg)


def test_no_qr_code_for_a_token_no_booking_has(client):
    response = client.get("/book/qr/no-such-booking.svg")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_the_booking_page_day_follows_the_hall_day(make_app, clock):
    # At 02:00 the hall day (day_starts_at 04:00) is still the day before.
    clock.set(datetime(2026, 11, 27, 2, 0, tzinfo=SHANGHAI))
    client = make_app(HALL=booking_hall()).test_client()
    assert page_data(client.get("/book"))["hall"]["today"] == "2026-11-26"
