"""The order in which a window would call its waiting tickets.

`rules.pick_next` chooses one ticket; the clerk console lists the whole line. Calling `pick_next`
again and again would cost a pass over the queue per place, so this is the same rule as sorted
queues merged in one pass (the tests hold the two to the same answers).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..config.model import QueueRules, Window
from .model import WAITING, Ticket
from .rules import STRICT, green_turn, next_streak, normal_key, overdue_since


def call_order(window: Window, waiting: Iterable[Ticket], fairness: QueueRules = STRICT,
               streak: int = 0, now: datetime | None = None) -> list[Ticket]:
    """The line as successive call-nexts would call it, from the window's green `streak` now:
    normal tickets overdue at `now` first (oldest first), then green (oldest first, whatever the
    service) but a normal one after each `green_ratio` greens in a row, normal ones by the
    window's order: the oldest of any service, or service by service in the window's list."""
    line = [t for t in waiting if t.status == WAITING and t.service in window.services]
    greens = sorted((t for t in line if t.priority == "green"), key=Ticket.queue_key)
    normals = sorted((t for t in line if t.priority != "green"), key=normal_key(window))
    limit = overdue_since(fairness, now)
    overdue = [] if limit is None else sorted((t for t in normals if t.queued_at <= limit),
                                              key=Ticket.queue_key)
    order: list[Ticket] = []
    taken: set[str] = set()  # the overdue ones are also in `normals`
    g = n = o = 0
    while len(order) < len(line):
        while n < len(normals) and normals[n].id in taken:
            n += 1
        if o < len(overdue):
            chosen, o = overdue[o], o + 1
        elif g < len(greens) and green_turn(fairness, streak, n < len(normals)):
            chosen, g = greens[g], g + 1
        else:
            chosen, n = normals[n], n + 1
        taken.add(chosen.id)
        order.append(chosen)
        streak = next_streak(streak, chosen)
    return order
