"""Live changes to the hall (/api/admin/...): each one a function over the hall dict, keyed as in
the TOML (server/config/dump.py), and `change`, which makes it a new version through
`Hub.change_hall`.

The functions are pure: they take the newest stored hall and return the hall they make, or raise
(404 for an unknown id, ConfigError for a body the config rules refuse, with key paths). What
needs the hall's state (a ticket at a window that would leave the hall) is checked inside the
change's transaction, where no other writer can get in between. A change that makes the same hall
again makes no version, no event and no audit entry.

Passwords are hashed and tokens made before the transaction (a PBKDF2 hash takes ~40 ms, and the
transaction holds back every ticket being issued meanwhile); only their results go in.
"""
from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .audit import Actor
from .config.dump import config_dict
from .config.loader import ID_RE, ConfigError, parse_config
from .config.model import token_sha256
from .engine.model import AT_WINDOW, DomainError
from .hub import Hub, not_found
from .passwords import make_hash, verify

# The hall's lists whose items have ids: what an administrator changes one item of.
ID_LISTS = ("departments", "services", "windows", "devices", "staff")
SOURCE = "the changed hall"
MIN_PASSWORD, MAX_PASSWORD = 4, 200
# What the audit log shows instead of a secret (or its hash).
HIDDEN, CHANGED = "(hidden)", "(changed)"
SECRET_KEYS = ("password", "password_hash", "token", "token_sha256")


class InvalidHall(ConfigError):
    """A change the config rules refuse; `data` is the hall it would have made, so the web edge
    can name list items by id (services.passport.prefix) where the loader gives an index."""

    def __init__(self, error: ConfigError, data: dict | None):
        super().__init__(error.source, error.problems)
        self.data = data


def refuse(*problems: str, data: dict | None = None) -> InvalidHall:
    """A refusal in the loader's form: "key.path: reason"."""
    return InvalidHall(ConfigError(SOURCE, list(problems)), data)


class Unchanged(Exception):
    """Raised inside the change's transaction, so that nothing of it is written."""

    def __init__(self, data: dict):
        super().__init__("the change makes the same hall")
        self.data = data


def invalid_state(message: str, message_zh: str) -> DomainError:
    return DomainError("invalid_state", message, message_zh, status=409)


# -- the hall dict -------------------------------------------------------------------------------

def find(data: dict, section: str, item_id: str) -> dict | None:
    return next((x for x in data.get(section, []) if x.get("id") == item_id), None)


def _position(data: dict, section: str, item_id: str) -> int | None:
    return next((i for i, x in enumerate(data.get(section, [])) if x.get("id") == item_id), None)


def _existing(data: dict, section: str, item_id: str, what: str, zh: str) -> dict:
    item = find(data, section, item_id)
    if item is None:
        raise not_found(f"Unknown {what} {item_id!r}", f"没有该{zh}")
    return item


def _put(data: dict, section: str, item: dict) -> None:
    """Replace the item with this id, or add it at the end."""
    items = data.setdefault(section, [])
    i = _position(data, section, item["id"])
    if i is None:
        items.append(item)
    else:
        items[i] = item


def _body_item(section: str, item_id: str, body: dict) -> dict:
    """A PUT body as the list item it becomes: the id comes from the address (a body may repeat
    it, as the answer it got shows it, but not name another)."""
    if "id" in body and body["id"] != item_id:
        raise refuse(f"{section}.{item_id}.id: the id is the one in the address; leave it out")
    return {"id": item_id, **{k: v for k, v in body.items() if k != "id"}}


def serving(data: dict, service_id: str) -> list[str]:
    """The windows not retired that serve the service, in the hall's order."""
    return [w["id"] for w in data.get("windows", [])
            if service_id in w.get("services", []) and not w.get("retired")]


# -- services and windows ------------------------------------------------------------------------

_MISSING = object()


