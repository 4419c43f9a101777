"""People ahead and the estimated wait, from the queue as it stands and recent service times."""
from __future__ import annotations

import math
from statistics import fmean

from .model import WAITING, Ticket

RECENT_SERVICES = 20  # how many finished tickets make "recent" service times


def ahead_of(ticket: Ticket, waiting_same_service: list[Ticket]) -> int:
    """Tickets in the same queue that will be called before this one."""
    if ticket.status != WAITING:
        return 0
    green = ticket.priority == "green"
    count = 0
    for other in waiting_same_service:
        if other.id == ticket.id or other.status != WAITING:
            continue
        if other.priority == "green" and not green:
            count += 1
        elif other.priority == ticket.priority and other.queue_key() < ticket.queue_key():
            count += 1
    return count


def average_service_s(recent_durations_s: list[float], default_minutes: float) -> float:
    """Mean of recent service times; the configured estimate until there are any."""
    usable = [d for d in recent_durations_s if d > 0]
    return fmean(usable) if usable else default_minutes * 60.0


def estimated_wait_s(ahead: int, average_s: float, open_windows: int) -> int:
    """Each open window serving the queue takes one person per average service time."""
    if ahead <= 0:
        return 0
    return int(math.ceil(ahead * average_s / max(1, open_windows)))
