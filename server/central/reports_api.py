"""GET /api/central/reports?hall=ID|all&from=&to=&by=&format=: the report of /api/reports over
the forwarded tickets (server/central/reports.py), as JSON, CSV or XLSX like the hub's."""
from __future__ import annotations

from flask import current_app, request

from ..reports.formats import FORMATS, MIMETYPES, render
from ..web.errors import ApiError, bad_request
from ..web.reports_api import request_range
from .reports import CENTRAL_BY, UnknownHall, central_report


def get_reports():
    from_day, to_day = request_range()
    hall = request.args.get("hall", "all")
    by, fmt = request.args.get("by", "service"), request.args.get("format", "json")
    if by not in CENTRAL_BY:
        raise bad_request(f"by must be one of {', '.join(CENTRAL_BY)}",
                          f"by 须为以下之一：{'、'.join(CENTRAL_BY)}")
    if fmt not in FORMATS:
        raise bad_request(f"format must be one of {', '.join(FORMATS)}",
                          f"format 须为以下之一：{'、'.join(FORMATS)}")
    try:
        with current_app.config["CENTRAL_STORE"].reading() as conn:
            body = central_report(conn, None if hall == "all" else hall, from_day, to_day, by)
    except UnknownHall:
        raise ApiError(404, "not_found", f"no hall {hall!r} has forwarded to this central",
                       "没有该大厅的数据") from None
    headers = {"Cache-Control": "no-store"}
    if fmt != "json":
        name = f"report-{body['hall']}-{by}-{from_day}-{to_day}.{fmt}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return current_app.response_class(render(body, fmt), content_type=MIMETYPES[fmt],
                                      headers=headers)
