"""The hall config back to the keys of its TOML: what the database keeps of each version, what
`GET /api/admin/config` answers and what the TOML export writes.

`parse_config(config_dict(c))` is `c` again (the tests hold it to that for the demo hall), so a
version read back from the database, or an exported file served on a new database, is the same
hall. Defaults the loader would fill in are written out anyway: a file that says what it means
outlives a change of defaults.
"""
from __future__ import annotations

import tomli_w

from .model import WEEKDAYS, Guide, HallConfig, Hours, Service, Staff, Text, Window

ALL_WEEK = frozenset(range(7))


def _span_list(hours: Hours) -> list[str]:
    return [f"{s.start.strftime('%H:%M')}-{s.end.strftime('%H:%M') if s.end else '24:00'}"
            for s in hours.spans]


def _hours(hours: Hours) -> dict:
    spans = _span_list(hours)
    out = {}
    if spans != ["00:00-24:00"]:
        out["hours"] = spans
    if hours.days != ALL_WEEK:
        out["days"] = [WEEKDAYS[d] for d in sorted(hours.days)]
    return out


def _number(minutes: float) -> int | float:
    return int(minutes) if float(minutes).is_integer() else minutes


def _text(t: Text) -> dict:
    return t.as_dict()


def service_dict(s: Service) -> dict:
    d = {"id": s.id, "prefix": s.prefix, "department": s.department, "name": _text(s.name),
         **_hours(s.hours)}
    if s.daily_limit is not None:
        d["daily_limit"] = s.daily_limit
    d["service_minutes"] = _number(s.service_minutes)
    d["target_wait_minutes"] = s.target_wait_minutes
    if s.closed:
        d["closed"] = True
    if s.retired:
        d["retired"] = True
    d["materials"] = [_text(m) for m in s.materials]
    if s.appointments is not None:
        a = s.appointments
        d["appointments"] = {"slot_minutes": a.slot_minutes, "per_slot": a.per_slot,
                             "days_ahead": a.days_ahead, "early_minutes": a.early_minutes,
                             "late_minutes": a.late_minutes}
    if not s.guide.is_empty():
        d["guide"] = guide_dict(s.guide)
    return d


def guide_dict(g: Guide) -> dict:
    """The guide keyed as in the TOML, and as `/api/hall` serves it: fields not set left out."""
    d = {}
    if g.procedure:
        d["procedure"] = [_text(t) for t in g.procedure]
    for key in ("time_limit", "fees", "result", "responsible"):
        if (value := getattr(g, key)) is not None:
            d[key] = _text(value)
    if g.samples:
        d["samples"] = [{"name": _text(x.name), **({"url": x.url} if x.url else {})}
                        for x in g.samples]
    return d


def window_dict(w: Window) -> dict:
    d = {"id": w.id, "name": _text(w.name), "services": list(w.services), "order": w.order,
         "status": w.status}
    if w.green_ratio is not None:
        d["green_ratio"] = w.green_ratio
    if w.max_wait_minutes is not None:
        d["max_wait_minutes"] = w.max_wait_minutes
    if w.retired:
        d["retired"] = True
    return d


def staff_dict(c: Staff) -> dict:
    d = {"id": c.id, "name": c.name, "role": c.role}
    if c.windows or c.role == "clerk":
        d["windows"] = list(c.windows)
    d["password_hash"] = c.password_hash
    if c.disabled:
        d["disabled"] = True
    return d


