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

from urllib.parse import quote

from flask import Blueprint, current_app, render_template, request

from . import charts
from .admin import supervisors_only
from .auth import READ_STATS, require
from .clerk_session import csrf_token
from .console import CSP
from .errors import ApiError, bad_request
from .reports_api import REPORT_STAFF, app_report, request_range

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


def chart_svg(hub, name: str, from_day: str, to_day: str, lang: str | None = None) -> str:
    """The chart `name` (one of CHARTS) of the hall days from_day..to_day, as SVG text."""
    if name == "arrivals":
        return charts.arrivals(app_report(from_day, to_day, "hour")["rows"], lang)
    if name == "waits":
        by = "hour" if from_day == to_day else "day"  # one day's waits over its hours
        return charts.waits(app_report(from_day, to_day, by)["rows"], by, lang)
    if name == "sla":
        targets = {s.id: s.target_wait_minutes for s in hub.config.services}
        return charts.sla(app_report(from_day, to_day, "service")["rows"], targets, lang)
    return charts.ratings(app_report(from_day, to_day, "hour")["total"], lang)


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
