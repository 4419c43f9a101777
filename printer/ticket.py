"""The plain value a ticket is printed from, and how a kiosk builds it from the hub's answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_FOOTER = {"zh": "请留意叫号屏幕和广播，过号需重新取号。",
                  "en": "Watch the screens and listen for your number."}


@dataclass(frozen=True)
class Slot:
    """The booked slot of a ticket issued by an appointment's check-in, in the hall's time."""
    start: datetime
    end: datetime | None  # None: the hub did not say how long the service's slots are
    late: bool  # checked in too late: queued as a walk-in

    def span(self) -> str:
        """"09:30-10:00" ("09:30" when the end is not known)."""
        start = self.start.strftime("%H:%M")
        return f"{start}-{self.end.strftime('%H:%M')}" if self.end else start


def slot_of(ticket: dict, hall: dict | None) -> Slot | None:
    """The slot of a ticket from the hub (`ticket.appointment`), None for a walk-in. Its end is
    the hub's when it gives one, else the start plus the service's `slot_minutes` in the hall
    snapshot."""
    booked = ticket.get("appointment")
    if not booked or not booked.get("start"):
        return None
    hall = hall or {}
    start = datetime.fromisoformat(booked["start"])
    end = datetime.fromisoformat(booked["end"]) if booked.get("end") else None
    if end is None:
        service = next((s for s in hall.get("services", []) if s.get("id") == ticket.get("service")), {})
        minutes = (service.get("appointments") or {}).get("slot_minutes")
        end = start + timedelta(minutes=minutes) if minutes else None
    try:  # the hall's clock, whatever offset the hub wrote the time with
        zone = ZoneInfo(hall.get("hall", {}).get("timezone") or "")
        start, end = start.astimezone(zone), end.astimezone(zone) if end else None
    except (ZoneInfoNotFoundError, ValueError):
        pass
    return Slot(start, end, bool(booked.get("late")))


@dataclass(frozen=True)
class TicketPrint:
    hall: dict  # {"zh": ..., "en": ...}
    service: dict
    number: str
    priority: str
    ahead: int
    estimated_wait_s: int
    issued_at: datetime
    windows: list[dict]  # names of the windows that serve it
    materials: list[dict]
    status_url: str  # the phone page, /t/<token>
    lang: str = "zh"
    footer: dict = field(default_factory=lambda: dict(DEFAULT_FOOTER))
    slot: Slot | None = None  # issued by an appointment's check-in

    def text(self, value: dict, other: bool = False) -> str:
        """A bilingual value in the ticket's language (falling back to whichever it has), or with
        other=True in the other language: "" when it has none, rather than the same text twice."""
        value = value or {}
        if other:
            mine = self.text(value)
            theirs = value.get("en" if self.lang == "zh" else "zh") or ""
            return "" if theirs == mine else theirs
        return value.get(self.lang) or value.get("zh") or value.get("en") or ""


def from_api(issued: dict, hall: dict, base_url: str, lang: str = "zh") -> TicketPrint:
    """From the hub's POST /api/tickets answer and its GET /api/hall snapshot."""
    ticket = issued["ticket"]
    service = next((s for s in hall.get("services", []) if s["id"] == ticket["service"]),
                   {"name": {"zh": ticket["service"], "en": ticket["service"]}, "materials": []})
    windows = [w["name"] for w in hall.get("windows", []) if ticket["service"] in w.get("services", [])]
    return TicketPrint(
        hall=hall["hall"]["name"], service=service["name"], number=ticket["number"],
        priority=ticket.get("priority") or "normal", ahead=issued.get("ahead") or 0,
        estimated_wait_s=issued.get("estimated_wait_s") or 0,
        issued_at=datetime.fromisoformat(ticket["issued_at"]), windows=windows,
        materials=list(service.get("materials", [])),
        status_url=f"{base_url.rstrip('/')}/t/{ticket['token']}", lang=lang,
        slot=slot_of(ticket, hall))


def sample_ticket(config, lang: str = "zh") -> TicketPrint:
    """A ticket for the hall's first service, for `hallcall print-test`."""
    service = config.services[0]
    return TicketPrint(
        hall=config.name.as_dict(), service=service.name.as_dict(), number=f"{service.prefix}023",
        priority="normal", ahead=3, estimated_wait_s=540, issued_at=datetime.now().replace(microsecond=0),
        windows=[w.name.as_dict() for w in config.windows_serving(service.id)],
        materials=[m.as_dict() for m in service.materials],
        status_url="http://hub.local:8080/t/sample-token", lang=lang)
