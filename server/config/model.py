"""The hall configuration as plain, immutable values.

Everything here is produced by `loader.load_config` after validation, so the rest of the hub can
trust it: ids are unique, references resolve, times parse.
"""
from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from datetime import time

ROLES = ("kiosk", "display", "buttons", "console", "admin")
STAFF_ROLES = ("clerk", "supervisor", "admin")
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
class QueueRules:
    """Green-channel fairness ([queue], or a window's own). `green_ratio` N: after N green calls
    in a row at a window, its next call takes a normal ticket if one waits (0: green strictly
    first). `max_wait_minutes` M: a normal ticket queued M minutes or more is called before
    green ones, oldest first (0: off)."""

    green_ratio: int = 0
    max_wait_minutes: int = 0


@dataclass(frozen=True)
class Appointments:
    """A service's bookings (预约, `[services.appointments]`): slots of `slot_minutes` through
    its opening hours, `per_slot` places each, bookable up to `days_ahead` days ahead; a check-in
    is taken from `early_minutes` before the slot starts until `late_minutes` after it (later,
    the citizen gets a walk-in's ticket)."""

    slot_minutes: int = 30
    per_slot: int = 2
    days_ahead: int = 7
    early_minutes: int = 30
    late_minutes: int = 15


@dataclass(frozen=True)
class Sample:
    """A sample form (样表) of the service guide: what a filled-in form looks like."""

    name: Text
    url: str | None = None  # a page or file the hall publishes (http(s)://… or /path on the hub)


@dataclass(frozen=True)
class Guide:
    """The service guide (办事指南), the seed hall's "seven steps" beside the windows and the
    materials the service already has: each field the hall has not set is left out (None or
    empty)."""

    procedure: tuple[Text, ...] = ()  # the steps, in order
    time_limit: Text | None = None  # the time limit promised (承诺时限)
    fees: Text | None = None
    result: Text | None = None  # what the citizen receives
    responsible: Text | None = None  # who is responsible (责任单位)
    samples: tuple[Sample, ...] = ()

    def is_empty(self) -> bool:
        return self == Guide()


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
    target_wait_minutes: int = 30  # the wait the hall promises (reports' sla_pct)
    closed: bool = False  # closed now by the staff, whatever its hours say
    # Retired by an administrator: no longer issued or listed, but its tickets and history stay.
    retired: bool = False
    appointments: Appointments | None = None  # None: this service takes no bookings
    guide: Guide = Guide()

    def is_open(self, weekday: int, t: time) -> bool:
        """Whether a kiosk may issue it now."""
        return not (self.closed or self.retired) and self.hours.is_open(weekday, t)


@dataclass(frozen=True)
class Window:
    id: str
    name: Text
    services: tuple[str, ...]
    order: str  # one of CALL_ORDERS
    status: str  # the status the window has when the hub first sees it, and each new hall day
    green_ratio: int | None = None  # None: the hall's [queue] rule
    max_wait_minutes: int | None = None
    retired: bool = False  # retired by an administrator: calls nobody, listed nowhere

    def queue_rules(self, hall: QueueRules) -> QueueRules:
        """The fairness rules this window calls by: its own where it sets them, else the hall's."""
        return QueueRules(
            hall.green_ratio if self.green_ratio is None else self.green_ratio,
            hall.max_wait_minutes if self.max_wait_minutes is None else self.max_wait_minutes)


