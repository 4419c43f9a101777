"""The hub's reports (server/reports) over the central's tickets: one hall's or every hall's,
and by hall.

The SQL is the hub's own; this scope tells it which tickets and how each hall sees them, from
the `info` each hall last sent: its services' targets and departments, its time zone, names.
Keys across halls (documented in docs/central.md):
- `service` and `department`: the id, as a city's halls share one catalogue of services; the
  name is that of the first hall (by id) that has it;
- `window` and `staff` of every hall at once: `hall/window` (`xuhui-1/3`), as window 3 of two
  halls are two windows; of one hall, the bare id as in that hall's own report;
- `hall`: the hall id, named as the hall names itself.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import and_, literal, or_, select

from ..reports.query import (
    BY,
    DEFAULT_TARGET_MINUTES,
    HallScope,
    _cases,
    _int,
    hour_of_issue,
)
from ..reports.report import report_of
from .schema import halls as H
from .schema import tickets

CENTRAL_BY = ("hall", *BY)
_US_PER_MINUTE = 60_000_000
DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Hall:
    id: str
    name: dict
    info: dict


def known_halls(conn) -> list[Hall]:
    out = []
    for row in conn.execute(select(H.c.id, H.c.name, H.c.info).order_by(H.c.id)):
        name = json.loads(row.name) if row.name else {}
        out.append(Hall(row.id, {"zh": name.get("zh") or row.id, "en": name.get("en") or row.id},
                        json.loads(row.info) if row.info else {}))
    return out


class CentralScope(HallScope):
    by = CENTRAL_BY
    table = tickets

    def __init__(self, halls: list[Hall], hall: str | None):
        """halls: every hall the central knows; hall: the one reported on (None: all)."""
        self.hall = hall
        self.halls = [h for h in halls if hall is None or h.id == hall]
        self.condition = tickets.c.hall == hall if hall is not None else None

    def _per_hall(self, value_of) -> dict:
        """{value: condition} for CASE: the tickets whose (hall, origin service) give `value`.
        Halls that agree (a city's halls mostly share one catalogue) share one branch, and one
        that all the halls reported on agree on needs no hall at all: the condition is
        evaluated for every ticket of the range, 1.8 M of them for a month of 20 halls."""
        groups: dict = {}
        for h in self.halls:
            for s in h.info.get("services") or []:
                value = value_of(s)
                if value is not None:
                    groups.setdefault(value, {}).setdefault(h.id, set()).add(s["id"])
        everyone = {h.id for h in self.halls}
        service = tickets.c.origin_service
        out = {}
        for value, by_hall in groups.items():
            agreeing: dict[frozenset, list[str]] = {}
            for hall, ids in sorted(by_hall.items()):
                agreeing.setdefault(frozenset(ids), []).append(hall)
            branches = []
            for ids, which in agreeing.items():
                if set(which) == everyone:
                    branches.append(service.in_(sorted(ids)))
                else:
                    branches.append(and_(tickets.c.hall.in_(which), service.in_(sorted(ids))))
            out[value] = or_(*branches) if len(branches) > 1 else branches[0]
        return out

    def target_us(self):
        def target(s):
            minutes = s.get("target_wait_minutes") or DEFAULT_TARGET_MINUTES
            return None if minutes == DEFAULT_TARGET_MINUTES else minutes * _US_PER_MINUTE

        groups = self._per_hall(target)
        return _cases({_int(k): v for k, v in groups.items()},
                      _int(DEFAULT_TARGET_MINUTES * _US_PER_MINUTE))

    def department(self):
        groups = self._per_hall(lambda s: s.get("department") or None)
        return _cases({literal(k): v for k, v in groups.items()}, literal(""))

    def hour(self, from_day: str, to_day: str):
        zones: dict[str, list[str]] = {}
        for h in self.halls:
            zones.setdefault(h.info.get("timezone") or DEFAULT_TIMEZONE, []).append(h.id)
        if len(zones) <= 1:  # a city's halls: one time zone, the hub's expression as it is
            return hour_of_issue(tickets, next(iter(zones), DEFAULT_TIMEZONE), from_day, to_day)
        *others, (common, _) = sorted(zones.items(), key=lambda z: len(z[1]))
        return _cases({hour_of_issue(tickets, zone, from_day, to_day): tickets.c.hall.in_(ids)
                       for zone, ids in others},
                      hour_of_issue(tickets, common, from_day, to_day))

    def key(self, by: str):
        if by == "hall":
            return tickets.c.hall
        if by in ("window", "staff") and self.hall is None:
            return tickets.c.hall + literal("/") + tickets.c[by]
        return super().key(by)

    def names(self, by: str) -> list[tuple[str, str, str | None]]:
        if by == "hall":
            return [(h.id, h.name["zh"], h.name["en"]) for h in self.halls]
        if by == "window":
            out = []
            for h in self.halls:
                for w in h.info.get("windows") or []:
                    name = w.get("name") or {}
                    zh, en = name.get("zh") or w["id"], name.get("en")
                    if self.hall is None:
                        out.append((f"{h.id}/{w['id']}", f"{h.name['zh']} {zh}",
                                    f"{h.name['en']} {en}" if en else None))
                    else:
                        out.append((w["id"], zh, en))
            return out
        part = {"service": "services", "department": "departments"}.get(by)
        if part is None:
            return []
        seen, out = set(), []
        for h in self.halls:
            for item in h.info.get(part) or []:
                if item["id"] not in seen:
                    seen.add(item["id"])
                    name = item.get("name") or {}
                    out.append((item["id"], name.get("zh") or item["id"], name.get("en")))
        return out


class UnknownHall(LookupError):
    pass


def central_report(conn, hall: str | None, from_day: str, to_day: str, by: str) -> dict:
    """GET /api/central/reports' body: the hub's report body, with `hall` (an id or "all")."""
    halls = known_halls(conn)
    if hall is not None and hall not in {h.id for h in halls}:
        raise UnknownHall(hall)
    body = report_of(conn.execution_options(compiled_cache=None), CentralScope(halls, hall),
                     from_day, to_day, by)
    return {"hall": hall or "all", **body}
