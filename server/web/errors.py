"""Every error under /api/ is a JSON body with a 4xx code, never an HTML page or a 500 traceback."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..engine.model import DomainError

log = logging.getLogger(__name__)

# Werkzeug's HTTP errors mapped onto the API's codes; the Chinese is what a kiosk may show.
_HTTP_CODES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "缺少或无效的访问令牌"),
    403: ("forbidden", "无权执行该操作"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("bad_request", "请求内容必须是 JSON"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, message_zh: str, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.message_zh = status, code, message, message_zh
        self.headers = headers or {}


def bad_request(message: str, message_zh: str = "请求参数有误") -> ApiError:
    return ApiError(400, "bad_request", message, message_zh)


def error_response(status: int, code: str, message: str, message_zh: str, headers=None):
    response = jsonify({"error": {"code": code, "message": message, "message_zh": message_zh}})
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(e: ApiError):
        return error_response(e.status, e.code, e.message, e.message_zh, e.headers)

    @app.errorhandler(DomainError)
    def _domain_error(e: DomainError):
        return error_response(e.status, e.code, e.message, e.message_zh)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if not request.path.startswith("/api/"):
            return e
        code, zh = _HTTP_CODES.get(e.code, ("bad_request", "请求有误"))
        message = f"No API endpoint at {request.path}" if e.code == 404 else e.description or e.name
        return error_response(e.code or 400, code, message, zh)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        # Logged in full for the staff; the device gets a clean message, never a traceback.
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "The hub could not complete the request",
                              "服务器内部错误，请联系工作人员")
