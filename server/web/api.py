"""The JSON API, described by openapi.json beside this module (the guide: docs/api.md)."""
from __future__ import annotations

import json
import re
from datetime import date

from flask import Blueprint, current_app, jsonify, request

from .. import __version__
from ..config.model import Device, Text
from ..engine import rules
from ..hub import Hub
from .auth import ACT_ON_WINDOWS, ADMIN, ISSUE, READ_STATS, STAFF_PREFIX, actor_of, require
from .errors import ApiError, bad_request
from .serialize import (
    act_json,
    device_json,
    hall_json,
    stats_json,
    ticket_view_json,
    window_view_json,
)

bp = Blueprint("api", __name__, url_prefix="/api")

SUPERVISING = ("supervisor", "admin")  # staff who reopen windows and call out of order

_MISSING = object()


def hub() -> Hub:
    return current_app.config["HUB"]


def rate_limit(key: str, per_minute: int | None, message: str, message_zh: str) -> None:
    """A 429 with Retry-After when `key` has used up its `per_minute` (None: no limit)."""
    wait = current_app.config["RATE_LIMITER"].allow(key, per_minute)
    if wait is not None:
        raise ApiError(429, "rate_limited", message, message_zh,
                       {"Retry-After": str(max(1, round(wait)))})


def json_body(fields: dict[str, type | tuple], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, checked field by field; an empty body is an empty object."""
    raw = request.get_data(cache=True)  # enforces MAX_CONTENT_LENGTH (413)
    if not raw.strip():
        body = {}
    else:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"The body is not valid JSON: {exc}", "请求内容不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object", "请求内容必须是 JSON 对象")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(unknown)}", "请求包含未知字段")
    for name in required:
        if name not in body:
            raise bad_request(f"Field '{name}' is required", f"缺少字段 {name}")
    for name, kinds in fields.items():
        value = body.get(name, _MISSING)
        if value is _MISSING or value is None and name not in required:
            continue
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise bad_request(f"Field '{name}' must be {names}", f"字段 {name} 类型错误")
    return body


def choice(body: dict, name: str, allowed, default=None):
    value = body.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise bad_request(f"Field '{name}' must be one of {', '.join(allowed)}, not {value!r}",
                          f"字段 {name} 的取值无效")
    return value


@bp.get("/health")
def health():
    fanout = current_app.config.get("FANOUT")
    # `status` stays "ok" while the process serves (upgrade.sh and the clients wait for it, and
    # reads still work); `storage` says whether the last write could be saved.
    storage = "ok" if hub().store.write_health.available else "unavailable"
    return jsonify(status="ok", version=__version__, time=hub().now().isoformat(timespec="seconds"),
                   stream_clients=fanout.client_count if fanout else None, storage=storage)


@bp.get("/hall")
def hall():
    return jsonify(hall_json(hub().snapshot()))


@bp.post("/tickets")
def issue_ticket():
    device = require(ISSUE)
    body = json_body({"service": str, "priority": str, "lang": str}, required=("service",))
    lang = choice(body, "lang", hub().config.languages)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 200 and key.isprintable()):
        raise bad_request("Idempotency-Key must be 1 to 200 printable characters",
                          "Idempotency-Key 格式无效")
    rate_limit(device.id, device.rate_limit_per_minute,
               f"Too many tickets from {device.id}; try again shortly", "取号过于频繁，请稍后再试")
    view, created = hub().issue(body["service"], body.get("priority") or "normal", lang,
                                device.id, key)
    return jsonify(ticket_view_json(view)), 201 if created else 200


@bp.get("/tickets/<token>")
def ticket_status(token: str):
    return jsonify(ticket_view_json(hub().ticket_status(token)))


@bp.post("/tickets/<token>/cancel")
def cancel_ticket(token: str):
    # Public like the status page: the unguessable token is the citizen's proof of ownership.
    json_body({})
    return jsonify(ticket_view_json(hub().cancel_ticket(token)))


@bp.post("/tickets/<token>/rating")
def rate_ticket(token: str):
    # Public like the status page: the unguessable token is the citizen's proof of ownership.
    body = json_body({"rating": str, "comment": str}, required=("rating",))
    rating = choice(body, "rating", rules.RATINGS)
    return jsonify(ticket_view_json(hub().rate_ticket(token, rating, body.get("comment"))))


def _may(device: Device) -> set[str]:
    """Which of the supervisor's window actions (rules.PRIVILEGED_ACTIONS) `device` may do,
    once it may act at the window: with a token, any device of the window may call a chosen
    ticket (the keys and consoles are the staff's) and only the admin token reopens; a member
    of staff, if a supervisor or admin."""
    if not device.id.startswith(STAFF_PREFIX):
        return {"call", "open"} if device.role == "admin" else {"call"}
    member = hub().config.member(device.id.removeprefix(STAFF_PREFIX))
    return set(rules.PRIVILEGED_ACTIONS) if member and member.role in SUPERVISING else set()


@bp.get("/windows/<window_id>")
def window_view(window_id: str):
    """One window as its clerk console shows it: state, line and today's figures."""
    hub().window(window_id)  # an unknown window is told before who is asking
    device = require(ACT_ON_WINDOWS, window_id)
    may = _may(device)
    view = window_view_json(hub().window_view(window_id, may))
    # For the asker, so the console does not re-derive roles.
    view["may"] = {"call_chosen": "call" in may, "open": "open" in may}
    return jsonify(view)


TICKET_NUMBER = re.compile(r"[A-Z]{1,2}[0-9]{3}")


@bp.post("/windows/<window_id>/call")
def call_chosen(window_id: str):
    """Call a chosen waiting ticket now, out of the line's order."""
    hub().window(window_id)
    device = require(ACT_ON_WINDOWS, window_id)
    if "call" not in _may(device):
        raise ApiError(403, "forbidden", "Only a supervisor may call out of order",
                       "只有值班主任可以不按顺序叫号")
    body = json_body({"number": str}, required=("number",))
    number = body["number"].strip().upper()
    if not TICKET_NUMBER.fullmatch(number):
        raise bad_request(f"number must be a ticket number such as A023, not {body['number']!r}",
                          "号码格式应如 A023")
    return jsonify(act_json(hub().act(window_id, "call", actor=actor_of(device), number=number)))


@bp.post("/windows/<window_id>/open")
def open_window(window_id: str):
    """Reopen a window closed for the day: a supervisor's decision, not the window's own."""
    hub().window(window_id)
    device = require(ADMIN, window_id, staff=SUPERVISING)
    json_body({})
    return jsonify(act_json(hub().act(window_id, "open", actor=actor_of(device))))


@bp.post("/windows/<window_id>/<action>")
def window_action(window_id: str, action: str):
    # What does not exist is told before who is asking; the rules themselves are the hub's.
    rules.require_action(action)
    hub().window(window_id)
    device = require(ACT_ON_WINDOWS, window_id)
    fields = {"finish": {"rating": str}, "rate": {"rating": str}, "no-show": {"requeue": bool},
              "transfer": {"service": str}}.get(action, {})
    required = {"transfer": ("service",), "rate": ("rating",)}.get(action, ())
    body = json_body(fields, required=required)
    return jsonify(act_json(hub().act(window_id, action, actor=actor_of(device),
                                      rating=body.get("rating"),
                                      requeue=bool(body.get("requeue")),
                                      service=body.get("service"))))


@bp.get("/stats")
def stats():
    require(READ_STATS)
    raw = request.args.get("date")
    day = None
    if raw is not None:
        try:
            day = date.fromisoformat(raw)
            if len(raw) != 10:
                raise ValueError
        except ValueError:
            raise bad_request(f"date must be YYYY-MM-DD, not {raw!r}", "日期格式应为 YYYY-MM-DD") from None
    return jsonify(stats_json(hub().stats(day)))


@bp.get("/devices/self")
def device_self():
    """A device learns what the hall config says about it (its windows, a kiosk's exit PIN)."""
    device = require(("kiosk", "display", "buttons", "console", "admin"))
    view = {"id": device.id, "role": device.role,
            "windows": list(device.windows) if device.windows is not None else None,
            "exit_pin": device.exit_pin}
    if device.role == "buttons":  # the keys and LEDs its Pi drives
        view["gpio"] = hub().config.gpio.wiring(device.id)
    return jsonify(device=view)


PAPER_STATES = ("ok", "near_end", "out", "unknown")


@bp.post("/devices/status")
def device_status():
    device = require(("kiosk", "display", "buttons", "console", "admin"))
    body = json_body({"printer": dict, "message": str})
    status = {}
    if "printer" in body:
        printer = body["printer"]
        unknown = sorted(set(printer) - {"paper", "online", "detail"})
        if unknown:
            raise bad_request(f"Unknown printer field(s): {', '.join(unknown)}", "打印机状态包含未知字段")
        paper = choice(printer, "paper", PAPER_STATES, "unknown")
        online = printer.get("online")
        if online is not None and not isinstance(online, bool):
            raise bad_request("printer.online must be true, false or null", "打印机在线状态无效")
        detail = printer.get("detail") or ""
        if not isinstance(detail, str) or len(detail) > 200:
            raise bad_request("printer.detail must be a string of at most 200 characters",
                              "打印机状态说明无效")
        status["printer"] = {"paper": paper, "online": online, "detail": detail}
    if "message" in body:
        if len(body["message"]) > 200:
            raise bad_request("message must be at most 200 characters", "状态说明过长")
        status["message"] = body["message"]
    return jsonify(device=device_json(hub().report_status(device, status)))


@bp.put("/notices")
def put_notices():
    device = require(ADMIN, staff=("admin",))  # the admin token, or an admin at /admin
    body = json_body({"notices": list}, required=("notices",))
    notices = []
    for i, item in enumerate(body["notices"]):
        if not (isinstance(item, dict) and set(item) == {"zh", "en"}
                and all(isinstance(v, str) and v.strip() for v in item.values())):
            raise bad_request(f"notices[{i}] must be an object with non-empty 'zh' and 'en'",
                              "公告必须同时包含中文和英文")
        notices.append(Text(item["zh"], item["en"]))
    return jsonify(notices=[n.as_dict() for n in hub().set_notices(notices, actor_of(device))])
