"""What tests import directly: a controllable clock and the demo hall's auth headers."""
from __future__ import annotations

import threading
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


_MIGRATED: list = []  # the path of this session's migrated empty database, once made


def migrated_copy(db_url: str) -> str:
    """`db_url`, where it names a SQLite file that does not exist yet, made a copy of an empty
    database at this code's schema (as `Store.upgrade()` leaves a new file), so that a test's new
    hub does not run every Alembic migration again (~0.3 s of each such test); any other URL
    as it is. Only for tests about what a hub does on a new database, not about migrating."""
    import shutil
    import tempfile
    from pathlib import Path

    prefix = "sqlite:///"
    target = Path(db_url[len(prefix):])
    if not db_url.startswith(prefix) or "?" in db_url or target.exists() \
            or not target.parent.is_dir():
        return db_url
    if not _MIGRATED:
        import atexit

        from hallcall.server.store import Store
        from hallcall.server.web.serialize import event_json

        folder = tempfile.mkdtemp(prefix="hallcall-migrated-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = Path(folder) / "empty.db"
        store = Store(f"{prefix}{template}", event_json)
        try:
            store.upgrade()
        finally:
            store.close()
        assert not any(template.parent.glob("empty.db-*")), "the store left a journal open"
        _MIGRATED.append(template)
    shutil.copyfile(_MIGRATED[0], target)
    return db_url


def run_threads(target, args_list, timeout: float = 60.0) -> list[BaseException]:
    """Run target(*args) in one thread each, started together; the exceptions they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(args_list))

    def body(*args):
        try:
            barrier.wait()
            target(*args)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "worker threads hung"
    return errors
