"""When this hub process last saw each device: a request carrying its token, or an event stream
it opened with its token, for as long as that stays connected.

Recorded on the request path, so only a dict under a lock: no SQL and no read of the hub's
clock (a test's clock moves on each read, and the wall clock may be held after a step back).
The moments are the monotonic clock's; the hub turns them into its own time when it flushes
them to the store from its follower thread every few seconds (every hub process sharing the
database then knows what the others saw) and when it answers a snapshot.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from .config.model import Device


class Sightings:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen: dict[str, float] = {}  # since the last flush: device id -> when
        self._streams: dict[str, int] = {}  # device id -> its event streams connected now
        # Taken by a flush but not stored (not worth a write yet, or the write failed), in the
        # hub's time: what that time was is known now, however its clock moves later.
        self._held: dict[str, datetime] = {}

    def saw(self, device: Device | None) -> None:
        """A request came with this device's token (None: with no device's)."""
        if device is None:
            return
        at = self._monotonic()
        with self._lock:
            self._seen[device.id] = at

    def stream_opened(self, device_id: str) -> Callable[[], None]:
        """An event stream of this device is connected; call what is returned once it ends
        (calling it again does nothing: the thread that notices the end may not be the only
        one told)."""
        with self._lock:
            self._streams[device_id] = self._streams.get(device_id, 0) + 1
            self._seen[device_id] = self._monotonic()
        ended = threading.Event()

        def closed() -> None:
            if ended.is_set():
                return
            ended.set()
            with self._lock:
                left = self._streams.get(device_id, 0) - 1
                if left > 0:
                    self._streams[device_id] = left
                else:
                    self._streams.pop(device_id, None)
                # Seen until the moment its stream ended.
                self._seen[device_id] = self._monotonic()

        return closed

    def streaming(self) -> set[str]:
        with self._lock:
            return set(self._streams)

    def current(self, now: datetime) -> dict[str, datetime]:
        """What this process has seen and not flushed yet, as times of the hub (`now` is the
        hub's time at this moment); a device with a stream open is seen `now`."""
        with self._lock:
            seen, streams, held = dict(self._seen), set(self._streams), dict(self._held)
        return _as_times(seen, streams, held, now, self._monotonic())

    def take(self, now: datetime) -> dict[str, datetime]:
        """Like `current`, and forget the sightings taken (open streams stay seen)."""
        with self._lock:
            seen, self._seen = self._seen, {}
            held, self._held = self._held, {}
            streams = set(self._streams)
        return _as_times(seen, streams, held, now, self._monotonic())

    def put_back(self, seen: dict[str, datetime]) -> None:
        """Sightings `take` gave that were not stored: kept for a later flush."""
        with self._lock:
            for device, at in seen.items():
                self._held[device] = max(self._held.get(device, at), at)


def _as_times(seen: dict[str, float], streams: set[str], held: dict[str, datetime],
              now: datetime, mono: float) -> dict[str, datetime]:
    out = dict(held)
    for device, at in seen.items():
        when = now - timedelta(seconds=max(0.0, mono - at))
        out[device] = max(out.get(device, when), when)
    for device in streams:
        out[device] = now
    return out


def is_online(last_seen: datetime | None, now: datetime, offline_after_s: int) -> bool:
    return last_seen is not None and (now - last_seen).total_seconds() < offline_after_s
