"""Per-device issuing limits: a token bucket per device, refilled continuously."""
from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # device -> (tokens, last refill)

    def allow(self, key: str, per_minute: int | None) -> float | None:
        """None if allowed now, otherwise the seconds until the next request would be."""
        if per_minute is None:
            return None
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(per_minute), now))
            # A full minute's worth may come in a burst (a queue at the kiosk at opening time).
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate
