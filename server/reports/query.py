"""The reports' figures, aggregated in SQL (API.md "Reports").

Three statements per report (the sums per key, the keys' p90s, the total's p90): a month of a
busy hall is 90,000 tickets, and the hub has a few MB of memory to spare, so tickets are never
loaded into Python; only one row per key comes back. The SQL is portable (SQLite now, PostgreSQL
later; checked to give the same figures on PostgreSQL 15 over the simulated month): a window
function, CASE, LIMIT/OFFSET, integer arithmetic, no dialect's own date or math functions.
Times are integer microseconds, so sums and maxima are exact and rounding to whole seconds
happens once, here, in integer arithmetic.

What a ticket counts for depends only on the hall config's *current* version (names, departments,
targets): a report of last year reads as this year's hall names it.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, case, func, literal, select

from ..config.model import HallConfig
from ..store.schema import tickets as T

BY = ("service", "department", "window", "staff", "hour", "day")
RATINGS = ("satisfied", "basic", "unsatisfied")
DEFAULT_TARGET_MINUTES = 30
_US_PER_S = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_S
FIGURES = ("issued", "called", "served", "no_show", "cancelled", "transferred", "wait_avg_s",
           "wait_p90_s", "wait_max_s", "service_avg_s", "sla_pct")


def _int(value):
    return literal(value, BigInteger)


def _cases(groups: dict, default):
    """CASE WHEN condition THEN value … ELSE default, from {value: condition}."""
    whens = [(condition, value) for value, condition in groups.items() if condition is not None]
    return case(*whens, else_=default) if whens else default


def _in_groups(column, groups: dict, default):
    """CASE column WHEN IN (…) THEN value … ELSE default: one branch per distinct value, not per
    service, so 115 services with 3 targets make 3 branches."""
    return _cases({value: column.in_(sorted(ids)) for value, ids in groups.items() if ids}, default)


def day_offsets_us(timezone: str, from_day: str, to_day: str) -> dict[str, int]:
    """Each hall day's UTC offset in microseconds, taken at its noon: DST changes happen at
    night, so one offset per day is right for every hour a hall is open."""
    zone = ZoneInfo(timezone)
    start, end = date.fromisoformat(from_day), date.fromisoformat(to_day)
    out = {}
    for n in range((end - start).days + 1):
        d = start + timedelta(days=n)
        offset = datetime.combine(d, time(12), zone).utcoffset()
        out[d.isoformat()] = offset // timedelta(microseconds=1)
    return out


def hour_of_issue(table, timezone: str, from_day: str, to_day: str):
    """The hour (0-23) of a ticket's issue in `timezone`, for tickets of from_day..to_day."""
    offsets = day_offsets_us(timezone, from_day, to_day)
    common = Counter(offsets.values()).most_common(1)[0][0]
    groups: dict[int, set[str]] = {}
    for day, offset in offsets.items():
        if offset != common:  # most halls: one offset all year, no CASE at all
            groups.setdefault(offset, set()).add(day)
    offset = _in_groups(table.c.day, {_int(k): v for k, v in groups.items()}, _int(common))
    # issued_at is positive, so integer division is the floor on every database.
    return ((table.c.issued_at + offset) // _int(_US_PER_HOUR)) % _int(24)


class HallScope:
    """What a report reads and how it sees a ticket: the hub's tickets table, all of it, and the
    hall config's word on a ticket (its service's target and department, the hall's time zone,
    the keys' names). The central has its own (server/central/reports.py): the same SQL over
    the tickets of many halls."""

    by = BY
    table = T
    condition = None  # which of the table's tickets (None: all)

    def __init__(self, config: HallConfig):
        self.config = config

    def target_us(self):
        # The target of the service a ticket was issued for; a service gone from the config
        # keeps the default.
        groups: dict[int, set[str]] = {}
        for s in self.config.services:
            if s.target_wait_minutes != DEFAULT_TARGET_MINUTES:
                groups.setdefault(s.target_wait_minutes * 60 * _US_PER_S, set()).add(s.id)
        return _in_groups(self.table.c.origin_service, {_int(k): v for k, v in groups.items()},
                          _int(DEFAULT_TARGET_MINUTES * 60 * _US_PER_S))

    def department(self):
        groups: dict[str, set[str]] = {}
        for s in self.config.services:
            groups.setdefault(s.department, set()).add(s.id)
        return _in_groups(self.table.c.origin_service, {literal(k): v for k, v in groups.items()},
                          literal(""))

    def hour(self, from_day: str, to_day: str):
        return hour_of_issue(self.table, self.config.timezone, from_day, to_day)

    def key(self, by: str):
        """The key column of a grouping that is the table's own (service, window, staff, day)."""
        column = {"service": "origin_service"}.get(by, by)
        return self.table.c[column]

    def names(self, by: str) -> list[tuple[str, str, str | None]]:
        """(key, zh name, en name or None) in the hall's order, for the keys it knows."""
        config = self.config
        if by == "service":
            return [(s.id, s.name.zh, s.name.en) for s in config.services]
        if by == "department":
            return [(d.id, d.name.zh, d.name.en) for d in config.departments]
        if by == "window":
            return [(w.id, w.name.zh, w.name.en) for w in config.windows]
        if by == "staff":
            return [(m.id, m.name, None) for m in config.staff]
        return []


def scope_of(source) -> HallScope:
    return source if isinstance(source, HallScope) else HallScope(source)


def _key(by: str, s: HallScope, from_day: str, to_day: str):
    if by == "department":
        return s.department()
    if by == "hour":
        return s.hour(from_day, to_day)
    if by in s.by:
        return s.key(by)
    raise ValueError(f"unknown by {by!r}")


# Waits are counted below each of these (seconds) with the sums, so that the p90's sort takes
# only the waits between the two bounds around its rank, not every wait of the period.
BOUNDS_S = (60, 120, 300, 600, 900, 1200, 1800, 2400, 3000, 3600, 4500, 5400, 7200, 10800, 14400)
_NO_BOUND = 1 << 62


def _bucket(row: dict, rank: int) -> tuple[int, int, int]:
    """(lowest wait, bound above it, rank among the waits from that lowest) of the bucket that
    holds the wait at `rank`: the waits below each bound are counted in row["lt_i"]."""
    low, below = -_NO_BOUND, 0
    for i, bound in enumerate(BOUNDS_S):
        under = int(row[f"lt_{i}"] or 0)
        if under >= rank:
            return low, bound * _US_PER_S, rank - below
        low, below = bound * _US_PER_S, under
    return low, _NO_BOUND, rank - below


def _p90_rank(count: int) -> int:
    return (count * 9 + 9) // 10  # nearest rank: ceil(0.9·n), exactly


def _where(by: str, s: HallScope, from_day: str, to_day: str):
    T = s.table
    where = and_(T.c.day >= from_day, T.c.day <= to_day)
    if s.condition is not None:
        where = and_(where, s.condition)
    if by == "window":
        where = and_(where, T.c.window.isnot(None))
    elif by == "staff":
        where = and_(where, T.c.staff.isnot(None))
    return where


def _wait(T):
    return T.c.first_called_at - T.c.issued_at


def _per_ticket(by: str, s: HallScope, from_day: str, to_day: str):
    """One row per ticket of the range (those with a key): its key and what it counts for."""
    T = s.table
    key = _key(by, s, from_day, to_day).label("k")
    called = T.c.first_called_at.isnot(None)
    wait = case((called, _wait(T))).label("wait")
    spent = T.c.finished_at - func.coalesce(T.c.started_at, T.c.called_at)
    service = case((T.c.status != "done", None), (spent < 0, _int(0)), else_=spent).label("spent")
    within = case((and_(called, _wait(T) <= s.target_us()), 1), else_=0).label("within")
    return select(key, T.c.status, T.c.transfers, T.c.rating, wait, service, within) \
        .where(_where(by, s, from_day, to_day)).subquery()


def _waits(by: str, s: HallScope, from_day: str, to_day: str):
    """The called tickets' keys and waits alone: SQLite computes every column of a subquery
    that feeds a window or a sort, so the p90s read only what they sort."""
    T = s.table
    key = _key(by, s, from_day, to_day).label("k")
    return select(key, _wait(T).label("wait")).where(
        and_(_where(by, s, from_day, to_day), T.c.first_called_at.isnot(None))).subquery()


def _sums(t):
    def counted(condition):
        return func.sum(case((condition, 1), else_=0))

    return select(
        t.k, func.count().label("issued"), func.count(t.wait).label("called"),
        counted(t.status == "done").label("served"), counted(t.status == "no_show").label("no_show"),
        counted(t.status == "cancelled").label("cancelled"),
        counted(t.transfers > 0).label("transferred"),
        func.sum(t.wait).label("wait_sum"), func.max(t.wait).label("wait_max"),
        func.count(t.spent).label("spent_n"), func.sum(t.spent).label("spent_sum"),
        func.sum(t.within).label("within"),
        *(counted(t.rating == r).label(f"r_{r}") for r in RATINGS),
        *(counted(t.wait < _int(b * _US_PER_S)).label(f"lt_{i}") for i, b in enumerate(BOUNDS_S)),
    ).group_by(t.k)


def _p90s(conn, t, buckets: dict) -> dict:
    """{key: the wait at its rank}, from {key: _bucket(…)}: one window over the waits of each
    key's bucket alone, the ranks and bounds passed as literals from the sums already read."""
    if not buckets:
        return {}

    def per_key(i: int):
        return case({k: literal(b[i], BigInteger) for k, b in buckets.items()}, value=t.k)

    rank = func.row_number().over(partition_by=t.k, order_by=t.wait).label("rk")
    ranked = select(t.k, t.wait, rank).where(and_(t.wait >= per_key(0), t.wait < per_key(1))).subquery()
    wanted = case({k: literal(b[2], BigInteger) for k, b in buckets.items()}, value=ranked.c.k)
    return dict(conn.execute(select(ranked.c.k, ranked.c.wait).where(ranked.c.rk == wanted)).all())


def _round_s(us_sum: int, n: int) -> int:
    """us_sum / n microseconds as whole seconds, half up, exactly."""
    return (2 * int(us_sum) + n * _US_PER_S) // (2 * n * _US_PER_S)


def _pct(part: int, whole: int) -> float:
    return ((2000 * part + whole) // (2 * whole)) / 10  # one decimal, half up


def _figures(row, issued: bool, p90) -> dict:
    called = int(row["called"] or 0)
    spent_n = int(row["spent_n"] or 0)
    return {
        "issued": int(row["issued"]) if issued else None,
        "called": called,
        "served": int(row["served"] or 0),
        "no_show": int(row["no_show"] or 0),
        "cancelled": int(row["cancelled"] or 0),
        "transferred": int(row["transferred"] or 0),
        "wait_avg_s": _round_s(row["wait_sum"], called) if called else None,
        "wait_p90_s": _round_s(p90, 1) if called and p90 is not None else None,
        "wait_max_s": _round_s(row["wait_max"], 1) if called else None,
        "service_avg_s": _round_s(row["spent_sum"], spent_n) if spent_n else None,
        "sla_pct": _pct(int(row["within"] or 0), called) if called else None,
        "ratings": {r: int(row[f"r_{r}"] or 0) for r in RATINGS},
    }


def empty_figures(issued: bool) -> dict:
    return {"issued": 0 if issued else None, "called": 0, "served": 0, "no_show": 0,
            "cancelled": 0, "transferred": 0, "wait_avg_s": None, "wait_p90_s": None,
            "wait_max_s": None, "service_avg_s": None, "sla_pct": None,
            "ratings": dict.fromkeys(RATINGS, 0)}


_SUMMED = ("issued", "called", "served", "no_show", "cancelled", "transferred", "wait_sum",
           "spent_n", "spent_sum", "within", *(f"r_{r}" for r in RATINGS),
           *(f"lt_{i}" for i in range(len(BOUNDS_S))))


def aggregate(conn, config: HallConfig | HallScope, from_day: str, to_day: str,
              by: str) -> tuple[dict, dict]:
    """({key: ROW figures}, total figures) for the hall days from_day..to_day; keys as stored
    (service, department and window ids, staff ids, hour numbers 0-23, ISO days). Three
    statements, in the caller's one transaction: the sums per key, each key's p90, the total's.
    `config`: the hub's hall config, or a scope (which tickets, and how it sees them)."""
    s = scope_of(config)
    if by not in s.by:
        raise ValueError(f"unknown by {by!r}")
    # Not kept in SQLAlchemy's statement cache: each key set and range makes a new shape of
    # CASE, and the cached compilations grew the hub by ~4 MB over a round of reports.
    conn = conn.execution_options(compiled_cache=None)
    t = _per_ticket(by, s, from_day, to_day)
    rows = [dict(r._mapping) for r in conn.execute(_sums(t.c))]
    waits = _waits(by, s, from_day, to_day).c
    p90 = _p90s(conn, waits, {r["k"]: _bucket(r, _p90_rank(int(r["called"]))) for r in rows if r["called"]})
    issued = by not in ("window", "staff")
    figures = {r["k"]: _figures(r, issued, p90.get(r["k"])) for r in rows}
    total = {name: sum(int(r[name] or 0) for r in rows) for name in _SUMMED}
    total["wait_max"] = max((r["wait_max"] for r in rows if r["wait_max"] is not None), default=None)
    hall_p90 = None
    if total["called"]:
        # The one wait at the total's rank, within its bucket: a sort with LIMIT/OFFSET.
        low, high, rank = _bucket(total, _p90_rank(total["called"]))
        within_bucket = and_(waits.wait >= _int(low), waits.wait < _int(high))
        hall_p90 = conn.execute(select(waits.wait).where(within_bucket).order_by(waits.wait)
                                .limit(1).offset(rank - 1)).scalar()
    return figures, _figures(total, issued, hall_p90)
