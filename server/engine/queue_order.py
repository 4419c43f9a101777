"""The order in which a window would call its waiting tickets.

`rules.pick_next` chooses one ticket; the clerk console lists the whole line. Calling `pick_next`
again and again would cost a pass over the queue per place, so this is the same rule as one sort
key (the tests hold the two to the same answers).
"""
from __future__ import annotations

from collections.abc import Iterable

from ..config.model import Window
from .model import WAITING, Ticket


def call_order(window: Window, waiting: Iterable[Ticket]) -> list[Ticket]:
    """Green channel first (oldest first, whatever the service), then the window's order: the
    oldest ticket of any service, or service by service in the window's list."""
    rank = {s: i for i, s in enumerate(window.services)}
    by_service = window.order == "service-order"

    def key(t: Ticket) -> tuple:
        if t.priority == "green":
            return (0, 0, t.queue_key())
        return (1, rank[t.service] if by_service else 0, t.queue_key())

    return sorted((t for t in waiting if t.status == WAITING and t.service in rank), key=key)
