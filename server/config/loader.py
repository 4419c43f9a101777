"""Reading and validating a hall's TOML file.

Every mistake is collected with the key path where it sits (``services[3].prefix``), so a hall's
staff can fix the whole file in one go instead of one error per start.
"""
from __future__ import annotations

import ipaddress
import re
import tomllib
from datetime import time
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..passwords import hash_problem
from .model import (
    BUTTON_ACTIONS,
    CALL_ORDERS,
    ROLES,
    STAFF_ROLES,
    WEEKDAYS,
    WINDOW_STATUSES,
    Announcer,
    Appointments,
    Central,
    Department,
    Device,
    Gpio,
    GpioButton,
    Guide,
    HallConfig,
    Hours,
    QueueRules,
    Sample,
    Service,
    Span,
    Staff,
    Text,
    Window,
    token_sha256,
)

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
# Tokens shipped in the demo hall and printed in the README: anybody may know them.
DEMO_TOKENS = frozenset({"demo-kiosk", "demo-display", "demo-buttons", "demo-console", "demo-admin"})


class ConfigError(Exception):
    """The configuration is wrong; `problems` holds one line per mistake, each naming its key."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def report(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s) in the hall configuration:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def demo_config_path() -> Path:
    return Path(str(resources.files("hallcall.server").joinpath("halls/demo.toml")))


def load_config(path: str | Path | None = None) -> HallConfig:
    path = Path(path) if path else demo_config_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(str(path), ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_config(data, source=str(path))


class _Node:
    """A table being read: remembers its key path and which keys were used."""

    _MISSING = object()

    def __init__(self, data: dict, path: str, problems: list[str]):
        self.data, self.path, self.problems = data, path, problems
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def bad(self, key: str, why: str) -> None:
        self.problems.append(f"{self.at(key)}: {why}")

    def get(self, key, kind, required=False, default=None):
        self.used.add(key)
        value = self.data.get(key, self._MISSING)
        if value is self._MISSING:
            if required:
                self.bad(key, "is required")
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; a TOML `true` where a number belongs is still a mistake.
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            self.bad(key, f"must be {names}, not {_KIND_NAMES.get(type(value), type(value).__name__)}")
            return default
        return value

    def child(self, key, required=False) -> "_Node | None":
        value = self.get(key, dict, required=required)
        return None if value is None else _Node(value, self.at(key), self.problems)

    def children(self, key, required=False) -> list["_Node"]:
        items = self.get(key, list, required=required, default=[])
        nodes = []
        for i, item in enumerate(items):
            if isinstance(item, dict):
                nodes.append(_Node(item, f"{self.at(key)}[{i}]", self.problems))
            else:
                self.problems.append(f"{self.at(key)}[{i}]: must be a table")
        return nodes

    def text(self, key, required=True) -> Text | None:
        node = self.child(key, required=required)
        if node is None:
            return None
        zh = node.get("zh", str, required=True)
        en = node.get("en", str, required=True)
        node.finish()
        for lang, value in (("zh", zh), ("en", en)):
            if value is not None and not value.strip():
                node.bad(lang, "must not be empty")
        return Text(zh or "", en or "")

    def finish(self) -> None:
        for key in self.data:
            if key not in self.used:
                self.bad(key, "is not a known setting (misspelt?)")


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


def _parse_hhmm(node: _Node, key: str, value: str) -> time | None:
    m = HHMM_RE.match(value)
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        node.bad(key, f"{value!r} is not a time like 08:30")
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    return None if hour == 24 else time(hour, minute)


def _parse_hours(node: _Node, default: Hours | None) -> Hours | None:
    spans_raw = node.get("hours", list)
    days_raw = node.get("days", list)
    if spans_raw is None and days_raw is None:
        return default
    spans: list[Span] = []
    for i, item in enumerate(spans_raw if spans_raw is not None else []):
        key = f"hours[{i}]"
        if not isinstance(item, str) or item.count("-") != 1:
            node.bad(key, f"{item!r} must be a span like \"08:30-12:00\"")
            continue
        a, b = item.split("-")
        start = _parse_hhmm(node, key, a.strip())
        end = _parse_hhmm(node, key, b.strip())
        if start is None and a.strip() != "24:00" and not HHMM_RE.match(a.strip()):
            continue
        if start is None:
            node.bad(key, "a span cannot start at 24:00")
            continue
        if end is not None and end <= start:
            node.bad(key, f"{item!r} ends before it starts")
            continue
        spans.append(Span(start, end))
    if spans_raw is None:
        spans = list(default.spans) if default else [Span(time(0, 0), None)]
    elif not spans_raw:
        node.bad("hours", "must list at least one span")
    days: set[int] = set()
    for i, item in enumerate(days_raw if days_raw is not None else []):
        if item not in WEEKDAYS:
            node.bad(f"days[{i}]", f"{item!r} must be one of {', '.join(WEEKDAYS)}")
        else:
            days.add(WEEKDAYS.index(item))
    if days_raw is None:
        days = set(default.days) if default else set(range(7))
    return Hours(tuple(spans), frozenset(days))


def _text_item(item, path: str, problems: list[str]) -> Text | None:
    """A list element that must be a bilingual text table."""
    if not isinstance(item, dict):
        problems.append(f'{path}: must be a table like {{ zh = "…", en = "…" }}')
        return None
    node = _Node(item, path, problems)
    zh, en = node.get("zh", str, required=True), node.get("en", str, required=True)
    node.finish()
    return Text(zh, en) if zh and en else None


# [services.appointments]: each key, its default and the range a hall may set.
APPOINTMENT_LIMITS = {"slot_minutes": (30, 5, 240), "per_slot": (2, 1, 99), "days_ahead": (7, 0, 60),
                      "early_minutes": (30, 0, 240), "late_minutes": (15, 0, 240)}
SAMPLE_URL_RE = re.compile(r"^(https?://\S+|/\S*)$")


def _parse_appointments(node: _Node | None) -> Appointments | None:
    if node is None:
        return None
    values = {}
    for key, (default, low, high) in APPOINTMENT_LIMITS.items():
        value = node.get(key, int, default=default)
        if value is not None and not low <= value <= high:
            node.bad(key, f"must be between {low} and {high}")
        values[key] = default if value is None else value
    node.finish()
    return Appointments(**values)


def _parse_guide(node: _Node | None) -> Guide:
    if node is None:
        return Guide()
    procedure = tuple(t for i, item in enumerate(node.get("procedure", list, default=[]))
                      if (t := _text_item(item, node.at(f"procedure[{i}]"), node.problems)))
    fields = {key: node.text(key, required=False)
              for key in ("time_limit", "fees", "result", "responsible")}
    samples = []
    for sample in node.children("samples"):
        name = sample.text("name")
        url = sample.get("url", str)
        if url is not None and not SAMPLE_URL_RE.match(url):
            sample.bad("url", f"{url!r} must be an http(s):// address or a /path on the hub")
        sample.finish()
        if name is not None:
            samples.append(Sample(name, url))
    node.finish()
    return Guide(procedure=procedure, samples=tuple(samples), **fields)


def _check_id(node: _Node, key: str, value, seen: set, what: str) -> None:
    if value is None:
        return
    if not ID_RE.match(value):
        node.bad(key, f"{value!r} is not a usable id (letters, digits, '-', '_', '.')")
    elif value in seen:
        node.bad(key, f"{what} {value!r} is defined twice")
    seen.add(value)


def _parse_proxies(hub: _Node) -> tuple:
    """[hub] trusted_proxies: addresses or networks ("127.0.0.1", "10.0.0.0/24") of the reverse
    proxies in front of the hub, the only peers whose X-Forwarded-For is believed."""
    networks = []
    for i, item in enumerate(hub.get("trusted_proxies", list, default=[])):
        key = f"trusted_proxies[{i}]"
        if not isinstance(item, str):
            hub.bad(key, 'must be a string like "127.0.0.1" or "10.0.0.0/24"')
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip()))
        except ValueError as exc:
            if "host bits" in str(exc):
                network = ipaddress.ip_network(item.strip(), strict=False)
                hub.bad(key, f"{item!r} has host bits set: name the network, {str(network)!r}")
            else:
                hub.bad(key, f"{item!r} is not an IP address or network like \"10.0.0.0/24\"")
    return tuple(networks)


CENTRAL_HALL_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CENTRAL_MIN_TOKEN = 16


def _parse_central(node: _Node | None) -> Central | None:
    """[central]: where the hub forwards its events (server/forwarding.py); absent: nowhere."""
    if node is None:
        return None
    url = node.get("url", str, required=True)
    if url is not None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                or parts.fragment:
            node.bad("url", f"{url!r} must be an http:// or https:// address like "
                            "\"http://city.example:8090\"")
        else:
            try:
                parts.port  # noqa: B018 -- raises for a port that is not a number
            except ValueError:
                node.bad("url", f"{url!r} has a port that is not a number")
    hall_id = node.get("hall_id", str, required=True)
    if hall_id is not None and not CENTRAL_HALL_ID_RE.match(hall_id):
        node.bad("hall_id", f"{hall_id!r} must be 1 to 63 lowercase letters, digits and '-', "
                            "starting with a letter or digit")
    token = node.get("token", str, required=True)
    if token is not None and len(token.strip()) < CENTRAL_MIN_TOKEN:
        node.bad("token", f"must be at least {CENTRAL_MIN_TOKEN} characters (the city gives "
                          "each hall its own)")
    batch = node.get("batch", int, default=500)
    if batch is not None and not 1 <= batch <= 5000:
        node.bad("batch", "must be between 1 and 5000 events")
    interval = node.get("interval_s", (int, float), default=1.0)
    if interval is not None and not 0.05 <= interval <= 60:
        node.bad("interval_s", "must be between 0.05 and 60 seconds")
    node.finish()
    if url is None or hall_id is None or token is None:
        return None
    return Central(url.strip().rstrip("/"), hall_id, token.strip(), batch or 500,
                   float(interval or 1.0))


def _fairness(node: _Node, hall_wide: bool) -> tuple:
    """green_ratio and max_wait_minutes of [queue] (defaults 0: off) or of a window (None: the
    hall's)."""
    default = 0 if hall_wide else None
    ratio = node.get("green_ratio", int, default=default)
    if ratio is not None and not 0 <= ratio <= 99:
        node.bad("green_ratio", "must be between 0 (green strictly first) and 99")
        ratio = default
    max_wait = node.get("max_wait_minutes", int, default=default)
    if max_wait is not None and not 0 <= max_wait <= 1440:
        node.bad("max_wait_minutes", "must be between 0 (off) and 1440 minutes")
        max_wait = default
    return ratio, max_wait


def parse_config(data: dict, source: str = "<memory>") -> HallConfig:
    problems: list[str] = []
    root = _Node(data, "", problems)

    hall = root.child("hall", required=True) or _Node({}, "hall", problems)
    name = hall.text("name")
    languages = tuple(hall.get("languages", list, default=["zh", "en"]))
    for lang in ("zh", "en"):
        if lang not in languages:
            hall.bad("languages", f"must include {lang!r}: screens, paper and speech are bilingual")
    tz = hall.get("timezone", str, default="Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        hall.bad("timezone", f"{tz!r} is not a known time zone (like Asia/Shanghai)")
    day_start_raw = hall.get("day_starts_at", str, default="04:00")
    day_starts_at = _parse_hhmm(hall, "day_starts_at", day_start_raw) if day_start_raw else None
    # Without hours the hall never closes (the demo hall is like that, so it can be tried any time).
    hall_hours = _parse_hours(hall, None) or Hours((Span(time(0, 0), None),), frozenset(range(7)))
    default_minutes = hall.get("service_minutes", (int, float), default=5)
    offline_after = hall.get("device_offline_after_s", int, default=60)
    if offline_after is not None and not 10 <= offline_after <= 3600:
        hall.bad("device_offline_after_s", "must be between 10 and 3600 seconds")
    near_ahead = hall.get("near_ahead", int, default=3)
    if near_ahead is not None and not 0 <= near_ahead <= 50:
        hall.bad("near_ahead", "must be between 0 (no alert) and 50")
    hall.finish()

    queue = root.child("queue") or _Node({}, "queue", problems)
    queue_rules = QueueRules(*_fairness(queue, hall_wide=True))
    queue.finish()

    departments = []
    seen: set = set()
    for node in root.children("departments", required=True):
        dep_id = node.get("id", str, required=True)
        _check_id(node, "id", dep_id, seen, "department")
        departments.append(Department(dep_id, node.text("name")))
        node.finish()
    dep_ids = {d.id for d in departments}

    services = []
    seen = set()
    prefixes: dict[str, str] = {}
    for node in root.children("services", required=True):
        sid = node.get("id", str, required=True)
        _check_id(node, "id", sid, seen, "service")
        prefix = node.get("prefix", str, required=True)
        if prefix is not None:
            # One letter normally; two letters let a hall have more than 26 services.
            if not re.fullmatch(r"[A-Z]{1,2}", prefix):
                node.bad("prefix", f"{prefix!r} must be one or two capital letters A-Z")
            elif prefix in prefixes:
                # Two services sharing a letter would print the same number (A001) for two people.
                node.bad("prefix", f"{prefix!r} is already used by service {prefixes[prefix]!r}")
            else:
                prefixes[prefix] = sid
        dep = node.get("department", str, required=True)
        if dep is not None and dep not in dep_ids:
            node.bad("department", f"{dep!r} is not a department id")
        limit = node.get("daily_limit", int)
        if limit is not None and not 1 <= limit <= 999:
            node.bad("daily_limit", "must be between 1 and 999 (numbers have three digits)")
        minutes = node.get("service_minutes", (int, float), default=default_minutes)
        if minutes is not None and not 0 < minutes <= 480:
            node.bad("service_minutes", "must be more than 0 and at most 480")
        materials = [t for i, item in enumerate(node.get("materials", list, default=[]))
                     if (t := _text_item(item, node.at(f"materials[{i}]"), problems))]
        target = node.get("target_wait_minutes", int, default=30)
        if target is not None and not 1 <= target <= 1440:
            node.bad("target_wait_minutes", "must be between 1 and 1440 minutes")
        services.append(Service(
            id=sid, prefix=prefix or "", department=dep or "", name=node.text("name"),
            hours=_parse_hours(node, hall_hours), daily_limit=limit,
            service_minutes=float(minutes or default_minutes or 5), materials=tuple(materials),
            target_wait_minutes=target or 30, closed=bool(node.get("closed", bool, default=False)),
            retired=bool(node.get("retired", bool, default=False)),
            appointments=_parse_appointments(node.child("appointments")),
            guide=_parse_guide(node.child("guide"))))
        node.finish()
    service_ids = {s.id for s in services}

    windows = []
    seen = set()
    for node in root.children("windows", required=True):
        wid = node.get("id", str, required=True)
        _check_id(node, "id", wid, seen, "window")
        wname = node.text("name", required=False) or Text(f"{wid}号窗口", f"Window {wid}")
        wservices = node.get("services", list, required=True, default=[])
        for i, s in enumerate(wservices):
            if s not in service_ids:
                node.bad(f"services[{i}]", f"{s!r} is not a service id")
        if len(set(wservices)) != len(wservices):
            node.bad("services", "lists a service twice")
        order = node.get("order", str, default="oldest")
        if order not in CALL_ORDERS:
            node.bad("order", f"{order!r} must be one of {', '.join(CALL_ORDERS)}")
        status = node.get("status", str, default="open")
        if status not in WINDOW_STATUSES:
            node.bad("status", f"{status!r} must be one of {', '.join(WINDOW_STATUSES)}")
        ratio, max_wait = _fairness(node, hall_wide=False)
        windows.append(Window(wid, wname, tuple(s for s in wservices if isinstance(s, str)),
                              order, status, ratio, max_wait,
                              bool(node.get("retired", bool, default=False))))
        node.finish()
    window_ids = {w.id for w in windows}
    served = {s for w in windows if not w.retired for s in w.services}
    for s in services:
        if s.id not in served and not s.retired:
            root.bad("services", f"service {s.id!r} is served by no window: its tickets would wait forever")

    devices = []
    seen = set()
    tokens: set = set()
    for node in root.children("devices"):
        did = node.get("id", str, required=True)
        _check_id(node, "id", did, seen, "device")
        role = node.get("role", str, required=True)
        if role is not None and role not in ROLES:
            node.bad("role", f"{role!r} must be one of {', '.join(ROLES)}")
        token = node.get("token", str)
        digest = node.get("token_sha256", str)
        if token is not None and digest is not None:
            node.bad("token_sha256", "give either token or token_sha256, not both")
        elif token is None and digest is None:
            node.bad("token", "is required (or token_sha256, the SHA-256 of the token in hex)")
        elif token is not None and len(token) < 8:
            node.bad("token", "must be at least 8 characters")
        elif digest is not None and not SHA256_RE.match(digest):
            node.bad("token_sha256", "must be 64 lowercase hex digits (the SHA-256 of the token)")
        else:
            digest = digest or token_sha256(token)
            if digest in tokens:
                node.bad("token_sha256" if token is None else "token",
                         "is used by another device; every device needs its own")
            tokens.add(digest)
        dname = node.get("name", str)
        dwindows = node.get("windows", list)
        for i, w in enumerate(dwindows or []):
            if w not in window_ids:
                node.bad(f"windows[{i}]", f"{w!r} is not a window id")
        rate = node.get("rate_limit_per_minute", int)
        if rate is not None and rate < 1:
            node.bad("rate_limit_per_minute", "must be at least 1")
        pin = node.get("exit_pin", str)
        if pin is not None and not re.fullmatch(r"\d{4,8}", pin):
            node.bad("exit_pin", "must be 4 to 8 digits (staff type it on the kiosk's keypad)")
        devices.append(Device(did, role or "", digest or "",
                              tuple(dwindows) if dwindows is not None else None, rate, pin,
                              dname or None))
        node.finish()

    staff = []
    seen = set()
    # `[[staff]]`; `[[clerks]]` is its name in files written before staff had roles.
    for node in root.children("staff") + root.children("clerks"):
        cid = node.get("id", str, required=True)
        _check_id(node, "id", cid, seen, "member of staff")
        cname = node.get("name", str, required=True)
        role = node.get("role", str, default="clerk")
        if role not in STAFF_ROLES:
            node.bad("role", f"{role!r} must be one of {', '.join(STAFF_ROLES)}")
        cwindows = node.get("windows", list, required=role == "clerk", default=[])
        if role == "clerk" and not cwindows and isinstance(node.data.get("windows"), list):
            node.bad("windows", "must list at least one window: the clerk acts only at these")
        for i, w in enumerate(cwindows):
            if w not in window_ids:
                node.bad(f"windows[{i}]", f"{w!r} is not a window id")
        cwindows = [w for w in cwindows if isinstance(w, str)]
        if len(set(cwindows)) != len(cwindows):
            node.bad("windows", "lists a window twice")
        pw_hash = node.get("password_hash", str, required=True)
        if pw_hash is not None and (why := hash_problem(pw_hash)):
            node.bad("password_hash", why)
        staff.append(Staff(cid, cname or "", tuple(cwindows), pw_hash or "", role or "clerk",
                           bool(node.get("disabled", bool, default=False))))
        node.finish()

    notices = [t for i, item in enumerate(root.get("notices", list, default=[]))
               if (t := _text_item(item, f"notices[{i}]", problems))]

    ann = root.child("announcer") or _Node({}, "announcer", problems)
    ann_langs = tuple(ann.get("languages", list, default=list(languages)))
    for i, lang in enumerate(ann_langs):
        if lang not in languages:
            ann.bad(f"languages[{i}]", f"{lang!r} is not one of the hall's languages")
    repeat = ann.get("repeat", int, default=1)
    if repeat is not None and not 1 <= repeat <= 3:
        ann.bad("repeat", "must be 1, 2 or 3")
    voices = ann.get("voices", dict, default={})
    for lang, voice in voices.items():
        if not isinstance(voice, str):
            ann.bad(f"voices.{lang}", "must be a voice name")
    templates = ann.get("templates", dict, default={})
    for lang, template in templates.items():
        if lang not in languages:
            ann.bad(f"templates.{lang}", f"{lang!r} is not one of the hall's languages")
        elif not isinstance(template, str) or "{number}" not in template or "{window}" not in template:
            ann.bad(f"templates.{lang}", "must be a string with {number} and {window} in it")
    announcer = Announcer(ann.get("enabled", bool, default=True), ann_langs, repeat or 1,
                          dict(voices), dict(templates))
    ann.finish()

    gpio = root.child("gpio") or _Node({}, "gpio", problems)
    hold_seconds = gpio.get("hold_seconds", (int, float), default=2.0)
    if hold_seconds is not None and not 0.5 <= hold_seconds <= 10:
        gpio.bad("hold_seconds", "must be between 0.5 and 10 seconds")
    pull_up = gpio.get("pull_up", bool, default=True)
    buttons_devices = {d.id for d in devices if d.role == "buttons"}
    buttons = []
    # GPIO numbers are per Pi: the hub's own keys and each buttons device's keys are separate sets.
    pins: dict[tuple[str | None, int], str] = {}
    windows_wired: dict[tuple[str | None, str], str] = {}
    for node in gpio.children("buttons"):
        w = node.get("window", str, required=True)
        if w is not None and w not in window_ids:
            node.bad("window", f"{w!r} is not a window id")
        device = node.get("device", str)
        if device is not None and device not in buttons_devices:
            node.bad("device", f"{device!r} is not the id of a device with role 'buttons'")
        if w is not None and (device, w) in windows_wired:
            node.bad("window", f"window {w!r} is already wired in {windows_wired[device, w]}")
        windows_wired[device, w] = node.path
        found: dict[str, int] = {}
        for key in [f"{a}_pin" for a in BUTTON_ACTIONS] + ["led_pin"]:
            pin = node.get(key, int, required=key == "call_pin")
            if pin is None:
                continue
            if not 0 <= pin <= 27:
                node.bad(key, f"{pin} is not a BCM GPIO number (0-27)")
            elif (device, pin) in pins:
                node.bad(key, f"GPIO {pin} is already used by {pins[device, pin]}")
            pins[device, pin] = node.at(key)
            found[key] = pin
        led = found.pop("led_pin", None)
        buttons.append(GpioButton(w or "", {k[:-4]: v for k, v in found.items()}, led, device))
        node.finish()
    gpio.finish()

    hub = root.child("hub") or _Node({}, "hub", problems)
    trusted_proxies = _parse_proxies(hub)
    hub.finish()
    central = _parse_central(root.child("central"))
    root.finish()

    if problems:
        raise ConfigError(source, problems)
    return HallConfig(
        name=name, languages=languages, timezone=tz, day_starts_at=day_starts_at or time(0, 0),
        departments=tuple(departments), services=tuple(services), windows=tuple(windows),
        devices=tuple(devices), staff=tuple(staff), notices=tuple(notices),
        announcer=announcer,
        gpio=Gpio(tuple(buttons), float(hold_seconds or 2.0), bool(pull_up)), source=source,
        trusted_proxies=trusted_proxies, queue=queue_rules,
        device_offline_after_s=offline_after or 60, hours=hall_hours,
        near_ahead=3 if near_ahead is None else near_ahead,
        service_minutes=float(default_minutes or 5), central=central)