def config_dict(c: HallConfig) -> dict:
    """The whole hall, keyed as in the TOML file. Device tokens only as their SHA-256."""
    hall = {"name": _text(c.name), "languages": list(c.languages), "timezone": c.timezone,
            "day_starts_at": c.day_starts_at.strftime("%H:%M"),
            "device_offline_after_s": c.device_offline_after_s, "near_ahead": c.near_ahead,
            "service_minutes": _number(c.service_minutes), **_hours(c.hours)}
    devices = []
    for d in c.devices:
        item = {"id": d.id, "role": d.role}
        if d.name:
            item["name"] = d.name
        item["token_sha256"] = d.token_sha256
        if d.windows is not None:
            item["windows"] = list(d.windows)
        if d.rate_limit_per_minute is not None:
            item["rate_limit_per_minute"] = d.rate_limit_per_minute
        if d.exit_pin is not None:
            item["exit_pin"] = d.exit_pin
        devices.append(item)
    a = c.announcer
    out = {
        "hall": hall,
        "queue": {"green_ratio": c.queue.green_ratio, "max_wait_minutes": c.queue.max_wait_minutes},
        "departments": [{"id": d.id, "name": _text(d.name)} for d in c.departments],
        "services": [service_dict(s) for s in c.services],
        "windows": [window_dict(w) for w in c.windows],
        "devices": devices,
        "staff": [staff_dict(s) for s in c.staff],
        "notices": [_text(n) for n in c.notices],
        "announcer": {"enabled": a.enabled, "languages": list(a.languages), "repeat": a.repeat,
                      "voices": dict(a.voices), "templates": dict(a.templates)},
        "gpio": {"hold_seconds": c.gpio.hold_seconds, "pull_up": c.gpio.pull_up,
                 "buttons": [{"window": b.window, **({"device": b.device} if b.device else {}),
                              **{f"{k}_pin": v for k, v in b.pins.items()},
                              **({"led_pin": b.led_pin} if b.led_pin is not None else {})}
                             for b in c.gpio.buttons]},
    }
    if c.trusted_proxies:
        out["hub"] = {"trusted_proxies": [str(n) for n in c.trusted_proxies]}
    if c.central is not None:
        # The token as it is: the hub must send it, and the export is the hall's backup.
        ce = c.central
        out["central"] = {"url": ce.url, "hall_id": ce.hall_id, "token": ce.token,
                          "batch": ce.batch, "interval_s": ce.interval_s}
    return out


def shown_dict(c: HallConfig) -> dict:
    """`config_dict` as the staff may read it (GET /api/admin/config): the central token only
    said to be set (`"token": null, "token_set": true`)."""
    out = config_dict(c)
    if c.central is not None:
        out["central"] = c.central.shown()
    return out


# -- TOML text -----------------------------------------------------------------------------------

def _value(v, inline: bool = False) -> str:
    """One TOML value; tables inline ({ zh = "…", en = "…" }), which keeps a service's name on
    the line where a reader looks for it (tomli_w alone would move it to a sub-table). Inside an
    inline table everything stays on one line: TOML allows no line break there."""
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x, True)}" for k, x in v.items()) + " }" \
            if v else "{}"
    if isinstance(v, list) and not inline and any(isinstance(x, dict) for x in v):
        return "[\n" + "".join(f"  {_value(x)},\n" for x in v) + "]"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x, inline) for x in v) + "]"
    return tomli_w.dumps({"v": v}).split(" = ", 1)[1].rstrip("\n")


def _key(k: str) -> str:
    return tomli_w.dumps({k: 0}).split(" = ", 1)[0]


def _table_body(d: dict) -> str:
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in d.items())


def to_toml(data: dict, header: str = "") -> str:
    """A hall dict (config_dict) as TOML text: [tables] and [[arrays of tables]] at the top,
    values inline below them."""
    parts = [header] if header else []

    def is_tables(value) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(x, dict) for x in value)

    # Plain values first: written after a [table] they would belong to it.
    plain = {k: v for k, v in data.items() if not isinstance(v, dict) and not is_tables(v)}
    if plain:
        parts.append(_table_body(plain))
    for key, value in data.items():
        if key in plain:
            continue
        if isinstance(value, dict):
            inner = {k: v for k, v in value.items() if not is_tables(v)}
            parts.append(f"[{key}]\n{_table_body(inner)}")
            for sub, items in value.items():
                if sub not in inner:
                    parts += [f"[[{key}.{sub}]]\n{_table_body(x)}" for x in items]
        else:
            parts += [f"[[{key}]]\n{_table_body(x)}" for x in value]
    return "\n".join(parts)


def config_toml(c: HallConfig) -> str:
    return to_toml(config_dict(c), header=(
        f"# hallcall hall config, version {c.version}: {c.name.en}\n"
        "# Written by the hub (GET /api/admin/config.toml, `hallcall config export`). It seeds a\n"
        "# new database (`hallcall serve --config FILE`) or replaces a running hall\n"
        "# (`hallcall config import FILE`). Device tokens appear only as their SHA-256.\n"
        + ("# The [central] token is as it is (the hub sends it): keep this file safe.\n"
           if c.central is not None else "")))
