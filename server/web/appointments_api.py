"""Appointments (预约) over HTTP: slots, booking, cancelling, the kiosk's check-in (API.md)."""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request

from ..engine import rules
from ..engine.model import Appointment
from .api import choice, hub, json_body, rate_limit
from .auth import ADMIN, ISSUE, require
from .client_addr import client_address
from .errors import bad_request
from .serialize import iso, ticket_view_json

bp = Blueprint("appointments_api", __name__, url_prefix="/api/appointments")

PHONE = re.compile(r"[0-9+\- ]{1,20}")
CODE = re.compile(r"[0-9]{6}")
# Bookings a client address may make per minute: enough for a front desk booking for a line of
# citizens, too few for a script to book out a day's slots.
BOOKINGS_PER_MINUTE = 30
STAFF_READING = ("supervisor", "admin")


def appointment_json(a: Appointment, with_phone: bool = False) -> dict:
    d = {"code": a.code, "service": a.service, "day": a.day, "start": iso(a.start),
         "end": iso(a.end), "status": a.status, "lang": a.lang}
    if with_phone:
        d["phone"] = a.phone
    return d


def _day(value: str | None, name: str) -> date:
    if not value:
        raise bad_request(f"Query parameter '{name}' (YYYY-MM-DD) is required", f"缺少参数 {name}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"'{name}' must be a date as YYYY-MM-DD, not {value!r}",
                          f"参数 {name} 须为 YYYY-MM-DD 格式的日期") from None


def _start(value: str) -> datetime:
    """A slot's start as the API gives it (ISO with the hall's offset); a time without an
    offset is the hall's wall clock."""
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"'start' must be an ISO date and time, not {value!r}",
                          "字段 start 须为 ISO 格式的日期时间") from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(hub().config.timezone))
    return start


@bp.get("/slots")
def slots():
    service = request.args.get("service")
    if not service:
        raise bad_request("Query parameter 'service' is required", "缺少参数 service")
    day = _day(request.args.get("date"), "date")
    found = hub().slots(service, day)
    return jsonify({"service": service, "date": day.isoformat(), "slots": [
        {"start": iso(s.start), "end": iso(s.end), "capacity": s.capacity, "booked": s.booked}
        for s in found]})


@bp.post("")
def book():
    body = json_body({"service": str, "start": str, "phone": str, "lang": str},
                     required=("service", "start"))
    phone = body.get("phone")
    if phone is not None:
        phone = phone.strip() or None
        if phone is not None and not PHONE.fullmatch(phone):
            raise bad_request("'phone' may hold digits, +, - and spaces, at most 20",
                              "电话号码只能包含数字、+、- 和空格，最多 20 位")
    lang = choice(body, "lang", hub().config.languages)
    start = _start(body["start"])
    rate_limit(f"booking:{client_address()}", BOOKINGS_PER_MINUTE,
               "Too many bookings from this address; try again shortly", "预约过于频繁，请稍后再试")
    appointment = hub().book(body["service"], start, phone, lang)
    return jsonify({"appointment": appointment_json(appointment), "token": appointment.token}), 201


@bp.get("")
def of_day():
    require(ADMIN, staff=STAFF_READING)
    value = request.args.get("day")
    day = _day(value, "day") if value else rules.hall_day(hub().now(), hub().config.day_starts_at)
    service = request.args.get("service") or None
    return jsonify({"day": day.isoformat(), "appointments": [
        {**appointment_json(a, with_phone=True), "ticket_id": a.ticket_id}
        for a in hub().appointments_of_day(day, service)]})


@bp.get("/<token>")
def appointment(token: str):
    # Public: the unguessable token is the citizen's proof that the booking is theirs.
    return jsonify({"appointment": appointment_json(hub().appointment(token))})


@bp.delete("/<token>")
def cancel(token: str):
    return jsonify({"appointment": appointment_json(hub().cancel_appointment(token))})


@bp.post("/<code>/check-in")
def check_in(code: str):
    device = require(ISSUE, staff=STAFF_READING)
    body = json_body({"lang": str})
    lang = choice(body, "lang", hub().config.languages)
    if not CODE.fullmatch(code):
        raise bad_request(f"A booking's code is 6 digits, not {code!r}", "预约码为 6 位数字")
    view, _, created = hub().check_in(code, device.id, lang)
    return jsonify(ticket_view_json(view)), 201 if created else 200
