"""The halls' live state (GET /api/central/halls), read from what they forwarded: two grouped
statements however many halls there are (the halls, then their current day's tickets)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from .schema import halls, tickets, windows

ONLINE_S = 30  # heard from within this long: online (the forwarder posts at least every 5 s)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US_PER_S = 1_000_000


def iso(us: int | None, zone: str | None = None) -> str | None:
    if us is None:
        return None
    dt = _EPOCH + timedelta(microseconds=us)
    try:
        dt = dt.astimezone(ZoneInfo(zone)) if zone else dt
    except (ValueError, KeyError, OSError):
        pass
    return dt.isoformat(timespec="seconds")


def _seconds(us: int) -> float:
    return round(us / _US_PER_S, 1)


def halls_state(conn, now_us: int) -> list[dict]:
    """Every hall, by id: GET /api/central/halls' `halls`."""
    waiting = tickets.c.status == "waiting"
    today = select(
        tickets.c.hall, func.count().label("issued"),
        func.sum(case((waiting, 1), else_=0)).label("waiting"),
        func.min(case((waiting, tickets.c.issued_at))).label("oldest"),
    ).select_from(tickets.join(halls, and_(halls.c.id == tickets.c.hall,
                                           halls.c.day == tickets.c.day))) \
        .group_by(tickets.c.hall)
    figures = {r.hall: r for r in conn.execute(today)}
    open_windows = dict(conn.execute(
        select(windows.c.hall, func.count()).where(windows.c.status == "open")
        .group_by(windows.c.hall)).all())
    out = []
    for h in conn.execute(select(halls).order_by(halls.c.id)):
        info = json.loads(h.info) if h.info else {}
        name = json.loads(h.name) if h.name else {"zh": h.id, "en": h.id}
        f = figures.get(h.id)
        oldest = f.oldest if f is not None else None
        out.append({
            "id": h.id, "name": name, "last_seq": h.last_seq,
            "last_at": iso(h.last_at, info.get("timezone")),
            "lag_s": _seconds(max(0, now_us - h.caught_up_at)) if h.caught_up_at else None,
            "waiting": int(f.waiting or 0) if f is not None else 0,
            "open_windows": open_windows.get(h.id, 0),
            "longest_wait_s": _seconds(max(0, now_us - oldest)) if oldest is not None else None,
            "issued_today": int(f.issued) if f is not None else 0,
            "day": h.day,
            "online": h.last_post_at is not None and now_us - h.last_post_at <= ONLINE_S * _US_PER_S,
            "last_post_at": iso(h.last_post_at, info.get("timezone")),
        })
    return out
