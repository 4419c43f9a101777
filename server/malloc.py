"""The hub's memory: glibc's malloc, tuned for many mostly idle threads under a 60 MB RSS
budget (outside glibc, which Raspberry Pi OS and Debian use, a no-op), and Python's collector.
"""
from __future__ import annotations

import ctypes
import gc


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each busy thread its own malloc arena; for a hub whose threads mostly wait,
    two arenas hold the same data in several fewer megabytes (the budget is 60 MB). One arena
    would be smaller still after reports, but its lock slowed the fan-out of a call to 100
    boards (p99 48 -> 71 ms in bench/hub.py)."""
    try:
        ctypes.CDLL(None).mallopt(-8, arenas)  # M_ARENA_MAX; absent outside glibc
    except (OSError, AttributeError):
        pass


def freeze_long_lived() -> None:
    """Once a process is built (config, store, app, threads), all it holds lives as long as it
    does: moved out of the collector's sight, a full collection no longer walks it. Measured at
    ten times a busy hall's peak: a full collection, during which no thread runs, 55 -> 3 ms."""
    gc.collect()
    gc.freeze()
