"""The Flask application: `create_app` wires the hall config, the store and the hub."""
from __future__ import annotations

import logging
import os
import time

from flask import Flask, g

from .. import timing
from ..config import HallConfig, load_config
from ..hub import Hub
from ..store import DEFAULT_URL, Store
from . import access_log, clerk_session
from .body import HallRequest
from .errors import register_error_handlers
from .login_throttle import LoginThrottle
from .ratelimit import RateLimiter

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024  # the largest legitimate body is a list of notices


def create_app(settings: dict | None = None) -> Flask:
    """Build the hub's WSGI app.

    settings: HALL (a HallConfig) or HALL_CONFIG (a TOML path; the demo hall by default),
    DATABASE (an SQLAlchemy URL or file path), CLOCK (a callable returning an aware datetime),
    FOLLOW (watch the file for other processes' events; default True), SSE_HEARTBEAT_S,
    SESSION_COOKIE_SECURE (the console's cookie only over HTTPS), MONOTONIC_CLOCK (for the
    sign-in throttle).
    """
    settings = dict(settings or {})
    app = Flask(__name__)
    app.request_class = HallRequest  # chunked bodies held to the limit too (body.py)
    app.json.ensure_ascii = False  # Chinese stays readable on the wire
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config.update(settings)
    config: HallConfig = settings.get("HALL") or load_config(settings.get("HALL_CONFIG"))
    store = Store(config, settings.get("DATABASE") or os.environ.get("HALLCALL_DB") or DEFAULT_URL)
    hub = Hub(config, store, clock=settings.get("CLOCK"))
    hub.start(follow=settings.get("FOLLOW", True))
    app.config.update(HALL=config, HUB=hub, RATE_LIMITER=RateLimiter(),
                      LOGIN_THROTTLE=LoginThrottle(settings.get("MONOTONIC_CLOCK", time.monotonic)))
    app.extensions["hallcall"] = hub
    clerk_session.init_app(app, hub, settings)

    from . import api, apidoc, console, pages, stream
    app.register_blueprint(api.bp)
    app.register_blueprint(apidoc.bp)
    app.register_blueprint(stream.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(console.bp)
    register_error_handlers(app)

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()
        timing.start()

    @app.after_request
    def _server_timing(response):
        # The hub's own share of a request, so a benchmark can tell it from the network's.
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = timing.header(time.perf_counter() - started)
        return response

    access_log.init_app(app)

    return app
