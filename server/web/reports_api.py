"""Reports (API.md "Reports"): GET /api/reports (the figures, server/reports/) and
/api/reports/unsatisfied (the ratings to follow up), and the raw ticket export,
GET /api/tickets/export.

`export_csv` is also what `hallcall export` writes: one row per ticket of the hall days
from..to, by issue time, read from the store in chunks so a month of a busy hall is never held
in memory at once.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from flask import Blueprint, current_app, jsonify, request

from ..hub import Hub
from ..reports import BY, unsatisfied
from ..reports.cache import ReportCache, cached_report
from ..reports.formats import FORMATS, MIMETYPES, filename, render
from .auth import ADMIN, READ_STATS, require
from .errors import bad_request
from .serialize import iso

bp = Blueprint("reports_api", __name__, url_prefix="/api")


@bp.record_once
def _cache(state):
    state.app.extensions["reports.cache"] = ReportCache()


def app_report(from_day: str, to_day: str, by: str) -> dict:
    """The report of this app's hub, shared by the API and the report page's charts."""
    return cached_report(current_app.extensions["reports.cache"], current_app.config["HUB"],
                         from_day, to_day, by)

EXPORT_COLUMNS = ["id", "day", "number", "service", "origin_service", "priority", "status",
                  "issued_at", "first_called_at", "called_at", "started_at", "finished_at",
                  "window", "staff", "rating", "transfers", "calls", "cancel_reason"]
MAX_DAYS = 366  # the longest range, days counted inclusive
# Reports are for the hall's managers and its board; a clerk sees only their own windows.
REPORT_STAFF = ("admin", "supervisor")
CHUNK = 500  # tickets read per store transaction


def parse_range(from_text: str | None, to_text: str | None) -> tuple[str, str]:
    """(from, to) as ISO days, or a ValueError in words for the caller to show."""
    try:
        start, end = date.fromisoformat(from_text or ""), date.fromisoformat(to_text or "")
    except ValueError:
        raise ValueError("from and to must be dates, YYYY-MM-DD") from None
    if len(from_text) != 10 or len(to_text) != 10:
        raise ValueError("from and to must be dates, YYYY-MM-DD")
    if start > end:
        raise ValueError("from must not be after to")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"a range may span at most {MAX_DAYS} days")
    return start.isoformat(), end.isoformat()


def _row(t) -> list:
    values = {"id": t.id, "day": t.day, "number": t.number, "service": t.service,
              "origin_service": t.origin_service, "priority": t.priority, "status": t.status,
              "issued_at": iso(t.issued_at), "first_called_at": iso(t.first_called_at),
              "called_at": iso(t.called_at), "started_at": iso(t.started_at),
              "finished_at": iso(t.finished_at), "window": t.window, "staff": t.staff,
              "rating": t.rating, "transfers": t.transfers, "calls": t.calls,
              "cancel_reason": t.cancel_reason}
    return ["" if values[c] is None else values[c] for c in EXPORT_COLUMNS]


def export_csv(hub: Hub, from_day: str, to_day: str, chunk: int = CHUNK) -> Iterator[str]:
    """The export as pieces of text: the BOM and header, then one piece per chunk of tickets,
    each chunk read in its own short transaction (keyset paging by issue time and id)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(EXPORT_COLUMNS)
    yield "\ufeff" + text.getvalue()
    after = None
    while True:
        with hub.store.read(hub.config) as tx:
            tickets = tx.tickets_between(from_day, to_day, after, chunk)
        if not tickets:
            return
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerows(_row(t) for t in tickets)
        yield text.getvalue()
        if len(tickets) < chunk:
            return
        after = tickets[-1]


def request_range() -> tuple[str, str]:
    """The request's ?from=&to= as ISO days, or a 400 in both languages."""
    try:
        return parse_range(request.args.get("from"), request.args.get("to"))
    except ValueError as exc:
        raise bad_request(str(exc), "日期范围有误：from、to 须为 YYYY-MM-DD，from 不晚于 to，"
                                    f"最长 {MAX_DAYS} 天") from None


def request_by_and_format(allowed: tuple[str, ...]) -> tuple[str, str]:
    """The request's ?by= (one of `allowed`, default service) and ?format= (default json), or a
    400 in both languages; the hub's reports and the central's take them alike."""
    by, fmt = request.args.get("by", "service"), request.args.get("format", "json")
    if by not in allowed:
        raise bad_request(f"by must be one of {', '.join(allowed)}",
                          f"by 须为以下之一：{'、'.join(allowed)}")
    if fmt not in FORMATS:
        raise bad_request(f"format must be one of {', '.join(FORMATS)}",
                          f"format 须为以下之一：{'、'.join(FORMATS)}")
    return by, fmt


def report_response(body: dict, fmt: str, name: str):
    """A report as the asked format; a file (`name`) for all but JSON."""
    headers = {"Cache-Control": "no-store"}
    if fmt != "json":
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return current_app.response_class(render(body, fmt), content_type=MIMETYPES[fmt],
                                      headers=headers)


@bp.get("/reports")
def reports():
    require(READ_STATS, staff=REPORT_STAFF)
    from_day, to_day = request_range()
    by, fmt = request_by_and_format(BY)
    body = app_report(from_day, to_day, by)
    return report_response(body, fmt, filename(body, fmt))


@bp.get("/reports/unsatisfied")
def reports_unsatisfied():
    require(READ_STATS, staff=REPORT_STAFF)
    from_day, to_day = request_range()
    tickets = unsatisfied(current_app.config["HUB"], from_day, to_day)
    response = jsonify({"from": from_day, "to": to_day, "tickets": tickets})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tickets/export")
def tickets_export():
    require(ADMIN, staff=("admin",))
    from_day, to_day = request_range()
    hub = current_app.config["HUB"]
    body = (piece.encode("utf-8") for piece in export_csv(hub, from_day, to_day))
    return current_app.response_class(
        body, mimetype="text/csv", content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tickets-{from_day}-{to_day}.csv"',
                 "Cache-Control": "no-store"})
