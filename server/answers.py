"""What the hub's use cases answer: plain, frozen values of the queue and the hall config.

The hub returns these; the web edge (server/web/serialize.py) turns them into the JSON of the
API, and the CLI into its tables. A value that shows config (a window's name, a service's hours)
holds the config it was read with, so one answer never mixes a hall config with its successor.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from .config.model import Device, HallConfig, Service, Text, Window
from .engine.model import Ticket, WindowState
from .store.events import StoredEvent


@dataclass(frozen=True)
class TicketView:
    """A ticket with its place in line (0 and 0 once it no longer waits)."""

    ticket: Ticket
    ahead: int
    estimated_wait_s: int


@dataclass(frozen=True)
class WindowNow:
    """A window as the hall sees it: its config, its state and the ticket it has, if any."""

    window: Window
    state: WindowState
    current: Ticket | None


@dataclass(frozen=True)
class DeviceStatus:
    """What a device last reported (None: nothing yet), and when it was last seen (a request
    with its token, or its event stream connected); `online`: seen within the hall's
    `device_offline_after_s`."""

    device: Device
    status: dict | None
    updated_at: datetime | None
    last_seen: datetime | None = None
    online: bool = False


@dataclass(frozen=True)
class HallView:
    """The whole hall at one moment: what a display or the overview starts from."""

    config: HallConfig
    now: datetime
    day: str
    waiting: Mapping[str, int]  # by service
    issued: Mapping[str, int]  # by the service a number belongs to
    windows: tuple[WindowNow, ...]
    notices: tuple[Text, ...]
    # The last calls as the stream sent them, so a display that starts mid-day shows them at once.
    recent_calls: tuple[StoredEvent, ...]
    devices: tuple[DeviceStatus, ...]
    last_event: int


@dataclass(frozen=True)
class Figures:
    """A day's figures of a service or a window. `issued` only for a service (a window calls
    tickets, it does not issue them)."""

    called: int
    served: int
    no_show: int
    transferred: int
    cancelled: int
    waiting: int
    avg_wait_s: float | None
    max_wait_s: float | None
    avg_service_s: float | None
    ratings: Mapping[str, int]
    issued: int | None = None


@dataclass(frozen=True)
class DayFigures:
    day: str
    services: tuple[tuple[Service, Figures], ...]
    windows: tuple[tuple[Window, Figures], ...]


@dataclass(frozen=True)
class WindowView:
    """One window as its clerk console shows it."""

    window: WindowNow
    queue: tuple[Ticket, ...]  # the first of the tickets it would call, in that order
    waiting: int  # in all the window's services
    today: Figures
    now: datetime
    last_event: int
    allowed_actions: tuple[str, ...]  # what the engine would accept at this window now


@dataclass(frozen=True)
class ActResult:
    """A window action's answer: the ticket it was about (None: nobody to call) and the window."""

    ticket: Ticket | None
    window: WindowNow


@dataclass(frozen=True)
class DayClosed:
    day: str
    cancelled: int  # waiting tickets cancelled
    at_windows: int  # tickets called or being served, kept at their windows
