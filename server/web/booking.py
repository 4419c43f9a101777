"""The booking pages (预约) for the citizen's phone on the hall Wi-Fi and for the front desk:
/book chooses a service, a day and a time; /book/<token> is the booking itself (bookmarkable),
with its 6-digit code as a QR code (/book/qr/<token>.svg) for the kiosk's scanner.

The pages hold no booking data of their own: book.js books, reads and cancels through the
public appointments API. What the page is given is the hall's side of the choice: which services
take bookings, for how many days ahead, and on which weekdays they open.
"""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template

from ..config import HallConfig
from ..config.model import Text
from ..engine import appointments, rules
from ..engine.model import DomainError
from .console import CSP
from .errors import error_page
from .qr import qr_svg

bp = Blueprint("booking", __name__, url_prefix="/book")

MAX_TOKEN = 100  # a booking's token is short; a longer one is nobody's, without asking the store
# The QR image is an image and nothing else: no scripts, no fetches, never framed.
SVG_CSP = "default-src 'none'; frame-ancestors 'none'"
BOOKING_NOT_FOUND = ("?", Text("未找到该预约", "We couldn't find this booking"),
                     Text("链接可能有误。请核对链接，或重新预约。",
                          "The link may be mistyped. Please check it, or book again."))


@bp.after_request
def _headers(response):
    # The booking's page and QR carry its token and code: no cache keeps them, no frame shows them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def _hub():
    return current_app.config["HUB"]


@bp.get("")
def book():
    return _page(None)


@bp.get("/<token>")
def booking_page(token: str):
    if _code(token) is None:
        return error_page(404, BOOKING_NOT_FOUND, box_id="not-found")
    return _page(token)


@bp.get("/qr/<token>.svg")
def booking_qr(token: str):
    code = _code(token)
    if code is None:
        return error_page(404, BOOKING_NOT_FOUND, box_id="not-found")
    # Exactly the code: a USB scanner types what it reads, then Enter, into the kiosk.
    svg = qr_svg(code, scale=8, label=f"预约码 {code} / Booking code {code}")
    return current_app.response_class(
        svg, mimetype="image/svg+xml",
        headers={"Content-Security-Policy": SVG_CSP, "X-Content-Type-Options": "nosniff"})


def _code(token: str) -> str | None:
    """The booking's 6-digit code, or None when no booking has this token."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        return _hub().appointment(token).code
    except DomainError as e:
        if e.status == 404:
            return None
        raise


def _page(token: str | None):
    hub = _hub()
    config: HallConfig = hub.config
    today = rules.hall_day(hub.now(), config.day_starts_at)
    return render_template("book.html", token=token, hall=config, data=page_data(config, today))


def page_data(config: HallConfig, today: date) -> dict:
    """What book.js is told of the hall: the services that take bookings, grouped by department
    in the config's order, each with the days it may be booked and its check-in window. A day
    is `open` when the appointments' rules take bookings for it and it has slots; otherwise the
    page shows it disabled, `paused` when the staff have closed the service for today."""
    tz = ZoneInfo(config.timezone)
    services = []
    for s in config.live_services:
        if not appointments.takes_bookings(s):
            continue
        a = s.appointments
        days = []
        for n in range(a.days_ahead + 1):
            d = today + timedelta(days=n)
            has_slots = bool(appointments.day_slots(s, d, tz))
            days.append({"date": d.isoformat(),
                         "open": has_slots and appointments.bookable_day(s, d, today),
                         "paused": has_slots and d == today and s.closed})
        services.append({
            "id": s.id, "prefix": s.prefix, "department": s.department, "name": s.name.as_dict(),
            "closed": s.closed, "slot_minutes": a.slot_minutes, "per_slot": a.per_slot,
            "early_minutes": a.early_minutes, "late_minutes": a.late_minutes, "days": days})
    used = {s["department"] for s in services}
    return {
        "hall": {"name": config.name.as_dict(), "timezone": config.timezone,
                 "languages": list(config.languages), "today": today.isoformat()},
        "departments": [{"id": d.id, "name": d.name.as_dict()} for d in config.departments
                        if d.id in used],
        "services": services,
    }
