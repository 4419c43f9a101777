"""What tests import directly: a controllable clock and the demo hall's auth headers."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FakeClock:
    """A wall clock that moves only when told to (one second per read by default, so tickets
    issued in a row have distinct times, as they do in a real hall)."""

    def __init__(self, start: datetime | None = None, step: float = 1.0):
        self.now = start or datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)
        self.step = timedelta(seconds=step)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)

    def set(self, when: datetime) -> None:
        self.now = when


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


KIOSK, BUTTONS, CONSOLE, DISPLAY, ADMIN = (auth(f"demo-{r}") for r in
                                           ("kiosk", "buttons", "console", "display", "admin"))


def small_hall_data() -> dict:
    """A three-service, three-window hall: windows 1 and 2 share service A (parallel approval),
    window 2 serves two services, window 3 prefers B by service order, C has a daily limit."""
    return {
        "hall": {"name": {"zh": "测试大厅", "en": "Test hall"}, "day_starts_at": "04:00"},
        "departments": [{"id": "d", "name": {"zh": "部门", "en": "Department"}}],
        "services": [
            {"id": "a", "prefix": "A", "department": "d", "name": {"zh": "甲", "en": "Alpha"}},
            {"id": "b", "prefix": "B", "department": "d", "name": {"zh": "乙", "en": "Beta"},
             "service_minutes": 10},
            {"id": "c", "prefix": "C", "department": "d", "name": {"zh": "丙", "en": "Gamma"},
             "daily_limit": 3, "hours": ["08:30-12:00", "13:30-17:30"],
             "days": ["mon", "tue", "wed", "thu", "fri"]},
        ],
        "windows": [
            {"id": "1", "services": ["a"]},
            {"id": "2", "services": ["a", "b"]},
            {"id": "3", "services": ["b", "c"], "order": "service-order"},
        ],
        "devices": [
            {"id": "k", "role": "kiosk", "token": "kiosk-token-1"},
            {"id": "k2", "role": "kiosk", "token": "kiosk-token-2", "rate_limit_per_minute": 2},
            {"id": "b1", "role": "buttons", "token": "buttons-token-1", "windows": ["1"]},
            {"id": "adm", "role": "admin", "token": "admin-token-1"},
        ],
    }


def small_hall():
    from hallcall.server.config import parse_config
    return parse_config(small_hall_data())
