"""GET /api/central/reports?hall=ID|all&from=&to=&by=&format=: the report of /api/reports over
the forwarded tickets (server/central/reports.py), as JSON, CSV or XLSX like the hub's."""
from __future__ import annotations

from flask import current_app, request

from ..web.errors import ApiError
from ..web.reports_api import report_response, request_by_and_format, request_range
from .reports import CENTRAL_BY, UnknownHall, central_report


def get_reports():
    from_day, to_day = request_range()
    hall = request.args.get("hall", "all")
    by, fmt = request_by_and_format(CENTRAL_BY)
    try:
        with current_app.config["CENTRAL_STORE"].reading() as conn:
            body = central_report(conn, None if hall == "all" else hall, from_day, to_day, by)
    except UnknownHall:
        raise ApiError(404, "not_found", f"no hall {hall!r} has forwarded to this central",
                       "没有该大厅的数据") from None
    return report_response(body, fmt, f"report-{body['hall']}-{by}-{from_day}-{to_day}.{fmt}")
