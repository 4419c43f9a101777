"""The appointments API (API.md "Appointments"): slots, booking, the citizen's booking,
cancelling, the kiosk's check-in, the day's bookings, and what the call order does with them."""
from datetime import datetime, timedelta

import pytest
from helpers import SHANGHAI, FakeClock, auth, small_hall_data

from hallcall.server.config import parse_config

KIOSK, ADMIN, BUTTONS = auth("kiosk-token-1"), auth("admin-token-1"), auth("buttons-token-1")
THURSDAY = "2026-11-26"  # the clock starts at 09:00 that day


def hall_data():
    data = small_hall_data()
    for s in data["services"]:
        if s["id"] == "a":
            s["appointments"] = {"slot_minutes": 30, "per_slot": 2, "days_ahead": 7,
                                 "early_minutes": 30, "late_minutes": 15}
            s["hours"] = ["08:30-12:00", "13:30-17:30"]
            s["days"] = ["mon", "tue", "wed", "thu", "fri"]
        if s["id"] == "c":  # daily_limit 3
            s["appointments"] = {"slot_minutes": 30, "per_slot": 2}
    return data


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def client(make_app, clock):
    return make_app(HALL=parse_config(hall_data()), CLOCK=clock).test_client()


def slot(day: str, hhmm: str) -> str:
    return f"{day}T{hhmm}:00+08:00"


def book(client, start, service="a", **more):
    return client.post("/api/appointments", json={"service": service, "start": start, **more})


def booked(client, start, service="a") -> tuple[str, str]:
    r = book(client, start, service)
    assert r.status_code == 201, r.json
    return r.json["appointment"]["code"], r.json["token"]


def slots(client, day=THURSDAY, service="a") -> dict:
    r = client.get(f"/api/appointments/slots?service={service}&date={day}")
    assert r.status_code == 200, r.json
    return {s["start"]: s for s in r.json["slots"]}


def error(r, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.get_json())
    e = r.json["error"]
    assert e["message"] and e["message_zh"]
    return e["code"]


def issued(client) -> int:
    """The day's tickets of every service, as the hub counts them."""
    return sum(client.application.config["HUB"].snapshot().issued.values())


def check_in(client, code, headers=KIOSK):
    return client.post(f"/api/appointments/{code}/check-in", headers=headers)


# -- slots --------------------------------------------------------------------------------


def test_slots_of_today_from_the_one_under_way_with_their_places(client, clock):
    clock.advance(minutes=10)  # 09:10
    found = slots(client)
    assert list(found)[:2] == [slot(THURSDAY, "09:00"), slot(THURSDAY, "09:30")]
    assert slot(THURSDAY, "08:30") not in found and slot(THURSDAY, "12:00") not in found
    assert found[slot(THURSDAY, "09:00")] == {"start": slot(THURSDAY, "09:00"),
                                              "end": slot(THURSDAY, "09:30"),
                                              "capacity": 2, "booked": 0}
    booked(client, slot(THURSDAY, "09:30"))
    assert slots(client)[slot(THURSDAY, "09:30")]["booked"] == 1


def test_slots_of_a_closed_day_or_beyond_days_ahead_are_none(client):
    assert slots(client, "2026-11-28") == {}  # Saturday
    assert slots(client, "2026-12-03")  # Thursday next week: 7 days ahead
    assert slots(client, "2026-12-04") == {}


def test_slots_refuse_a_service_without_bookings_and_bad_queries(client):
    assert error(client.get(f"/api/appointments/slots?service=b&date={THURSDAY}"), 404) == "not_found"
    assert error(client.get(f"/api/appointments/slots?service=zz&date={THURSDAY}"), 404) == "not_found"
    assert error(client.get("/api/appointments/slots?service=a"), 400) == "bad_request"
    assert error(client.get("/api/appointments/slots?service=a&date=26.11.2026"), 400) == "bad_request"
    assert error(client.get(f"/api/appointments/slots?date={THURSDAY}"), 400) == "bad_request"


# -- booking and cancelling ----------------------------------------------------------------


