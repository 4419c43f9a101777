"""A service's slots for booking (engine/appointments.py): through its opening hours, every
`slot_minutes`, the slot under way still listed, nothing past or beyond `days_ahead`."""
import dataclasses
from datetime import date, datetime, time, timedelta

from helpers import SHANGHAI, small_hall_data

from hallcall.server.config import parse_config
from hallcall.server.engine import appointments
from hallcall.server.engine.model import DomainError

THURSDAY = date(2026, 11, 26)


def hall(**appointment_rules):
    data = small_hall_data()
    for s in data["services"]:
        if s["id"] == "c":  # 08:30-12:00 and 13:30-17:30, Monday to Friday
            s["appointments"] = {"slot_minutes": 30, "per_slot": 2, **appointment_rules}
    return parse_config(data)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SHANGHAI)


def starts(slots):
    return [s.start.strftime("%H:%M") for s in slots]


def test_slots_run_through_each_opening_span_and_end_within_it():
    c = hall().service("c")
    slots = appointments.day_slots(c, THURSDAY, SHANGHAI)
    assert starts(slots) == ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
                             "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00"]
    assert all(s.end - s.start == timedelta(minutes=30) and s.capacity == 2 for s in slots)
    # 45-minute slots: the last that fits in 08:30-12:00 ends at 11:30, not after noon.
    longer = appointments.day_slots(hall(slot_minutes=45).service("c"), THURSDAY, SHANGHAI)
    morning = [s for s in longer if s.start.hour < 12]
    assert starts(morning) == ["08:30", "09:15", "10:00", "10:45"]
    assert morning[-1].end == at(THURSDAY, 11, 30)


def test_no_slots_on_a_closed_day():
    c = hall().service("c")
    saturday = THURSDAY + timedelta(days=2)
    assert appointments.day_slots(c, saturday, SHANGHAI) == []
    now = at(THURSDAY, 9)
    assert appointments.open_slots(c, saturday, SHANGHAI, now, THURSDAY, {}) == []


def test_a_service_open_around_the_clock_has_slots_until_midnight():
    c = hall().service("c")
    always = dataclasses.replace(c, hours=parse_config(small_hall_data()).service("a").hours)
    slots = appointments.day_slots(always, THURSDAY, SHANGHAI)
    assert len(slots) == 48
    assert slots[-1].end == at(THURSDAY + timedelta(days=1), 0)


def test_the_slot_under_way_is_listed_until_it_ends_and_past_ones_are_not():
    c = hall().service("c")
    listed = appointments.open_slots(c, THURSDAY, SHANGHAI, at(THURSDAY, 9, 10), THURSDAY,
                                     {at(THURSDAY, 9): 1})
    assert starts(listed)[:2] == ["09:00", "09:30"]
    assert listed[0].booked == 1 and listed[1].booked == 0
    listed = appointments.open_slots(c, THURSDAY, SHANGHAI, at(THURSDAY, 9, 30), THURSDAY, {})
    assert starts(listed)[0] == "09:30"


def test_days_ahead_bounds_the_days_listed():
    c = hall(days_ahead=7).service("c")
    now = at(THURSDAY, 9)
    assert appointments.open_slots(c, THURSDAY + timedelta(days=7), SHANGHAI, now, THURSDAY, {})
    assert appointments.open_slots(c, THURSDAY + timedelta(days=8), SHANGHAI, now, THURSDAY, {}) == []
    assert appointments.open_slots(c, THURSDAY - timedelta(days=1), SHANGHAI, now, THURSDAY, {}) == []


def test_a_service_closed_by_the_staff_takes_no_bookings_today_but_does_for_tomorrow():
    c = dataclasses.replace(hall().service("c"), closed=True)
    now = at(THURSDAY, 9)
    assert appointments.open_slots(c, THURSDAY, SHANGHAI, now, THURSDAY, {}) == []
    assert appointments.open_slots(c, THURSDAY + timedelta(days=1), SHANGHAI, now, THURSDAY, {})


def test_a_retired_service_or_one_without_appointments_takes_none():
    config = hall()
    assert not appointments.takes_bookings(config.service("a"))
    assert not appointments.takes_bookings(dataclasses.replace(config.service("c"), retired=True))
    assert appointments.takes_bookings(config.service("c"))


def book(service, start, now, booked=0, day_taken=0):
    return appointments.book(service, start, day=start.date(), tz=SHANGHAI, now=now,
                             today=now.date(), booked=booked, day_taken=day_taken,
                             appointment_id="x", code="123456", token="tok")


def refusal(service, start, now, **counts) -> str:
    try:
        book(service, start, now, **counts)
    except DomainError as e:
        assert e.message and e.message_zh
        return e.code
    return "accepted"


def test_booking_refuses_what_is_not_a_bookable_slot():
    c = hall().service("c")
    now = at(THURSDAY, 9, 10)
    assert refusal(c, at(THURSDAY, 9), now) == "accepted"  # under way: still bookable
    assert refusal(c, at(THURSDAY, 9, 15), now) == "bad_request"  # not a slot's start
    assert refusal(c, at(THURSDAY, 8, 30), now) == "bad_request"  # ended
    assert refusal(c, at(THURSDAY, 12), now) == "bad_request"  # the lunch break
    assert refusal(c, at(THURSDAY + timedelta(days=8), 9), now) == "bad_request"  # beyond days_ahead
    assert refusal(c, at(THURSDAY, 10), now, booked=2) == "slot_full"
    assert refusal(c, at(THURSDAY, 10), now, booked=1) == "accepted"


def test_the_daily_limit_counts_bookings_with_the_days_tickets():
    c = hall().service("c")  # daily_limit 3
    now = at(THURSDAY, 9)
    assert c.daily_limit == 3
    assert refusal(c, at(THURSDAY, 10), now, day_taken=2) == "accepted"
    assert refusal(c, at(THURSDAY, 10), now, day_taken=3) == "daily_limit_reached"
