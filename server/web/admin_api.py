"""The hall's administration API (/api/admin/...; API.md "Hall administration"): the admin token,
or a signed-in member of staff of role admin with the session's X-CSRF-Token.

Each change is one function of server/hall_admin.py made a new version of the hall; this module
reads the request, asks who is calling, and shapes the answer.
"""
from __future__ import annotations

import copy
import json
import tomllib

from flask import Blueprint, current_app, jsonify, request

from .. import hall_admin as admin
from ..audit import Actor, AuditEntry
from ..config.dump import config_toml, shown_dict
from ..config.model import HallConfig
from ..hub import Hub
from .api import json_body
from .auth import ADMIN, actor_of, require
from .body import HALL_FILE_BYTES, allow_body
from .errors import bad_request
from .serialize import iso

bp = Blueprint("admin_api", __name__, url_prefix="/api/admin")

AUDIT_LIMIT = 1000


def hub() -> Hub:
    return current_app.config["HUB"]


def administrator() -> Actor:
    return actor_of(require(ADMIN, staff=("admin",)))


@bp.after_request
def _no_store(response):
    # Answers hold the hall's password hashes, and a device's token once: no cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response


def json_object() -> dict:
    """The body as one JSON object; the hall's own rules judge what is in it (422, with paths)."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"The body is not valid JSON: {exc}", "请求内容不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object", "请求内容必须是 JSON 对象")
    return body


# -- answers -------------------------------------------------------------------------------------

def service_json(data: dict, service_id: str) -> dict:
    """The service as the config keys it, and the windows that serve it (a PUT takes both)."""
    return {**admin.find(data, "services", service_id), "windows": admin.serving(data, service_id)}


def device_json(item: dict) -> dict:
    return {"id": item["id"], "role": item["role"], "name": item.get("name"),
            "windows": item.get("windows")}


def staff_json(item: dict) -> dict:
    # Never the password hash.
    return {"id": item["id"], "name": item["name"], "role": item["role"],
            "windows": item.get("windows", []), "disabled": bool(item.get("disabled"))}


def audit_json(e: AuditEntry) -> dict:
    # Masked once more on the way out: an entry written by another part of the hub stays clean.
    return {"seq": e.seq, "at": iso(e.at), "actor": e.actor.as_dict(), "action": e.action,
            "target": e.target, "before": admin.scrubbed(e.before), "after": admin.scrubbed(e.after)}


def _status(result: admin.Changed, section: str, item_id: str) -> int:
    return 201 if result.changed and admin.find(result.before, section, item_id) is None else 200


# -- the whole hall ------------------------------------------------------------------------------

def newest_hall() -> HallConfig:
    # The follower adopts another process's change within 0.1 s; an administrator reading the
    # hall right after making one there must not get the one before.
    hub().reload_hall()
    return hub().config


@bp.get("/config")
def get_config():
    administrator()
    config = newest_hall()
    return jsonify(version=config.version, config=shown_dict(config))


@bp.get("/config.toml")
def get_config_toml():
    administrator()
    return current_app.response_class(config_toml(newest_hall()), mimetype="text/plain")


@bp.get("/central")
def get_central():
    """How forwarding to the city's central server stands ([central]; server/forwarding.py)."""
    require(ADMIN, staff=("admin", "supervisor"))
    from ..forwarding import status

    return jsonify(status(hub()))


@bp.put("/config")
def put_config():
    actor = administrator()
    allow_body(HALL_FILE_BYTES)  # only now: whoever is not an administrator gets 16 KB
    raw = request.get_data(cache=True)
    data = _hall_file(raw, as_json=request.mimetype == "application/json")
    result = admin.change(hub(), lambda _: copy.deepcopy(data), actor, "config.put", "config",
                          admin.config_audit)
    return jsonify(version=result.version, changed=result.changed,
                   changes=admin.summary(result.before, result.data))


def _hall_file(raw: bytes, as_json: bool) -> dict:
    """The uploaded hall: TOML text (as `hallcall check-config` reads a file), or the JSON of
    GET /api/admin/config's `config`. Unreadable is refused like a wrong hall, path ""."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise admin.refuse("the body is not UTF-8 text") from None
    if as_json:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise admin.refuse(f"not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise admin.refuse("not valid JSON: the hall must be one object")
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise admin.refuse(f"not valid TOML: {exc}") from None


# -- services, windows, devices, staff: one item of a section each ---------------------------------

ITEM_KINDS = {"services": "service", "windows": "window", "devices": "device", "staff": "staff"}


def change_item(actor, section: str, item_id, verb: str, edit) -> admin.Changed:
    """One item's change as a version: the audit names it `<kind>.<verb>` on `<kind>:<id>`,
    with that item's before and after."""
    kind = ITEM_KINDS[section]
    return admin.change(hub(), edit, actor, f"{kind}.{verb}", f"{kind}:{item_id}",
                        admin.item_audit(section, item_id))