def token_sha256(token: str) -> str:
    """How a device token is kept: the hall config and its export never hold the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Device:
    id: str
    role: str
    token_sha256: str
    windows: tuple[str, ...] | None  # None: every window
    rate_limit_per_minute: int | None
    exit_pin: str | None = None  # what staff type to leave a kiosk's full screen
    name: str | None = None  # where it stands, for the staff ("大厅入口取号机")

    def may_act_on(self, window_id: str) -> bool:
        return self.windows is None or window_id in self.windows


@dataclass(frozen=True)
class Staff:
    """A person who signs in (console, /admin). A `clerk` acts only at the windows listed; a
    `supervisor` at every window, and may reopen a closed window and call a chosen ticket; an
    `admin` also changes the hall."""

    id: str
    name: str
    windows: tuple[str, ...]
    password_hash: str  # werkzeug's "pbkdf2:sha256:N$salt$hex" (server/passwords.py)
    role: str = "clerk"  # one of STAFF_ROLES
    disabled: bool = False  # may not sign in; kept for the audit log's names

    def may_act_on(self, window_id: str) -> bool:
        return self.role != "clerk" or window_id in self.windows

    @property
    def supervises(self) -> bool:
        return self.role in ("supervisor", "admin")


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
class Central:
    """[central]: the city's central server this hall forwards every event to (None: none).
    `token` is the hall's own secret there: kept as given (the hub must send it), so it is in
    the TOML export (the hall's backup) and nowhere the hall's staff or public read the hall."""

    url: str  # the central's base URL, http(s)://host[:port][/prefix]
    hall_id: str  # this hall's id there, [a-z0-9][a-z0-9-]{0,62}
    token: str
    batch: int = 500  # events per POST
    interval_s: float = 1.0  # how often the forwarder looks for new events

    def shown(self) -> dict:
        """As the staff may see it: the token only said to be set."""
        return {"url": self.url, "hall_id": self.hall_id, "token": None, "token_set": True,
                "batch": self.batch, "interval_s": self.interval_s}


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
    staff: tuple[Staff, ...]
    notices: tuple[Text, ...]
    announcer: Announcer
    gpio: Gpio
    source: str = "<memory>"
    # Reverse proxies whose X-Forwarded-For is believed ([hub] trusted_proxies); empty: none.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    queue: QueueRules = QueueRules()
    device_offline_after_s: int = 60  # [hall]: a device unseen this long is offline
    # [hall] near_ahead: the citizen's phone page alerts them when this few are ahead.
    near_ahead: int = 3
    # [hall] hours, days and service_minutes: what a service that sets none of its own gets
    # (kept so that a service added later, through /api/admin, gets the hall's, not 24 h).
    hours: Hours = Hours((Span(time(0, 0), None),), frozenset(range(7)))
    service_minutes: float = 5.0
    central: Central | None = None  # [central]; None: the hub forwards nothing
    # The numbered version of the hall in the database this config is (0: not stored yet).
    version: int = 0

    def __post_init__(self):
        object.__setattr__(self, "_services", {s.id: s for s in self.services})
        object.__setattr__(self, "_windows", {w.id: w for w in self.windows})
        object.__setattr__(self, "_devices", {d.token_sha256: d for d in self.devices})
        object.__setattr__(self, "_device_ids", {d.id: d for d in self.devices})
        object.__setattr__(self, "_staff", {c.id: c for c in self.staff})

    def service(self, service_id: str) -> Service | None:
        """A service by id, retired ones included (their tickets and history remain)."""
        return self._services.get(service_id)

    def window(self, window_id: str) -> Window | None:
        return self._windows.get(window_id)

    @property
    def live_services(self) -> tuple[Service, ...]:
        """The services not retired: what the hall lists and issues."""
        return tuple(s for s in self.services if not s.retired)

    @property
    def live_windows(self) -> tuple[Window, ...]:
        return tuple(w for w in self.windows if not w.retired)

    def device_by_token(self, token: str) -> Device | None:
        # Looked up by the token's hash: a dict probe on a SHA-256 tells nothing of the token.
        return self._devices.get(token_sha256(token))

    def device(self, device_id: str) -> Device | None:
        return self._device_ids.get(device_id)

    def member(self, staff_id: str) -> Staff | None:
        """A member of staff by id (disabled ones included)."""
        return self._staff.get(staff_id)

    def windows_serving(self, service_id: str) -> list[Window]:
        return [w for w in self.windows if service_id in w.services and not w.retired]
