"""The names of the hub's events: what the engine emits, the store keeps, /api/events streams and
every device and page reacts to. One vocabulary, so a renamed or added event is changed here and
nowhere else (the browser's copy in server/web/static/common.js is checked against it by a test).

Constants only: the engine imports them and stays pure, and a device imports them without
importing the hub.
"""
from __future__ import annotations

TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"
TICKET_RECALLED = "ticket.recalled"
TICKET_STARTED = "ticket.started"  # the citizen arrived at the window
TICKET_FINISHED = "ticket.finished"
TICKET_NO_SHOW = "ticket.no_show"
TICKET_TRANSFERRED = "ticket.transferred"
TICKET_CANCELLED = "ticket.cancelled"
TICKET_RATED = "ticket.rated"
WINDOW_STATUS = "window.status"  # a window opened, paused or closed
NOTICES_CHANGED = "notices.changed"
DAY_RESET = "day.reset"  # the hall day rolled over (or was closed by hand)
DEVICE_STATUS = "device.status"  # a device reported a new state, or came online or went offline
HALL_CHANGED = "hall.changed"  # a new version of the hall config: {"version": N}; fetch /api/hall

# A number shown and announced at a window.
CALL_TYPES = (TICKET_CALLED, TICKET_RECALLED)
# The ticket has left its window: the window has nobody until its next call.
ENDED_TYPES = (TICKET_FINISHED, TICKET_NO_SHOW, TICKET_TRANSFERRED, TICKET_CANCELLED)

ALL_TYPES = (
    TICKET_ISSUED, TICKET_CALLED, TICKET_RECALLED, TICKET_STARTED, TICKET_FINISHED,
    TICKET_NO_SHOW, TICKET_TRANSFERRED, TICKET_CANCELLED, TICKET_RATED, WINDOW_STATUS,
    NOTICES_CHANGED, DAY_RESET, DEVICE_STATUS, HALL_CHANGED,
)
