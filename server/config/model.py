"""The hall configuration as plain, immutable values.

Everything here is produced by `loader.load_config` after validation, so the rest of the hub can
trust it: ids are unique, references resolve, times parse.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import time

ROLES = ("kiosk", "display", "buttons", "console", "admin")
WINDOW_STATUSES = ("open", "paused", "closed")
CALL_ORDERS = ("oldest", "service-order")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Text:
    """A text in the hall's languages; `zh` and `en` are always present."""

    zh: str
    en: str

    def as_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Span:
    """Opening hours on one day: start inclusive, end exclusive; end None means midnight."""

    start: time
    end: time | None

    def contains(self, t: time) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


@dataclass(frozen=True)
class Hours:
    spans: tuple[Span, ...]
    days: frozenset[int]  # weekday numbers, Monday = 0

    def is_open(self, weekday: int, t: time) -> bool:
        return weekday in self.days and any(s.contains(t) for s in self.spans)


@dataclass(frozen=True)
class Department:
    id: str
    name: Text


@dataclass(frozen=True)
class Service:
    id: str
    prefix: str
    department: str
    name: Text
    hours: Hours
    daily_limit: int | None
    service_minutes: float  # the estimate used before real service times exist
    materials: tuple[Text, ...]


@dataclass(frozen=True)
class Window:
    id: str
    name: Text
    services: tuple[str, ...]
    order: str  # one of CALL_ORDERS
    status: str  # the status the window has when the hub first sees it


@dataclass(frozen=True)
class Device:
    id: str
    role: str
    token: str
    windows: tuple[str, ...] | None  # None: every window
    rate_limit_per_minute: int | None
    exit_pin: str | None = None  # what staff type to leave a kiosk's full screen

    def may_act_on(self, window_id: str) -> bool:
        return self.windows is None or window_id in self.windows


@dataclass(frozen=True)
class Clerk:
    """A person who signs in to the clerk console; acts only at the windows listed."""

    id: str
    name: str
    windows: tuple[str, ...]
    password_hash: str  # werkzeug's "pbkdf2:sha256:N$salt$hex" (server/passwords.py)

    def may_act_on(self, window_id: str) -> bool:
        return window_id in self.windows


# A window's keys, by what a press does. `call`: press calls the next ticket, a long hold recalls.
# The three rating keys are the citizen's (满意 / 基本满意 / 不满意).
BUTTON_ACTIONS = ("call", "recall", "no_show", "finish", "satisfied", "basic", "unsatisfied")


@dataclass(frozen=True)
class GpioButton:
    """The keys and the LED of one window, as BCM GPIO numbers (None: not fitted)."""

    window: str
    pins: dict  # action (BUTTON_ACTIONS) -> BCM pin
    led_pin: int | None
    device: str | None = None  # the buttons device that drives them; None: the hub's own process

    def as_dict(self) -> dict:
        return {"window": self.window, "pins": dict(self.pins), "led_pin": self.led_pin}


@dataclass(frozen=True)
class Gpio:
    buttons: tuple[GpioButton, ...] = ()
    hold_seconds: float = 2.0  # holding `call` this long recalls instead of calling next
    pull_up: bool = True  # keys switch the pin to ground (the usual wiring, no resistor needed)

    def for_device(self, device_id: str | None) -> tuple[GpioButton, ...]:
        return tuple(b for b in self.buttons if b.device == device_id)

    def wiring(self, device_id: str | None) -> dict:
        """What the keys of one Pi need to know (None: the hub's own Pi), as JSON."""
        return {"hold_seconds": self.hold_seconds, "pull_up": self.pull_up,
                "buttons": [b.as_dict() for b in self.for_device(device_id)]}


@dataclass(frozen=True)
class Announcer:
    enabled: bool
    languages: tuple[str, ...]
    repeat: int
    voices: dict = field(default_factory=dict)  # language -> voice name
    templates: dict = field(default_factory=dict)  # language -> "请{number}号到{window}办理"


@dataclass(frozen=True)
class HallConfig:
    name: Text
    languages: tuple[str, ...]
    timezone: str
    day_starts_at: time
    departments: tuple[Department, ...]
    services: tuple[Service, ...]
    windows: tuple[Window, ...]
    devices: tuple[Device, ...]
    clerks: tuple[Clerk, ...]
    notices: tuple[Text, ...]
    announcer: Announcer
    gpio: Gpio
    source: str = "<memory>"
    # Reverse proxies whose X-Forwarded-For is believed ([hub] trusted_proxies); empty: none.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "_services", {s.id: s for s in self.services})
        object.__setattr__(self, "_windows", {w.id: w for w in self.windows})
        object.__setattr__(self, "_devices", {d.token: d for d in self.devices})
        object.__setattr__(self, "_clerks", {c.id: c for c in self.clerks})

    def service(self, service_id: str) -> Service | None:
        return self._services.get(service_id)

    def window(self, window_id: str) -> Window | None:
        return self._windows.get(window_id)

    def device_by_token(self, token: str) -> Device | None:
        return self._devices.get(token)

    def clerk(self, clerk_id: str) -> Clerk | None:
        return self._clerks.get(clerk_id)

    def windows_serving(self, service_id: str) -> list[Window]:
        return [w for w in self.windows if service_id in w.services]
