"""The API's JSON shapes (openapi.json), built from the hub's answers (server/answers.py) and engine values.

Everything the API sends is shaped here, and so is an event's wire form (`event_json`), which the
wiring hands to the store: a ticket then looks the same on the stream and in a response.
"""
from __future__ import annotations

import json
from datetime import datetime

from ..answers import (
    ActResult,
    DayFigures,
    DeviceStatus,
    Figures,
    HallView,
    TicketView,
    WindowNow,
    WindowView,
)
from ..config.dump import guide_dict
from ..config.model import WEEKDAYS, Appointments, HallConfig, Span, Text
from ..engine.model import Event, Ticket

WINDOW_FIGURES = ("called", "served", "no_show", "transferred", "avg_service_s", "ratings")


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt is not None else None


def ticket_json(t: Ticket, with_token: bool = False) -> dict:
    # The token is the citizen's key to their status page: only the issuing kiosk and the
    # status endpoint may show it.
    d = {
        "id": t.id, "number": t.number, "service": t.service, "priority": t.priority,
        "status": t.status, "issued_at": iso(t.issued_at), "called_at": iso(t.called_at),
        # The first call, which waits are measured to (called_at is the latest).
        "first_called_at": iso(t.first_called_at),
        "window": t.window, "started_at": iso(t.started_at), "finished_at": iso(t.finished_at),
        "day": t.day, "origin_service": t.origin_service, "transfers": t.transfers,
        # Why a cancelled ticket was cancelled ("citizen" | "day_closed"); null otherwise.
        "cancel_reason": t.cancel_reason,
        # Issued by a booking's check-in (null for walk-ins); `late`: checked in after the slot's
        # late_minutes, so it queues as a walk-in.
        "appointment": ({"code": t.appointment_code, "start": iso(t.slot_start), "late": t.slot_late}
                        if t.appointment_code is not None else None),
    }
    if with_token:
        d["token"] = t.token
    return d


def ticket_view_json(view: TicketView) -> dict:
    """A ticket with its place in line, as its kiosk and its citizen's page get it. `rating`
    (null until rated, however it was) tells the phone page whether to offer its rating form;
    the comment stays with the staff."""
    ticket = ticket_json(view.ticket, with_token=True)
    ticket["rating"] = view.ticket.rating
    return {"ticket": ticket, "ahead": view.ahead, "estimated_wait_s": view.estimated_wait_s}


def window_json(w: WindowNow) -> dict:
    return {
        "id": w.state.id, "name": w.window.name.as_dict(), "services": list(w.window.services),
        "order": w.window.order, "status": w.state.status,
        "current": ticket_json(w.current) if w.current is not None else None,
    }


def act_json(result: ActResult) -> dict:
    return {"ticket": ticket_json(result.ticket) if result.ticket else None,
            "window": window_json(result.window)}


def _window_ref(config: HallConfig, window_id: str) -> dict:
    w = config.window(window_id)
    return {"id": window_id, "name": w.name.as_dict() if w else {"zh": window_id, "en": window_id}}


def event_json(config: HallConfig, seq: int, event: Event) -> str:
    """An event's wire form, as the store keeps it and the stream sends it."""
    d = {"seq": seq, "type": event.type, "at": iso(event.at)}
    if event.ticket is not None:
        d["ticket"] = ticket_json(event.ticket)
    if event.window is not None:
        d["window"] = _window_ref(config, event.window)
    d.update(event.data)
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"), default=_data_json)


def _data_json(value):
    """The hub's values inside an event's data (a device's status, the notices)."""
    if isinstance(value, DeviceStatus):
        return device_json(value)
    if isinstance(value, Text):
        return value.as_dict()
    raise TypeError(f"{type(value).__name__} has no wire form")


