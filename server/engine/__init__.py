"""The queue engine: pure rules over plain values. No Flask, SQL, clock or device in here."""
from . import estimate, rules
from .model import (
    AT_WINDOW,
    CALLED,
    CANCELLED,
    DONE,
    NO_SHOW,
    OPEN_STATES,
    PRIORITIES,
    RATINGS,
    SERVING,
    TRANSFERRED,
    WAITING,
    DomainError,
    Event,
    Outcome,
    Ticket,
    WindowState,
)

__all__ = [
    "estimate", "rules", "AT_WINDOW", "CALLED", "CANCELLED", "DONE", "NO_SHOW", "OPEN_STATES",
    "PRIORITIES", "RATINGS", "SERVING", "TRANSFERRED", "WAITING", "DomainError", "Event",
    "Outcome", "Ticket", "WindowState",
]
