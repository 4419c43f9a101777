"""/admin/reports, the page a hall director opens every morning, and the charts it shows,
GET /api/reports/charts/<name>.svg, drawn by the hub (charts.py) from the reports of
server/reports/.

The page holds no figures: reports.js reads /api/hall (the hall day, which "today" is: the
hub's, not the browser's clock), /api/reports, /api/reports/unsatisfied and the charts, with the
session's cookie (GETs only: nothing here changes the hall). Same sign-in as /admin: a
signed-out visitor is sent to the console's sign-in and back; a clerk is told the page is not
theirs.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from urllib.parse import quote

from flask import Blueprint, current_app, render_template, request

from . import charts
from .admin import supervisors_only
from .auth import READ_STATS, require
from .clerk_session import csrf_token
from .console import CSP
from .errors import ApiError, bad_request
from .reports_api import REPORT_STAFF, request_range

bp = Blueprint("reports_page", __name__)

HOME = "/admin/reports"
CHARTS = ("arrivals", "waits", "sla", "ratings")
LANGS = ("zh", "en")
# An SVG opened on its own is a document of the hub's origin: it may run nothing and load
# nothing, whatever a service's name holds (charts.py escapes it; this is the second fence).
SVG_CSP = "default-src 'none'; frame-ancestors 'none'"


@bp.after_request
def _headers(response):
    response.headers["Cache-Control"] = "no-store"  # today's figures move; the page has a token
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


@bp.get(HOME)
def page():
    # Back to the same period after signing in (a bookmarked range, a shared link).
    member, refused = supervisors_only(quote(request.full_path.rstrip("?"), safe="/"),
                                       ("报表仅供值班主任和管理员查看",
                                        "Reports are for supervisors and administrators"))
    if refused:
        return refused
    return render_template("reports.html", hall=current_app.config["HUB"].config, clerk=member,
                           csrf=csrf_token())


class ReportCache:
    """The last few reports the charts were drawn from. The page asks for its four charts at
    once and a month's report costs the most of a second of SQL: arrivals and the ratings share
    the report by hour (and the waits too, for one day), so a period costs two or three reports,
    not four. A report is kept under the hall's version and the store's last event: any change
    to a ticket is an event, so a newer one (from any hub process) is a new key, never a stale
    figure. Reports are made one at a time: each month's takes several MB of SQLite's sorting
    memory, and four at once would take the hub far past its RSS budget; a request for a
    report being made waits for it instead of making it again."""

    def __init__(self, size: int = 8):
        self.size = size
        self._lock = threading.Lock()  # the kept reports and the ones being made
        self._one_at_a_time = threading.Lock()
        self._done: OrderedDict[tuple, dict] = OrderedDict()
        self._making: dict[tuple, threading.Event] = {}

    def get(self, key: tuple, make) -> dict:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            made = self._making.get(key)
            if made is None:
                made = self._making[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            made.wait()
            return self.get(key, make)  # kept now (or its maker failed: made here, then)
        try:
            with self._one_at_a_time:
                value = make()
            with self._lock:
                self._done[key] = value
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._making[key]
            made.set()


@bp.record_once
def _cache(state):
    state.app.extensions["reports_page.cache"] = ReportCache()


def cached_report(hub, from_day: str, to_day: str, by: str) -> dict:
    from ..reports import report  # the SQL only where a report is drawn (the hub's RSS)

    config = hub.config
    with hub.store.read(config) as tx:
        seq = tx.last_seq()
    cache = current_app.extensions["reports_page.cache"]
    return cache.get((from_day, to_day, by, config.version, seq),
                     lambda: report(hub, from_day, to_day, by))


def chart_svg(hub, name: str, from_day: str, to_day: str, lang: str | None = None) -> str:
    """The chart `name` (one of CHARTS) of the hall days from_day..to_day, as SVG text."""
    if name == "arrivals":
        return charts.arrivals(cached_report(hub, from_day, to_day, "hour")["rows"], lang)
    if name == "waits":
        by = "hour" if from_day == to_day else "day"  # one day's waits over its hours
        return charts.waits(cached_report(hub, from_day, to_day, by)["rows"], by, lang)
    if name == "sla":
        targets = {s.id: s.target_wait_minutes for s in hub.config.services}
        return charts.sla(cached_report(hub, from_day, to_day, "service")["rows"], targets, lang)
    return charts.ratings(cached_report(hub, from_day, to_day, "hour")["total"], lang)


@bp.get("/api/reports/charts/<name>.svg")
def chart(name: str):
    require(READ_STATS, staff=REPORT_STAFF)
    if name not in CHARTS:
        raise ApiError(404, "not_found", f"There is no chart {name!r}; the charts are "
                       f"{', '.join(CHARTS)}", f"没有该图表；可用的图表：{'、'.join(CHARTS)}")
    from_day, to_day = request_range()
    lang = request.args.get("lang") or None
    if lang is not None and lang not in LANGS:
        raise bad_request("lang must be zh or en (or absent for both)",
                          "lang 须为 zh 或 en（不填则中英文并列）")
    svg = chart_svg(current_app.config["HUB"], name, from_day, to_day, lang)
    return current_app.response_class(
        svg, content_type="image/svg+xml; charset=utf-8",
        headers={"Content-Security-Policy": SVG_CSP, "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": f'inline; filename="{name}-{from_day}-{to_day}.svg"'})
