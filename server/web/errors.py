"""Every error under /api/ is a JSON body with a 4xx code, never an HTML page or a 500 traceback;
every other path gets the hall's own bilingual page (error.html) with the right status."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ..config.loader import ConfigError
from ..config.model import Text
from ..engine.model import DomainError
from ..hall_admin import config_errors

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


def error_response(status: int, code: str, message: str, message_zh: str, headers=None,
                   beside: dict | None = None, **more):
    """`more`: fields of the error object; `beside`: fields of the answer next to it."""
    response = jsonify({"error": {"code": code, "message": message, "message_zh": message_zh,
                                  **more}, **(beside or {})})
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


# What a page outside /api/ says, by status: (icon, title, text). Others get _OTHER_PAGE.
_PAGES = {
    404: ("?", Text("未找到该页面", "Page not found"),
          Text("您访问的地址不存在。请核对链接，或从大厅总览进入。",
               "There is no page at this address. Please check the link, or start from the hall "
               "overview.")),
    405: ("!", Text("无法这样打开该页面", "This page cannot be opened this way"),
          Text("该地址不支持此种请求。请从大厅总览重新进入。",
               "This address does not accept this kind of request. Please start again from the "
               "hall overview.")),
    500: ("!", Text("服务暂时出现问题", "Something went wrong"),
          Text("请稍后再试。如问题持续，请联系大厅工作人员。",
               "Please try again shortly. If it goes on, please ask a member of the hall's staff.")),
}
_OTHER_PAGE = ("!", Text("无法完成该请求", "The request could not be completed"),
               Text("请返回大厅总览后重试。", "Please go back to the hall overview and try again."))
# What a citizen's phone page says for a token no ticket has (pages.py); the box keeps the id of
# ticket.html's own not-found box.
TICKET_NOT_FOUND = ("?", Text("未找到该排队号", "We couldn't find this ticket"),
                    Text("链接可能有误或已过期。请核对您的取号小票，或到导办台咨询工作人员。",
                         "The link may be mistyped or out of date. Please check your printed "
                         "ticket, or ask at the help desk."))


def is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_page(status: int, page=None, headers=None, box_id: str = "error"):
    """The bilingual error page, with the hall's name; plain text if even that cannot render."""
    icon, title, text = page or _PAGES.get(status, _OTHER_PAGE)
    try:
        body = render_template("error.html", status=status, icon=icon, title=title, text=text,
                               hall_name=current_app.config["HUB"].config.name, box_id=box_id)
        mimetype = "text/html"
    except Exception:  # a broken template must not turn a 404 into a traceback
        log.exception("the error page could not be rendered")
        body, mimetype = f"{escape(title.zh)}\n{escape(title.en)}\n", "text/plain"
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _domain_page(status: int, message: str, message_zh: str, headers=None):
    # A DomainError or ApiError raised by a page: its own bilingual message, under the page's title.
    icon, title, _ = _PAGES.get(status, _OTHER_PAGE)
    return error_page(status, (icon, title, Text(message_zh, message)), headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(e: ApiError):
        if not is_api():
            return _domain_page(e.status, e.message, e.message_zh, e.headers)
        return error_response(e.status, e.code, e.message, e.message_zh, e.headers)

    @app.errorhandler(DomainError)
    def _domain_error(e: DomainError):
        if not is_api():
            return _domain_page(e.status, e.message, e.message_zh)
        return error_response(e.status, e.code, e.message, e.message_zh)

    @app.errorhandler(ConfigError)
    def _invalid_config(e: ConfigError):
        # A change the hall config's rules refuse: every problem with its key path, as
        # `hallcall check-config` names it (by id where the item has one), for a form to show
        # next to its field.
        errors = config_errors(e.problems, getattr(e, "data", None))
        message = (f"The hall config would have {len(errors)} problem(s); nothing changed: "
                   + "; ".join(f"{x['path'] or 'the file'}: {x['message']}" for x in errors))
        message_zh = f"配置有 {len(errors)} 处错误，未作任何更改"
        if not is_api():
            return _domain_page(422, message, message_zh)
        # Also beside `error`: API.md gives the list as the answer's `errors`, and a client
        # reading either place finds it.
        return error_response(422, "invalid_config", message, message_zh, beside={"errors": errors},
                              errors=errors)

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        if not is_api():
            # Keep what the error adds (Allow for a 405, Retry-After), not its HTML.
            headers = {k: v for k, v in e.get_headers() if k.lower() != "content-type"}
            return error_page(e.code or 500, headers=headers)
        code, zh = _HTTP_CODES.get(e.code, ("bad_request", "请求有误"))
        message = f"No API endpoint at {request.path}" if e.code == 404 else e.description or e.name
        return error_response(e.code or 400, code, message, zh)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        # Logged in full for the staff; the device gets a clean message, never a traceback.
        from .access_log import safe_path  # (access_log needs auth, which needs this module)

        log.exception("unexpected error on %s %s", request.method, safe_path(request.path))
        if not is_api():
            return error_page(500)
        return error_response(500, "internal_error", "The hub could not complete the request",
                              "服务器内部错误，请联系工作人员")
