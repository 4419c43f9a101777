"""The access log: one INFO line per request on the `hallcall.access` logger.

    GET /api/tickets/*** 200 0.8 ms kiosk-1 10.0.0.21

Method, path, status, the hub's time in ms, who (the device of the bearer token, `clerk:<id>` for
a signed-in clerk, `-` for nobody) and the client address (client_addr.py, as the sign-in
throttle sees it). Never a secret: the query string is left out, the citizen's ticket token in
`/t/<token>` and `/api/tickets/<token>` is masked, and headers, cookies and bodies (passwords)
are never looked at. An event stream logs when it opens and once more when it ends, with how long
it lasted.
"""
from __future__ import annotations

import logging
import re
import time

from flask import Flask, g, request

from .auth import current_device
from .client_addr import client_address
from .stream import HANDED_OVER, ON_STREAM_END

log = logging.getLogger("hallcall.access")

# Paths whose segment after the prefix is a ticket's token: whoever holds it owns the ticket.
_TOKEN_PATH = re.compile(r"^(/t/|/api/tickets/)[^/]+")
MASK = "***"
MAX_PATH = 200


def safe_path(path: str) -> str:
    path = _TOKEN_PATH.sub(lambda m: m.group(1) + MASK, path)
    if not path.isprintable():  # a %0A in the URL must not start a forged log line
        path = path.encode("unicode_escape").decode("ascii")
    return path if len(path) <= MAX_PATH else path[:MAX_PATH] + "…"


def who() -> str:
    device = g.get("device")
    if device is None and "Authorization" in request.headers:
        device = current_device()  # a public endpoint called with a token: still say who
    if device is not None:
        return device.id
    clerk = g.get("clerk")  # only when the request looked (console pages, the clerk's API calls)
    return f"clerk:{clerk.id}" if clerk is not None else "-"


def init_app(app: Flask) -> None:
    @app.after_request
    def _access_line(response):
        started = g.get("started")
        if started is None or not log.isEnabledFor(logging.INFO):
            return response
        ms = (time.perf_counter() - started) * 1000
        path, device, address = safe_path(request.path), who(), client_address()
        fields = {"method": request.method, "path": path, "status": response.status_code,
                  "ms": round(ms, 1), "who": device, "client": address}
        if response.mimetype == "text/event-stream" and response.status_code == 200:
            log.info("%s %s %d %.1f ms %s %s stream opened", request.method, path,
                     response.status_code, ms, device, address, extra=fields)
            # The stream outlives this request context: its end is told by whichever thread
            # serves it then (this one, or the fan-out writer once it has the socket).
            environ = request.environ
            environ[ON_STREAM_END] = lambda: _stream_ended(path, device, address, started)
            response.call_on_close(
                lambda: None if environ.get(HANDED_OVER) else environ[ON_STREAM_END]())
        else:
            log.info("%s %s %d %.1f ms %s %s", request.method, path, response.status_code, ms,
                     device, address, extra=fields)
        return response


def _stream_ended(path: str, device: str, address: str, started: float) -> None:
    seconds = time.perf_counter() - started
    log.info("GET %s stream ended after %.1f s %s %s", path, seconds, device, address,
             extra={"method": "GET", "path": path, "seconds": round(seconds, 1), "who": device,
                    "client": address})