@bp.put("/services/<service_id>")
def put_service(service_id: str):
    actor = administrator()
    body = json_object()
    result = change_item(actor, "services", service_id, "put",
                         lambda d: admin.put_service(d, service_id, body))
    return (jsonify(service=service_json(result.data, service_id), version=result.version),
            _status(result, "services", service_id))


@bp.delete("/services/<service_id>")
def retire_service(service_id: str):
    actor = administrator()
    result = change_item(actor, "services", service_id, "retire",
                         lambda d: admin.retire_service(d, service_id))
    return jsonify(service=service_json(result.data, service_id), version=result.version)


@bp.put("/windows/<window_id>")
def put_window(window_id: str):
    actor = administrator()
    body = json_object()
    result = change_item(actor, "windows", window_id, "put",
                         lambda d: admin.put_window(d, window_id, body))
    return (jsonify(window=admin.find(result.data, "windows", window_id), version=result.version),
            _status(result, "windows", window_id))


@bp.delete("/windows/<window_id>")
def retire_window(window_id: str):
    actor = administrator()
    result = change_item(actor, "windows", window_id, "retire",
                         lambda d: admin.retire_window(d, window_id))
    return jsonify(window=admin.find(result.data, "windows", window_id), version=result.version)


# -- devices -------------------------------------------------------------------------------------

@bp.post("/devices")
def add_device():
    actor = administrator()
    body = json_object()
    token, digest = admin.new_token()
    device_id = body.get("id")
    result = change_item(actor, "devices", device_id, "add",
                         lambda d: admin.add_device(d, body, digest))
    # The only time the token is shown: the hall keeps its SHA-256.
    return jsonify(device=device_json(admin.find(result.data, "devices", device_id)), token=token,
                   version=result.version), 201


@bp.post("/devices/<device_id>/token")
def rotate_token(device_id: str):
    actor = administrator()
    json_body({})
    token, digest = admin.new_token()
    result = change_item(actor, "devices", device_id, "token",
                         lambda d: admin.rotate_token(d, device_id, digest))
    return jsonify(device=device_json(admin.find(result.data, "devices", device_id)), token=token,
                   version=result.version)


@bp.delete("/devices/<device_id>")
def revoke_device(device_id: str):
    actor = administrator()
    result = change_item(actor, "devices", device_id, "revoke",
                         lambda d: admin.revoke_device(d, device_id))
    return jsonify(device=device_json(admin.find(result.before, "devices", device_id)),
                   version=result.version)


# -- staff ---------------------------------------------------------------------------------------

@bp.put("/staff/<staff_id>")
def put_staff(staff_id: str):
    actor = administrator()
    body = json_object()
    password = body.pop("password", None)
    password_hash = None
    if password is not None:
        # Hashed here, not in the change's transaction: PBKDF2 takes ~40 ms, and the
        # transaction holds back every ticket being issued meanwhile.
        member = hub().config.member(staff_id)
        password_hash = admin.password_hash_for(member.password_hash if member else None,
                                                password, f"staff.{staff_id}")
    result = change_item(actor, "staff", staff_id, "put",
                         lambda d: admin.put_staff(d, staff_id, body, password_hash))
    return (jsonify(staff=staff_json(admin.find(result.data, "staff", staff_id)),
                    version=result.version),
            _status(result, "staff", staff_id))


@bp.delete("/staff/<staff_id>")
def delete_staff(staff_id: str):
    actor = administrator()
    result = change_item(actor, "staff", staff_id, "delete",
                         lambda d: admin.delete_staff(d, staff_id))
    return jsonify(staff=staff_json(admin.find(result.before, "staff", staff_id)),
                   version=result.version)


# -- the audit log -------------------------------------------------------------------------------

def _count(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be a whole number from {low} to {high}, not {raw!r}",
                          f"参数 {name} 应为 {low} 到 {high} 之间的整数")
    return int(raw)


@bp.get("/audit")
def audit():
    administrator()
    after = _count("after", 0, 0, 2**62)
    limit = _count("limit", 100, 1, AUDIT_LIMIT)
    # `before`: the page staff read, newest first (seq below it); without it, oldest first
    # from `after`, as API.md gives it.
    before = _count("before", None, 1, 2**62)
    if before is not None and "after" in request.args:
        raise bad_request("Give either after or before, not both", "after 与 before 只能给出一个")
    return jsonify(entries=[audit_json(e) for e in hub().audit_log(after, limit, before)])
