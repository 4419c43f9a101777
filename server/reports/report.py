"""The reports as the API answers them: keys named and ordered by the hall config, hour and day
rows complete, and the period's unsatisfied ratings for follow-up."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, desc, select

from ..config.model import HallConfig
from ..store.schema import tickets as T
from .query import BY, HallScope, aggregate, empty_figures, scope_of

TOTAL_NAME = ("合计", "Total")
# One report at a time in a process: each holds a few MB of SQLite's sort buffers while it runs,
# and four at once took a hub from 50 to 70 MB RSS (measured over the simulated month; its budget
# is 60). A hall has few readers of reports, and they can wait the second another one takes.
_ONE_AT_A_TIME = threading.Lock()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _days(from_day: str, to_day: str) -> list[str]:
    start, end = date.fromisoformat(from_day), date.fromisoformat(to_day)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def report_of(conn, config: HallConfig | HallScope, from_day: str, to_day: str, by: str) -> dict:
    """The JSON body of GET /api/reports over one connection (see `report`); `config` the hall
    config, or a scope of the tickets (server/reports/query.py's HallScope)."""
    scope = scope_of(config)
    figures, total = aggregate(conn, scope, from_day, to_day, by)
    issued = by not in ("window", "staff")
    rows = []
    if by in ("hour", "day"):
        # Complete: a chart of the day's hours shows the quiet ones as zeros, not as gaps.
        keys = [(h, f"{h:02d}") for h in range(24)] if by == "hour" else \
            [(d, d) for d in _days(from_day, to_day)]
        for stored, key in keys:
            rows.append({"key": key, **(figures.get(stored) or empty_figures(issued))})
    else:
        known = scope.names(by)
        for key, zh, en in known:
            if key in figures:
                rows.append(_named(key, zh, en, figures.pop(key)))
        for key in sorted(figures, key=lambda k: "" if k is None else str(k)):
            # Gone from the config (retired and removed) or, by department, a service unknown
            # to it: still counted, under its bare key.
            shown = "?" if by == "department" else key
            rows.append(_named("" if key is None else key, shown or "?", None, figures[key]))
    zh, en = TOTAL_NAME
    return {"from": from_day, "to": to_day, "by": by, "rows": rows,
            "total": {"key": "total", "name": zh, "name_en": en, **total}}


def _named(key, zh, en, figures: dict) -> dict:
    row = {"key": key, "name": zh}
    if en:
        row["name_en"] = en
    row.update(figures)
    return row


def report(hub, from_day: str, to_day: str, by: str) -> dict:
    """GET /api/reports' JSON body `{"from", "to", "by", "rows": [ROW], "total": ROW}` for the
    hall days from_day..to_day (ISO, already checked) and `by` (one of BY)."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    config = hub.config
    with _ONE_AT_A_TIME, hub.store.read(config) as tx:
        return report_of(tx.conn, config, from_day, to_day, by)


def _iso(us: int | None, zone: ZoneInfo) -> str | None:
    if us is None:
        return None
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone).isoformat(timespec="seconds")


def rated(hub, from_day: str, to_day: str, rating: str = "unsatisfied", limit: int = 500) -> list[dict]:
    """The tickets of the period rated `rating`, the newest finished first (at most `limit`)."""
    config = hub.config
    zone = ZoneInfo(config.timezone)
    query = (select(T.c.id, T.c.day, T.c.number, T.c.service, T.c.window, T.c.staff,
                    T.c.finished_at, T.c.rating, T.c.rating_comment)
             .where(and_(T.c.day >= from_day, T.c.day <= to_day, T.c.rating == rating))
             .order_by(desc(T.c.finished_at), desc(T.c.id)).limit(limit))
    with hub.store.read(config) as tx:
        found = [dict(r._mapping) for r in tx.conn.execute(query)]
    out = []
    for t in found:
        service = config.service(t["service"])
        window = config.window(t["window"]) if t["window"] else None
        member = config.member(t["staff"]) if t["staff"] else None
        out.append({
            "id": t["id"], "day": t["day"], "number": t["number"], "service": t["service"],
            "service_name": service.name.zh if service else t["service"],
            "service_name_en": service.name.en if service else t["service"],
            "window": t["window"],
            "window_name": window.name.zh if window else t["window"],
            "staff": t["staff"], "staff_name": member.name if member else t["staff"],
            "finished_at": _iso(t["finished_at"], zone), "rating": t["rating"],
            # What the citizen wrote on their phone with the rating: for the staff only.
            "comment": t["rating_comment"]})
    return out


def unsatisfied(hub, from_day: str, to_day: str, limit: int = 500) -> list[dict]:
    """The period's unsatisfied ratings, newest first, for follow-up."""
    return rated(hub, from_day, to_day, "unsatisfied", limit)