def test_a_booking_answers_its_code_and_token_and_the_citizen_can_read_it(client):
    r = book(client, slot(THURSDAY, "10:00"), phone="+86 138-0000 0000", lang="zh")
    assert r.status_code == 201
    a = r.json["appointment"]
    assert len(a["code"]) == 6 and a["code"].isdigit()
    assert (a["service"], a["start"], a["end"], a["status"]) == (
        "a", slot(THURSDAY, "10:00"), slot(THURSDAY, "10:30"), "booked")
    mine = client.get(f"/api/appointments/{r.json['token']}")
    assert mine.status_code == 200 and mine.json["appointment"]["code"] == a["code"]
    assert "phone" not in mine.json["appointment"]
    assert error(client.get("/api/appointments/not-a-token"), 404) == "not_found"


def test_a_start_without_an_offset_is_the_halls_time(client):
    r = book(client, "2026-11-26T10:00")
    assert r.status_code == 201 and r.json["appointment"]["start"] == slot(THURSDAY, "10:00")


def test_a_full_slot_is_refused_and_cancelling_frees_a_place(client):
    start = slot(THURSDAY, "10:00")
    _, first = booked(client, start)
    booked(client, start)
    assert error(book(client, start), 409) == "slot_full"
    assert slots(client)[start]["booked"] == 2
    r = client.delete(f"/api/appointments/{first}")
    assert r.status_code == 200 and r.json["appointment"]["status"] == "cancelled"
    assert slots(client)[start]["booked"] == 1
    assert client.get(f"/api/appointments/{first}").json["appointment"]["status"] == "cancelled"
    booked(client, start)
    assert error(client.delete("/api/appointments/nope"), 404) == "not_found"


def test_what_is_not_a_bookable_slot_is_refused_and_nothing_is_booked(client, clock):
    clock.advance(minutes=40)  # 09:40
    for start in (slot(THURSDAY, "10:10"), slot(THURSDAY, "09:00"), slot(THURSDAY, "12:30"),
                  slot("2026-11-28", "10:00"), slot("2026-12-04", "10:00"), "tomorrow"):
        assert error(book(client, start), 400) == "bad_request", start
    assert error(book(client, slot(THURSDAY, "10:00"), service="b"), 404) == "not_found"
    assert error(book(client, slot(THURSDAY, "10:00"), service="zz"), 404) == "not_found"
    assert error(book(client, slot(THURSDAY, "10:00"), phone="call me"), 400) == "bad_request"
    assert error(book(client, slot(THURSDAY, "10:00"), phone="1" * 21), 400) == "bad_request"
    assert error(book(client, slot(THURSDAY, "10:00"), color="red"), 400) == "bad_request"
    assert error(client.post("/api/appointments", json={"service": "a"}), 400) == "bad_request"
    assert all(s["booked"] == 0 for s in slots(client).values())


def test_the_daily_limit_counts_bookings_and_walk_ins_together(client):
    """Service c gives 3 places a day: the day's tickets plus its bookings not checked in."""
    _, token = booked(client, slot(THURSDAY, "10:00"), "c")
    code, _ = booked(client, slot(THURSDAY, "09:00"), "c")
    assert client.post("/api/tickets", json={"service": "c"}, headers=KIOSK).status_code == 201
    assert error(client.post("/api/tickets", json={"service": "c"}, headers=KIOSK), 409) == \
        "daily_limit_reached"
    assert error(book(client, slot(THURSDAY, "10:30"), "c"), 409) == "daily_limit_reached"
    # A check-in takes the place its booking held: still 3, and it gets its ticket.
    assert check_in(client, code).status_code == 201
    assert error(client.post("/api/tickets", json={"service": "c"}, headers=KIOSK), 409) == \
        "daily_limit_reached"
    client.delete(f"/api/appointments/{token}")
    assert client.post("/api/tickets", json={"service": "c"}, headers=KIOSK).status_code == 201
    # Another day's bookings do not count today.
    booked(client, slot("2026-11-27", "10:00"), "c")


def test_a_checked_in_booking_cannot_be_cancelled(client):
    code, token = booked(client, slot(THURSDAY, "09:00"))
    check_in(client, code)
    assert error(client.delete(f"/api/appointments/{token}"), 409) == "invalid_state"