def device_json(d: DeviceStatus) -> dict:
    """A device as the staff see it. Never the token (nor its hash): the snapshot is public.
    `printer` and `message` are what it last reported; `status` and `updated_at` hold the same
    report as before, for the clients that read them."""
    out: dict = {"id": d.device.id, "role": d.device.role}
    if d.device.name:
        out["name"] = d.device.name
    out["last_seen"] = iso(d.last_seen)
    out["online"] = d.online
    for key in ("printer", "message"):
        if d.status and key in d.status:
            out[key] = d.status[key]
    out["status"] = d.status
    out["updated_at"] = iso(d.updated_at)
    return out


def _span(span: Span) -> str:
    end = span.end.strftime("%H:%M") if span.end else "24:00"
    return f"{span.start.strftime('%H:%M')}-{end}"


def _appointments(a: Appointments | None) -> dict | None:
    if a is None:
        return None
    return {"slot_minutes": a.slot_minutes, "per_slot": a.per_slot, "days_ahead": a.days_ahead,
            "early_minutes": a.early_minutes, "late_minutes": a.late_minutes}


def hall_json(view: HallView) -> dict:
    """GET /api/hall: the snapshot a display, kiosk or overview starts from."""
    config, now = view.config, view.now
    return {
        # `version`: the hall config's numbered version (hall.changed carries the new one).
        "hall": {"name": config.name.as_dict(), "languages": list(config.languages),
                 "day": view.day, "time": iso(now), "timezone": config.timezone,
                 "version": config.version, "near_ahead": config.near_ahead},
        "departments": [{"id": d.id, "name": d.name.as_dict()} for d in config.departments],
        "services": [{
            "id": s.id, "prefix": s.prefix, "department": s.department, "name": s.name.as_dict(),
            "open": s.is_open(now.weekday(), now.time()),
            "waiting": view.waiting.get(s.id, 0), "issued_today": view.issued.get(s.id, 0),
            "daily_limit": s.daily_limit, "materials": [m.as_dict() for m in s.materials],
            "hours": [_span(sp) for sp in s.hours.spans],
            "days": [WEEKDAYS[d] for d in sorted(s.hours.days)],
            "guide": guide_dict(s.guide),
            # The booking rules (or null) so that pages know which services take bookings.
            "appointments": _appointments(s.appointments)}
            for s in config.live_services],  # a retired service is no longer offered
        "windows": [window_json(w) for w in view.windows],
        "notices": [n.as_dict() for n in view.notices],
        "recent_calls": [json.loads(e.data) for e in view.recent_calls],
        "announcer": {"enabled": config.announcer.enabled,
                      "languages": list(config.announcer.languages),
                      "repeat": config.announcer.repeat,
                      "voices": config.announcer.voices,
                      "templates": config.announcer.templates},
        "devices": [device_json(d) for d in view.devices],
        "last_event": view.last_event,
    }


def figures_json(head: dict, f: Figures) -> dict:
    row = dict(head)
    if f.issued is not None:
        row["issued"] = f.issued
    row.update({"called": f.called, "served": f.served, "no_show": f.no_show,
                "transferred": f.transferred, "cancelled": f.cancelled, "waiting": f.waiting,
                "avg_wait_s": f.avg_wait_s, "max_wait_s": f.max_wait_s,
                "avg_service_s": f.avg_service_s, "ratings": dict(f.ratings)})
    return row


def stats_json(figures: DayFigures) -> dict:
    """GET /api/stats (and the rows of `hallcall stats`)."""
    return {"day": figures.day,
            "services": [figures_json({"id": s.id, "name": s.name.as_dict()}, f)
                         for s, f in figures.services],
            "windows": [figures_json({"id": w.id, "name": w.name.as_dict()}, f)
                        for w, f in figures.windows]}


def window_view_json(view: WindowView) -> dict:
    """GET /api/windows/<id>: what the clerk console shows of one window."""
    today = figures_json({}, view.today)
    return {"window": window_json(view.window),
            "queue": [ticket_json(t) for t in view.queue],
            "waiting": view.waiting,
            "today": {k: today[k] for k in WINDOW_FIGURES},
            # The hub says which actions fit, so the console does not re-derive the rules.
            "allowed_actions": list(view.allowed_actions),
            "time": iso(view.now),
            "last_event": view.last_event}
