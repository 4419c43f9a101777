"""The last few reports a hub made, shared by GET /api/reports and the report page's charts.

The page asks for a table and its four charts at once, and a month's report costs most of a
second of SQL: kept under the hall's version and the store's last event, a report is made once
per period and change (any change to a ticket is an event, from any hub process, so a newer one
is a new key, never a stale figure)."""
from __future__ import annotations

import threading
from collections import OrderedDict

from .report import report


class ReportCache:
    """The last few reports made. Arrivals and the ratings share the report by hour (and the
    waits too, for one day), and the table by service shares the service-level chart's, so a
    page costs two or three reports, not five. Reports are made one at a time: each month's
    takes several MB of SQLite's sorting memory, and four at once would take the hub far past
    its RSS budget; a request for a report being made waits for it instead of making it
    again."""

    def __init__(self, size: int = 8):
        self.size = size
        self._lock = threading.Lock()  # the kept reports and the ones being made
        self._one_at_a_time = threading.Lock()
        self._done: OrderedDict[tuple, dict] = OrderedDict()
        self._making: dict[tuple, threading.Event] = {}

    def get(self, key: tuple, make) -> dict:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            made = self._making.get(key)
            if made is None:
                made = self._making[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            made.wait()
            return self.get(key, make)  # kept now (or its maker failed: made here, then)
        try:
            with self._one_at_a_time:
                value = make()
            with self._lock:
                self._done[key] = value
                while len(self._done) > self.size:
                    self._done.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._making[key]
            made.set()


def cached_report(cache: ReportCache, hub, from_day: str, to_day: str, by: str) -> dict:
    """`report(hub, …)`, made once per period, grouping, hall version and last event."""
    config = hub.config
    with hub.store.read(config) as tx:
        seq = tx.last_seq()
    return cache.get((from_day, to_day, by, config.version, seq),
                     lambda: report(hub, from_day, to_day, by))
