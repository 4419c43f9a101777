"""Sign-in throttling: after a few wrong passwords for one key, sign-in is refused for a while, so
a password cannot be guessed at the speed the hub answers. The console counts per clerk id, and
per client address only for ids no clerk has (console.login).

Kept in memory: a restart forgets the failures, which an attacker cannot trigger, and a second
hub process on the same file keeps its own count (it at most doubles the rate).
"""
from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 5
WINDOW_S = 5 * 60  # failures count when this close together ...
LOCK_S = 5 * 60  # ... and then lock the key this long
MAX_KEYS = 10_000  # bounds the memory a flood of made-up ids or addresses can take


class LoginThrottle:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque] = {}
        self._locked: dict[str, float] = {}  # key -> monotonic time the lock ends

    def locked_for(self, *keys: str) -> float | None:
        """Seconds until sign-in is allowed again for these keys, or None if it is now."""
        now = self.clock()
        with self._lock:
            ends = [self._locked[k] for k in keys if self._locked.get(k, 0) > now]
        return max(ends) - now if ends else None

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) + len(self._locked) > MAX_KEYS:
                self._prune(now)
            for key in keys:
                times = self._failures.setdefault(key, deque(maxlen=MAX_FAILURES))
                times.append(now)
                if len(times) == MAX_FAILURES and now - times[0] <= WINDOW_S:
                    self._locked[key] = now + LOCK_S
                    del self._failures[key]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        self._failures = {k: v for k, v in self._failures.items() if now - v[-1] <= WINDOW_S}
        self._locked = {k: end for k, end in self._locked.items() if end > now}