def put_service(data: dict, service_id: str, body: dict) -> dict:
    """Add or replace a service. `windows`, when given, is the list of windows that serve it
    from now on: it is added at the end of the line of a window that did not serve it, and taken
    from a window not listed (retired windows keep theirs). A new service needs it, unless some
    window already lists it: a service no window serves would take tickets nobody calls."""
    body = dict(body)
    windows = body.pop("windows", _MISSING)
    item = _body_item("services", service_id, body)
    new = find(data, "services", service_id) is None
    _put(data, "services", item)
    if windows is not _MISSING:
        _serve_by(data, service_id, windows)
    elif new and not item.get("retired") and not serving(data, service_id):
        raise refuse(f"services.{service_id}.windows: list the windows that serve the new "
                     "service; a service no window serves would take tickets nobody calls")
    return data


def _serve_by(data: dict, service_id: str, windows) -> None:
    at = f"services.{service_id}.windows"
    if not isinstance(windows, list):
        raise refuse(f"{at}: must be a list of window ids")
    problems = []
    known = {w.get("id"): w for w in data.get("windows", [])}
    for i, wid in enumerate(windows):
        if not isinstance(wid, str) or wid not in known:
            problems.append(f"{at}[{i}]: {wid!r} is not a window id")
        elif known[wid].get("retired"):
            problems.append(f"{at}[{i}]: window {wid!r} is retired")
    if len(set(map(repr, windows))) != len(windows):
        problems.append(f"{at}: lists a window twice")
    if problems:
        raise refuse(*problems)
    for w in data.get("windows", []):
        services = w.setdefault("services", [])
        if w["id"] in windows and service_id not in services:
            services.append(service_id)
        elif w["id"] not in windows and service_id in services and not w.get("retired"):
            services.remove(service_id)


def retire_service(data: dict, service_id: str) -> dict:
    """Kiosks no longer issue it and the hall lists it nowhere; its waiting tickets stay in the
    lines of the windows that serve it, and its history in the reports."""
    _existing(data, "services", service_id, "service", "业务")["retired"] = True
    return data


def put_window(data: dict, window_id: str, body: dict) -> dict:
    _put(data, "windows", _body_item("windows", window_id, body))
    return data


def retire_window(data: dict, window_id: str) -> dict:
    """It calls nobody and is listed nowhere (refused while a ticket is at it: see `change`)."""
    _existing(data, "windows", window_id, "window", "窗口")["retired"] = True
    return data


# -- devices -------------------------------------------------------------------------------------

def new_token() -> tuple[str, str]:
    """(the token, its SHA-256): the hall keeps only the hash, the token is shown once."""
    token = secrets.token_urlsafe(24)
    return token, token_sha256(token)


DEVICE_FIELDS = ("id", "role", "name", "windows", "rate_limit_per_minute", "exit_pin")


def add_device(data: dict, body: dict, digest: str) -> dict:
    device_id = body.get("id")
    at = f"devices.{device_id}" if isinstance(device_id, str) else "devices"
    for key in ("token", "token_sha256"):
        if key in body:
            raise refuse(f"{at}.{key}: the hub makes the token and shows it once, in its answer; "
                         "leave it out")
    if isinstance(device_id, str) and find(data, "devices", device_id) is not None:
        raise refuse(f"{at}.id: there is a device {device_id!r} already: give its token anew "
                     f"(POST /api/admin/devices/{device_id}/token) or choose another id")
    # Known keys first, in the config's order; anything else goes on for the rules to name.
    item = {k: body[k] for k in DEVICE_FIELDS if k in body}
    item.update({k: v for k, v in body.items() if k not in item})
    item["token_sha256"] = digest
    data.setdefault("devices", []).append(item)
    return data


def rotate_token(data: dict, device_id: str, digest: str) -> dict:
    device = _existing(data, "devices", device_id, "device", "设备")
    device.pop("token", None)
    device["token_sha256"] = digest
    return data


def revoke_device(data: dict, device_id: str) -> dict:
    """The device leaves the hall, and with it the keys its Pi drove ([[gpio.buttons]] with its
    id): nobody drives them any more. (The audit entry keeps them, to wire a new Pi by.)"""
    _existing(data, "devices", device_id, "device", "设备")
    data["devices"] = [d for d in data["devices"] if d.get("id") != device_id]
    gpio = data.get("gpio")
    if isinstance(gpio, dict) and isinstance(gpio.get("buttons"), list):
        gpio["buttons"] = [b for b in gpio["buttons"] if b.get("device") != device_id]
    return data


# -- staff ---------------------------------------------------------------------------------------

def password_hash_for(current_hash: str | None, password, at: str) -> str:
    """The hash to keep for `password`: the member's own when it is already theirs (a PUT that
    sends the same password again changes nothing), else a new one. Outside the transaction."""
    if not isinstance(password, str):
        raise refuse(f"{at}.password: must be a string")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise refuse(f"{at}.password: must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if current_hash and verify(current_hash, password):
        return current_hash
    return make_hash(password)


def put_staff(data: dict, staff_id: str, body: dict, password_hash: str | None) -> dict:
    """Add or replace a member of staff; `password_hash` is the new password's (None: keep
    theirs). A changed password ends their sessions (the console's cookie holds a fingerprint of
    the hash), and so does `disabled`."""
    at = f"staff.{staff_id}"
    if "password_hash" in body:
        raise refuse(f"{at}.password_hash: send the password itself; the hub hashes it")
    if "password" in body:
        raise refuse(f"{at}.password: is hashed before the change (password_hash_for)")
    item = _body_item("staff", staff_id, body)
    current = find(data, "staff", staff_id)
    if password_hash is None:
        if current is None:
            raise refuse(f"{at}.password: is required for a new member of staff")
        password_hash = current.get("password_hash")
    item["password_hash"] = password_hash
    _put(data, "staff", item)
    return data


def delete_staff(data: dict, staff_id: str) -> dict:
    """They leave the hall config: their sessions end with their next request
    (clerk_session.current_clerk finds nobody)."""
    _existing(data, "staff", staff_id, "member of staff", "工作人员")
    data["staff"] = [s for s in data["staff"] if s.get("id") != staff_id]
    return data


# -- the rules a change must keep beyond the loader's ------------------------------------------

def _administrators(data: dict) -> int:
    return (sum(1 for s in data.get("staff", []) if s.get("role") == "admin" and not s.get("disabled"))
            + sum(1 for d in data.get("devices", []) if d.get("role") == "admin"))


def check_admins_left(before: dict, after: dict) -> None:
    """A change from the web must not lock every administrator out: the hall could then be
    changed only on the hub's machine (`hallcall config import`)."""
    if _administrators(before) and not _administrators(after):
        raise refuse("staff: no administrator would be left (no member of staff with role admin "
                     "who may sign in, no device with role admin); keep one", data=after)


def _live(data: dict, section: str) -> set[str]:
    return {x["id"] for x in data.get(section, []) if not x.get("retired")}


def check_state(hub: Hub, before: dict, after: dict) -> None:
    """What the hall's state forbids (run inside the change's transaction): a window that leaves
    the hall (retired, or gone from an uploaded file) while a ticket is at it, whose citizen
    would have nowhere to be finished; a service gone from the file while tickets wait for it,
    which no window could then call (retiring it keeps them callable)."""
    leaving = _live(before, "windows") - _live(after, "windows")
    gone = {s["id"] for s in before.get("services", [])} - {s["id"] for s in after.get("services", [])}
    if not leaving and not gone:
        return
    with hub.store.read(hub.config) as tx:
        states = tx.window_states()
        at_windows = tx.current_tickets()
        waiting = tx.counts_by_service(day)[0] if gone and (day := tx.state("day")) else {}
    for window_id in sorted(leaving):
        state = states.get(window_id)
        ticket = at_windows.get(state.current) if state is not None and state.current else None
        if ticket is not None and ticket.status in AT_WINDOW:
            raise invalid_state(
                f"Ticket {ticket.number} is {ticket.status} at window {window_id}: finish it "
                "(or mark it a no-show) before retiring the window",
                f"{ticket.number} 号正在 {window_id} 号窗口办理，请先办结或标记未到再撤销该窗口")
    for service_id in sorted(gone):
        if waiting.get(service_id):
            raise invalid_state(
                f"{waiting[service_id]} ticket(s) wait for service {service_id}: retire it "
                "(DELETE /api/admin/services/...) instead of leaving it out, so they can still "
                "be called",
                f"该业务仍有 {waiting[service_id]} 人在排队：请改为停用该业务，以便继续叫号")


# -- making it a version -------------------------------------------------------------------------

@dataclass(frozen=True)
class Changed:
    version: int  # the hall's version after the change (the same one when nothing changed)
    data: dict  # the hall, keyed as in the TOML
    before: dict  # the hall it was made from
    changed: bool


def keep_central_token(new: dict, old: dict) -> dict:
    """`new` with the [central] token of `old` where `new` carries it as GET /api/admin/config
    shows it (`"token": null, "token_set": true`): the whole hall read there and sent back
    (as /admin does) keeps the token it could not see."""
    central = new.get("central")
    if isinstance(central, dict):
        central.pop("token_set", None)  # what the view says, not a setting
    if isinstance(central, dict) and central.get("token", "") is None:
        del central["token"]
        kept = (old.get("central") or {}).get("token")
        if kept is not None:
            central["token"] = kept  # else the loader says central.token is required
    return new


def _normal(edit: Callable[[dict], dict], data: dict) -> dict:
    """The hall the edit makes of `data`, as the database keeps it (defaults written out), so that
    equal means the same hall; the config rules refuse it here with their key paths."""
    new = keep_central_token(edit(copy.deepcopy(data)), data)
    try:
        return config_dict(parse_config(new, source=SOURCE))
    except ConfigError as exc:
        raise InvalidHall(exc, new) from None


def change(hub: Hub, edit: Callable[[dict], dict], actor: Actor, action: str, target: str | None,
           audit: Callable[[dict, dict, int], tuple[Any, Any]],
           check: Callable[[Hub, dict, dict], None] | None = check_state) -> Changed:
    """Make the hall `edit` makes of the newest one, as a new version (Hub.change_hall: one
    transaction with its audit entry and `hall.changed`). `audit(before, after, version)` gives
    the entry's before/after (without secrets: see `masked`); `version` is the one changed.

    The edit is tried on the hub's current hall before the transaction: a refusal then holds
    no writer back, and in the usual case (no other process changed the hall meanwhile) the
    transaction only compares it with the newest one."""
    hub.reload_hall()  # another process's change, if the follower has not brought it yet
    config = hub.config
    base = config_dict(config)
    planned = _normal(edit, base)
    check_admins_left(base, planned)
    seen: dict = {}

    def make(data: dict):
        new = planned if data == base else _normal(edit, data)
        if new != planned:
            check_admins_left(data, new)
        if new == data:
            raise Unchanged(data)
        if check is not None:
            check(hub, data, new)
        seen["before"] = data
        before, after = audit(data, new, config.version if data == base else _newest_version(hub))
        return new, before, after

    try:
        result = hub.change_hall(make, actor, action, target)
    except Unchanged as same:
        version = config.version if same.data == base else _newest_version(hub)
        return Changed(version, same.data, same.data, changed=False)
    return Changed(result.version, config_dict(result), seen["before"], changed=True)


def _newest_version(hub: Hub) -> int:
    with hub.store.read(hub.config) as tx:
        return tx.hall_version()


# -- the audit log's before and after ----------------------------------------------------------

def masked(value, other=None):
    """`value` with every secret (a password, its hash, a device token or its hash) replaced by
    words: "(changed)" where it differs from `other` (the same item before), else "(hidden)"."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in SECRET_KEYS:
                was = other.get(k) if isinstance(other, dict) else None
                out[k] = CHANGED if other is not None and was != v else HIDDEN
            else:
                out[k] = masked(v, other.get(k) if isinstance(other, dict) else None)
        return out
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def scrubbed(value):
    """`value` with any secret left in it hidden, and the words `masked` wrote kept: what the
    audit log answers, whichever part of the hub wrote the entry."""
    if isinstance(value, dict):
        return {k: (v if v in (HIDDEN, CHANGED) else HIDDEN) if k in SECRET_KEYS else scrubbed(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrubbed(v) for v in value]
    return value


def item_audit(section: str, item_id: str) -> Callable[[dict, dict, int], tuple[Any, Any]]:
    """The item's before and after; for a service, with the windows that serve it."""
    def entry(before: dict, after: dict, version: int):
        old, new = find(before, section, item_id), find(after, section, item_id)
        if section == "services":
            old = old and {**old, "windows": serving(before, item_id)}
            new = new and {**new, "windows": serving(after, item_id)}
        if section == "devices" and old is not None and new is None:
            wired = [b for b in before.get("gpio", {}).get("buttons", [])
                     if b.get("device") == item_id]
            old = {**old, "gpio_buttons": wired} if wired else old
        return (masked(old) if old is not None else None,
                masked(new, old if old is not None else {}) if new is not None else None)
    return entry


def summary(before: dict, after: dict) -> dict:
    """What an uploaded hall changed, by section: ids added, removed and changed in the lists
    with ids, and the names of the other sections that differ (no values: no secrets)."""
    out: dict = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key in ID_LISTS:
            olds = {x.get("id"): x for x in old or []}
            news = {x.get("id"): x for x in new or []}
            out[key] = {k: v for k, v in (
                ("added", [i for i in news if i not in olds]),
                ("removed", [i for i in olds if i not in news]),
                ("changed", [i for i in news if i in olds and news[i] != olds[i]])) if v}
        else:
            out[key] = "changed"
    return out


def config_audit(before: dict, after: dict, version: int) -> tuple[Any, Any]:
    """A whole hall replaced: the version it replaced, and what changed (see `summary`)."""
    return {"version": version}, {"changes": summary(before, after)}


# -- key paths for the staff -------------------------------------------------------------------

_INDEXED = re.compile(r"^(?P<list>[A-Za-z_]+(?:\.[A-Za-z_]+)*)\[(?P<i>\d+)\](?P<rest>.*)$")
_UNSERVED = re.compile(r"^service '(?P<id>[^']+)' is served by no window")


def by_id(path: str, reason: str, data: dict | None) -> str:
    """The key path with a list item named by its id where it has a usable one of its own
    (`services[3].prefix` -> `services.passport.prefix`): what the staff see in a form. An item
    without an id, or with an id twice in its list, keeps its index."""
    if path == "services" and (m := _UNSERVED.match(reason)):
        return f"services.{m['id']}"
    m = _INDEXED.match(path)
    if m is None or not isinstance(data, dict):
        return path
    node: Any = data
    for key in m["list"].split("."):
        node = node.get(key) if isinstance(node, dict) else None
    index = int(m["i"])
    if not isinstance(node, list) or index >= len(node) or not isinstance(node[index], dict):
        return path
    item_id = node[index].get("id")
    if not isinstance(item_id, str) or not ID_RE.match(item_id) \
            or sum(1 for x in node if isinstance(x, dict) and x.get("id") == item_id) != 1:
        return path
    return f"{m['list']}.{item_id}{m['rest']}"


_KINDS_ZH = {"a string": "字符串", "an integer": "整数", "a number": "数字",
             "true or false": "true 或 false", "a list": "列表", "a table": "表"}
# The loader's reasons in Chinese, most specific first; a reason not here is named by its path.
_REASONS_ZH: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"^is required"), lambda m: "必须填写"),
    (re.compile(r"^is not a known setting"), lambda m: "不是可识别的设置项（是否拼写有误？）"),
    (re.compile(r"^must be (?P<kinds>.+?), not (?P<got>a string|an integer|a number|true or false"
                r"|a list|a table|\w+)$"),
     lambda m: "类型不对，应为" + "或".join(_KINDS_ZH.get(k, k) for k in m["kinds"].split(" or "))),
    (re.compile(r"must be one or two capital letters"), lambda m: "须为一到两个大写字母 A-Z"),
    (re.compile(r"with \{number\} and \{window\} in it"),
     lambda m: "须包含 {number}（号码）和 {window}（窗口）"),
    (re.compile(r"is already used by service '(?P<s>[^']+)'"), lambda m: f"已被业务 {m['s']} 使用"),
    (re.compile(r"is not a department id"), lambda m: "不是已有的部门"),
    (re.compile(r"is not a service id"), lambda m: "不是已有的业务"),
    (re.compile(r"is not a window id"), lambda m: "不是已有的窗口"),
    (re.compile(r"^window '[^']+' is retired"), lambda m: "该窗口已撤销"),
    (re.compile(r"is defined twice"), lambda m: "编号重复"),
    (re.compile(r"is not a usable id"), lambda m: "编号只能包含字母、数字、“-”、“_”和“.”"),
    (re.compile(r"^must not be empty"), lambda m: "不能为空"),
    (re.compile(r"is served by no window|list the windows that serve"),
     lambda m: "没有窗口办理该业务：取到的号将无人叫号，请选择办理的窗口"),
    (re.compile(r"is not a time like"), lambda m: "时间格式应为 08:30"),
    (re.compile(r"ends before it starts"), lambda m: "结束时间早于开始时间"),
    (re.compile(r"must be a span like"), lambda m: "时段格式应为 08:30-12:00"),
    (re.compile(r"^must be between (?P<a>[\d.]+) .*?and (?P<b>[\d.]+)"),
     lambda m: f"须在 {m['a']} 到 {m['b']} 之间"),
    (re.compile(r"^must be more than (?P<a>\d+) and at most (?P<b>\d+)"),
     lambda m: f"须大于 {m['a']} 且不超过 {m['b']}"),
    (re.compile(r"^must be at least (?P<n>\d+) characters"), lambda m: f"至少须有 {m['n']} 个字符"),
    (re.compile(r"^must be at least (?P<n>\d+)"), lambda m: f"至少为 {m['n']}"),
    (re.compile(r"^must be (?P<a>\d+) to (?P<b>\d+) digits"), lambda m: f"须为 {m['a']} 到 {m['b']} 位数字"),
    (re.compile(r"^must be a table"), lambda m: "须为表（如 { zh = \"…\", en = \"…\" }）"),
    (re.compile(r"^must be (?P<a>\d+) to (?P<b>\d+) characters"),
     lambda m: f"长度须为 {m['a']} 到 {m['b']} 个字符"),
    (re.compile(r"must be one of (?P<choices>.+)$"), lambda m: f"须为以下之一：{m['choices']}"),
    (re.compile(r"^lists a (service|window) twice"), lambda m: "重复列出了同一项"),
    (re.compile(r"must list at least one window"), lambda m: "至少须列出一个窗口"),
    (re.compile(r"is used by another device"), lambda m: "已被另一台设备使用"),
    (re.compile(r"^there is a device"), lambda m: "已有同一编号的设备：请重新生成其令牌或换一个编号"),
    (re.compile(r"the hub makes the token"), lambda m: "令牌由系统生成，仅在本次答复中显示一次"),
    (re.compile(r"^is required for a new member"), lambda m: "新增工作人员须设置密码"),
    (re.compile(r"send the password itself"), lambda m: "请提交密码本身，系统会加密保存"),
    (re.compile(r"^the id is the one in the address"), lambda m: "编号以地址中的为准，请勿另填"),
    (re.compile(r"^no administrator would be left"),
     lambda m: "此更改会使大厅没有任何管理员（可登录的管理员账号或管理员设备），请至少保留一个"),
    (re.compile(r"^not valid TOML: (?P<detail>.*)$"), lambda m: f"不是有效的 TOML：{m['detail']}"),
    (re.compile(r"is not UTF-8 text"), lambda m: "不是 UTF-8 编码的文本"),
    (re.compile(r"password hash|scrypt hash|iterations|digest"), lambda m: "不是可用的密码哈希"),
    (re.compile(r"must be an http\(s\):// address or a /path"),
     lambda m: "须为 http(s):// 网址或本系统上的 /路径"),
]


def reason_zh(path: str, reason: str) -> str:
    for pattern, words in _REASONS_ZH:
        m = pattern.search(reason)
        if m:
            return words(m)
    return f"配置项 {path} 有误" if path else "配置有误"


def config_errors(problems: list[str], data: dict | None = None) -> list[dict]:
    """The loader's "key.path: reason" lines as the API's errors, each with its path (by id where
    the item has one, see `by_id`) and its reason in English and Chinese."""
    out = []
    for line in problems:
        path, sep, reason = line.partition(": ")
        if not sep or " " in path:  # a problem of the whole file ("not valid TOML: ...")
            path, reason = "", line
        path = by_id(path, reason, data)
        out.append({"path": path, "message": reason, "message_zh": reason_zh(path, reason)})
    return out
