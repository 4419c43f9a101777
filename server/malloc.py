"""glibc's malloc, tuned for a hub of many mostly idle threads under a 60 MB RSS budget.

Outside glibc (which Raspberry Pi OS and Debian use) it is a no-op.
"""
from __future__ import annotations

import ctypes


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each busy thread its own malloc arena; for a hub whose threads mostly wait,
    two arenas hold the same data in several fewer megabytes (the budget is 60 MB). One arena
    would be smaller still after reports, but its lock slowed the fan-out of a call to 100
    boards (p99 48 -> 71 ms in bench/hub.py)."""
    try:
        ctypes.CDLL(None).mallopt(-8, arenas)  # M_ARENA_MAX; absent outside glibc
    except (OSError, AttributeError):
        pass

