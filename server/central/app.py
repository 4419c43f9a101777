"""The central's web edge: the halls' POST of their events, their live state, the reports over
them, the city overview page and the central's own API description.

Everything under /api/ answers errors as the hub does ({"error": {"code", "message",
"message_zh"}}, server/web/errors.py). Reading (halls, reports, the page) needs no token: the
central sits on the city's network and holds no personal data (the forwarded tickets carry no
phone numbers nor tokens); writing needs the hall's own central token.
"""
from __future__ import annotations

import logging
import time
from importlib import resources

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..web.body import HallRequest
from ..web.errors import _HTTP_CODES, ApiError, error_response
from .ingest import Refused, bearer, ingest, parse
from .state import halls_state
from .store import CentralStore

log = logging.getLogger(__name__)
MAX_BODY = 8 * 1024 * 1024  # a batch of 5,000 events is ~3 MB


def _now_us() -> int:
    return time.time_ns() // 1000


def create_app(store: CentralStore, clock=_now_us) -> Flask:
    """clock: now as integer microseconds since the epoch (a test's may stand still)."""
    app = Flask(__name__)
    app.request_class = HallRequest
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, CENTRAL_STORE=store, CENTRAL_CLOCK=clock)
    app.json.ensure_ascii = False
    from . import reports_api

    app.add_url_rule("/api/central/events", view_func=post_events, methods=["POST"])
    app.add_url_rule("/api/central/halls", view_func=get_halls)
    app.add_url_rule("/api/central/health", view_func=health)
    app.add_url_rule("/api/health", endpoint="health_as_the_hub", view_func=health)  # one probe for both
    app.add_url_rule("/api/openapi.json", view_func=openapi)
    app.add_url_rule("/api/central/reports", view_func=reports_api.get_reports)
    app.add_url_rule("/", view_func=overview)
    _errors(app)
    return app


def _errors(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(e: Refused):
        zh = {400: "请求格式有误", 401: "缺少或无效的访问令牌", 403: "该大厅编号已绑定其他令牌",
              409: "事件序号不连续，请从 last_seq+1 重发"}.get(e.status, "请求有误")
        return error_response(e.status, e.code, e.message, zh, beside=e.beside)

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError):
        return error_response(e.status, e.code, e.message, e.message_zh, e.headers)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        code, zh = _HTTP_CODES.get(e.code, ("bad_request", "请求有误"))
        message = f"No API endpoint at {request.path}" if e.code == 404 else e.description or e.name
        return error_response(e.code or 400, code, message, zh)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "The central could not complete the request",
                              "服务器内部错误")


def _store() -> CentralStore:
    return current_app.config["CENTRAL_STORE"]


def _now() -> int:
    return current_app.config["CENTRAL_CLOCK"]()


def post_events():
    token = bearer(request.headers.get("Authorization"))
    body = request.get_json(silent=True) if request.is_json else None
    if body is None:
        raise Refused(400, "bad_request", "the body must be JSON (Content-Type: application/json)")
    post = parse(body)
    last_seq = ingest(_store(), token, post, _now())
    return jsonify({"hall": post.hall, "last_seq": last_seq})


def get_halls():
    with _store().reading() as conn:
        body = {"halls": halls_state(conn, _now())}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def health():
    with _store().reading() as conn:
        conn.exec_driver_sql("SELECT 1")
    return jsonify({"status": "ok"})


def openapi():
    text = resources.files("hallcall.server.central").joinpath("openapi.json").read_text("utf-8")
    return current_app.response_class(text, mimetype="application/json")


def overview():
    """The city overview page: bilingual as the hub's pages are; live from /api/central/halls."""
    return render_template("central.html")
