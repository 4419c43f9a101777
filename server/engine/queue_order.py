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
from .rules import (
    STRICT,
    booked,
    due_since,
    green_turn,
    next_streak,
    normal_key,
    overdue_key,
    overdue_since,
    slot_begun,
    slot_key,
)


def call_order(window: Window, waiting: Iterable[Ticket], fairness: QueueRules = STRICT,
               streak: int = 0, now: datetime | None = None) -> list[Ticket]:
    """The line as successive call-nexts would call it, from the window's green `streak` now:
    normal tickets overdue at `now` first (oldest first), then green (oldest first, whatever the
    service) but a normal one after each `green_ratio` greens in a row, normal ones as
    `rules.pick_normal` takes them: booked tickets whose slot has begun (by slot), walk-ins by
    the window's order (the oldest of any service, or service by service in the window's list),
    then booked tickets whose slot is still to come (by slot)."""
    line = [t for t in waiting if t.status == WAITING and t.service in window.services]
    greens = sorted((t for t in line if t.priority == "green"), key=Ticket.queue_key)
    appts = sorted((t for t in line if t.priority != "green" and booked(t)), key=slot_key)
    normals = [t for t in appts if slot_begun(t, now)]
    normals += sorted((t for t in line if t.priority != "green" and not booked(t)), key=normal_key(window))
    normals += [t for t in appts if not slot_begun(t, now)]
    limit = overdue_since(fairness, now)
    overdue = [] if limit is None else sorted((t for t in normals if due_since(t) <= limit),
                                              key=overdue_key)
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


def _line_key(ticket: Ticket, now: datetime | None) -> tuple:
    """A normal ticket's place among the normal tickets of its service, as `rules.pick_normal`
    takes them at `now`."""
    if booked(ticket):
        return (0 if slot_begun(ticket, now) else 2, *slot_key(ticket))
    return (1, *ticket.queue_key())


def ahead_of(ticket: Ticket, same_service: Iterable[Ticket], now: datetime | None) -> int:
    """The waiting tickets of its service that call-next would take before `ticket` at `now`:
    green ones first (every green before a normal ticket; the fairness rules, which depend on
    each window's streak, are not foreseen), then normal ones in `pick_normal`'s order. The
    SQL store counts the same (repo.Tx.count_ahead)."""
    if ticket.status != WAITING:
        return 0
    others = [t for t in same_service if t.status == WAITING and t.id != ticket.id]
    if ticket.priority == "green":
        return sum(1 for t in others if t.priority == "green" and t.queue_key() < ticket.queue_key())
    mine = _line_key(ticket, now)
    return sum(1 for t in others if t.priority == "green" or _line_key(t, now) < mine)
