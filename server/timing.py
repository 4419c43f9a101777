"""Where a request's time went, for the Server-Timing response header.

The store records how long a write waited for the write lock and how long its commit (the fsync)
took; the web layer reports them with the request's total, so a benchmark or an operator can tell
queueing behind other writers from disk latency from the hub's own work.
"""
from __future__ import annotations

from contextvars import ContextVar

_spans: ContextVar[dict | None] = ContextVar("hallcall_timing", default=None)


def start() -> None:
    _spans.set({})


def record(name: str, seconds: float) -> None:
    spans = _spans.get()
    if spans is not None:
        spans[name] = spans.get(name, 0.0) + seconds


def header(total_s: float) -> str:
    parts = [f"{name};dur={s * 1000:.2f}" for name, s in (_spans.get() or {}).items()]
    return ", ".join([f"app;dur={total_s * 1000:.2f}", *parts])