def test_bookings_are_rate_limited_by_address(client):
    start = slot(THURSDAY, "10:00")
    answers = [book(client, start).status_code for _ in range(30)]
    assert answers.count(201) == 2 and answers.count(409) == 28
    r = book(client, start)
    assert error(r, 429) == "rate_limited" and int(r.headers["Retry-After"]) >= 1
    other = client.post("/api/appointments", json={"service": "a", "start": start},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert error(other, 409) == "slot_full"


# -- check-in ------------------------------------------------------------------------------


def test_check_in_in_time_gives_an_appointment_ticket_and_again_the_same(client):
    code, _ = booked(client, slot(THURSDAY, "09:00"))
    r = check_in(client, code)
    assert r.status_code == 201
    t = r.json["ticket"]
    assert t["number"] == "A001" and t["status"] == "waiting" and t["token"]
    assert t["appointment"] == {"code": code, "start": slot(THURSDAY, "09:00"), "late": False}
    assert r.json["ahead"] == 0 and "estimated_wait_s" in r.json
    again = check_in(client, code)
    assert again.status_code == 200 and again.json["ticket"]["id"] == t["id"]
    # A walk-in's ticket says it is none.
    walk_in = client.post("/api/tickets", json={"service": "a"}, headers=KIOSK).json
    assert walk_in["ticket"]["appointment"] is None and walk_in["ticket"]["number"] == "A002"
    assert walk_in["ahead"] == 1  # the booking whose slot has begun goes first
    status = client.get(f"/api/tickets/{t['token']}").json
    assert status["ticket"]["appointment"]["code"] == code


def test_too_early_says_from_when(client):
    code, _ = booked(client, slot(THURSDAY, "10:00"))
    r = check_in(client, code)  # 09:00; check-in opens at 09:30
    assert error(r, 409) == "too_early"
    assert "09:30" in r.json["error"]["message"] and "09:30" in r.json["error"]["message_zh"]
    tomorrow, _ = booked(client, slot("2026-11-27", "09:00"))
    r = check_in(client, tomorrow)
    assert error(r, 409) == "too_early" and "2026-11-27" in r.json["error"]["message"]
    assert issued(client) == 0


def test_check_in_from_early_minutes_before_the_start(client, clock):
    code, _ = booked(client, slot(THURSDAY, "09:30"))
    r = check_in(client, code)  # 09:00:0x, within the 30 minutes
    assert r.status_code == 201 and r.json["ticket"]["appointment"]["late"] is False


def test_a_late_check_in_is_a_walk_in_that_says_it_was_booked(client, clock):
    code, _ = booked(client, slot(THURSDAY, "09:00"))
    client.post("/api/tickets", json={"service": "a"}, headers=KIOSK)  # A001 at 09:00
    clock.advance(minutes=16)  # 09:16: more than late_minutes after the start
    r = check_in(client, code)
    assert r.status_code == 201
    assert r.json["ticket"]["appointment"] == {"code": code, "start": slot(THURSDAY, "09:00"),
                                               "late": True}
    assert r.json["ahead"] == 1  # behind the walk-in who came first
    called = client.post("/api/windows/1/call-next", headers=ADMIN).json["ticket"]
    assert called["number"] == "A001"


def test_a_booking_whose_slot_has_begun_is_called_before_walk_ins(client, clock):
    code, _ = booked(client, slot(THURSDAY, "09:30"))
    client.post("/api/tickets", json={"service": "a"}, headers=KIOSK)  # A001, a walk-in
    checked = check_in(client, code).json  # A002 at 09:00, for 09:30
    assert checked["ahead"] == 1  # its slot has not begun: behind the walk-in for now
    green = client.post("/api/tickets", json={"service": "a", "priority": "green"}, headers=KIOSK)
    clock.advance(minutes=31)
    assert client.get(f"/api/tickets/{checked['ticket']['token']}").json["ahead"] == 1  # the green
    numbers = [client.post("/api/windows/1/call-next", headers=ADMIN).json["ticket"]["number"]
               for _ in range(3)]
    assert numbers == [green.json["ticket"]["number"], "A002", "A001"]
    line = client.get("/api/windows/1", headers=ADMIN)
    assert line.status_code == 200


def test_the_consoles_line_shows_the_booking_first_once_its_slot_begins(client, clock):
    code, _ = booked(client, slot(THURSDAY, "09:30"))
    client.post("/api/tickets", json={"service": "a"}, headers=KIOSK)
    check_in(client, code)
    line = client.get("/api/windows/1", headers=ADMIN).json["queue"]
    assert [t["number"] for t in line] == ["A001", "A002"]
    clock.advance(minutes=30)
    line = client.get("/api/windows/1", headers=ADMIN).json["queue"]
    assert [t["number"] for t in line] == ["A002", "A001"]


def test_check_in_refusals(client, clock):
    code, token = booked(client, slot(THURSDAY, "09:00"))
    assert error(check_in(client, code, headers={}), 401) == "unauthorized"
    assert error(check_in(client, code, headers=BUTTONS), 403) == "forbidden"
    assert error(check_in(client, "000000" if code != "000000" else "000001"), 404) == "not_found"
    assert error(check_in(client, "12ab"), 400) == "bad_request"
    client.delete(f"/api/appointments/{token}")
    assert error(check_in(client, code), 409) == "invalid_state"
    # A booking of a day gone by
    other, _ = booked(client, slot(THURSDAY, "11:30"))
    clock.advance(days=1)
    assert error(check_in(client, other), 409) == "invalid_state"
    assert issued(client) == 0  # no refusal issued a ticket


def test_the_admin_token_may_check_in_too(client):
    code, _ = booked(client, slot(THURSDAY, "09:00"))
    assert check_in(client, code, headers=ADMIN).status_code == 201


def test_check_in_emits_ticket_issued(client, make_app):
    code, _ = booked(client, slot(THURSDAY, "09:00"))
    ticket = check_in(client, code).json["ticket"]
    hub = client.application.config["HUB"]
    issued = [e for e in hub.events_after(0) if e.type == "ticket.issued"]
    assert len(issued) == 1 and ticket["id"] in issued[0].data


# -- the day's bookings (staff) ------------------------------------------------------------


def test_the_days_bookings_for_admin_with_phone(client):
    code, _ = booked(client, slot(THURSDAY, "10:00"))
    book(client, slot(THURSDAY, "09:30"), phone="13800000000")
    booked(client, slot("2026-11-27", "10:00"))
    r = client.get(f"/api/appointments?day={THURSDAY}", headers=ADMIN)
    assert r.status_code == 200 and r.json["day"] == THURSDAY
    listed = r.json["appointments"]
    assert [a["start"] for a in listed] == [slot(THURSDAY, "09:30"), slot(THURSDAY, "10:00")]
    assert listed[0]["phone"] == "13800000000" and listed[1]["code"] == code
    assert client.get("/api/appointments", headers=ADMIN).json["day"] == THURSDAY
    assert error(client.get("/api/appointments", headers=KIOSK), 403) == "forbidden"
    assert error(client.get("/api/appointments"), 401) == "unauthorized"
    assert error(client.get("/api/appointments?day=x", headers=ADMIN), 400) == "bad_request"


def test_booking_a_slot_of_today_when_the_staff_closed_the_service(make_app, clock):
    data = hall_data()
    next(s for s in data["services"] if s["id"] == "a")["closed"] = True
    client = make_app(HALL=parse_config(data), CLOCK=clock).test_client()
    assert slots(client) == {}
    assert error(book(client, slot(THURSDAY, "10:00")), 409) == "service_closed"
    assert book(client, slot("2026-11-27", "10:00")).status_code == 201


def test_the_time_check_in_opens_moves_with_the_clock(client, clock):
    code, _ = booked(client, slot(THURSDAY, "10:00"))
    clock.advance(minutes=29)
    assert check_in(client, code).status_code == 409
    clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI) - timedelta(seconds=1))
    assert check_in(client, code).status_code == 201  # the clock reads 09:30:00
