"""The JSON shapes of API.md, built from engine values. Used by the store (event payloads) and
the web layer (responses), so a ticket looks the same on the stream and in a response."""
from __future__ import annotations

from datetime import datetime

from .config.model import HallConfig
from .engine.model import Event, Ticket, WindowState


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt is not None else None


def ticket_dict(t: Ticket, with_token: bool = False) -> dict:
    # The token is the citizen's key to their status page: only the issuing kiosk and the
    # status endpoint may show it.
    d = {
        "id": t.id, "number": t.number, "service": t.service, "priority": t.priority,
        "status": t.status, "issued_at": iso(t.issued_at), "called_at": iso(t.called_at),
        "window": t.window, "started_at": iso(t.started_at), "finished_at": iso(t.finished_at),
        "day": t.day, "origin_service": t.origin_service, "transfers": t.transfers,
        # Why a cancelled ticket was cancelled ("citizen" | "day_closed"); null otherwise.
        "cancel_reason": t.cancel_reason,
    }
    if with_token:
        d["token"] = t.token
    return d


def window_ref(config: HallConfig, window_id: str | None) -> dict | None:
    if window_id is None:
        return None
    w = config.window(window_id)
    return {"id": window_id, "name": w.name.as_dict() if w else {"zh": window_id, "en": window_id}}


def window_dict(config: HallConfig, state: WindowState, current: Ticket | None) -> dict:
    w = config.window(state.id)
    return {
        "id": state.id, "name": w.name.as_dict(), "services": list(w.services),
        "order": w.order, "status": state.status,
        "current": ticket_dict(current) if current is not None else None,
    }


def event_dict(config: HallConfig, seq: int, event: Event) -> dict:
    d = {"seq": seq, "type": event.type, "at": iso(event.at)}
    if event.ticket is not None:
        d["ticket"] = ticket_dict(event.ticket)
    if event.window is not None:
        d["window"] = window_ref(config, event.window)
    d.update(event.data)
    return d
