"""The Flask application over a hub built elsewhere (server/bootstrap.py)."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from .. import timing
from ..hub import Hub
from . import access_log, clerk_session
from .auth import current_device
from .body import HallRequest
from .errors import register_error_handlers
from .login_throttle import LoginThrottle
from .ratelimit import RateLimiter

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024  # the largest legitimate body is a list of notices


def create_app(hub: Hub, settings: dict | None = None) -> Flask:
    """The hub's WSGI app: routes reach the hub as app.config["HUB"]. No I/O: the hub is built,
    started (or not) and stopped by whoever built it.

    settings (Flask config): FANOUT (the event stream's fan-out, server/fanout.py; without it
    each stream reads the bus itself), SSE_HEARTBEAT_S, SESSION_COOKIE_SECURE (the console's
    cookie only over HTTPS), MONOTONIC_CLOCK (for the sign-in throttle).
    """
    settings = dict(settings or {})
    app = Flask(__name__)
    app.request_class = HallRequest  # chunked bodies held to the limit too (body.py)
    app.json.ensure_ascii = False  # Chinese stays readable on the wire
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config.update(settings)
    # The hall config is the hub's (hub.config), never copied here: the hub may replace it.
    app.config.update(HUB=hub, RATE_LIMITER=RateLimiter(),
                      LOGIN_THROTTLE=LoginThrottle(settings.get("MONOTONIC_CLOCK", time.monotonic)))
    clerk_session.init_app(app, settings)

    from . import admin_api, api, apidoc, appointments_api, console, pages, reports_api, stream
    app.register_blueprint(api.bp)
    app.register_blueprint(appointments_api.bp)
    app.register_blueprint(admin_api.bp)
    app.register_blueprint(reports_api.bp)
    app.register_blueprint(apidoc.bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(console.bp)
    from . import admin
    app.register_blueprint(admin.bp)
    from . import reports_page
    app.register_blueprint(reports_page.bp)
    from . import guide
    app.register_blueprint(guide.bp)
    from . import booking
    app.register_blueprint(booking.bp)
    register_error_handlers(app)

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()
        timing.start()

    @app.before_request
    def _seen():
        # Any request carrying a device's token is a sighting (devices seen), also on the
        # public routes (a board's GET /api/hall), which never ask who is calling.
        if "Authorization" in request.headers:
            current_device()

    @app.after_request
    def _server_timing(response):
        # The hub's own share of a request, so a benchmark can tell it from the network's.
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = timing.header(time.perf_counter() - started)
        return response

    access_log.init_app(app)

    return app
