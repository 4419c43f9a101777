"""The queue's plain values: tickets, window states, domain events and domain errors."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

PRIORITIES = ("normal", "green")
RATINGS = ("satisfied", "basic", "unsatisfied")

WAITING, CALLED, SERVING, DONE = "waiting", "called", "serving", "done"
NO_SHOW, CANCELLED, TRANSFERRED = "no_show", "cancelled", "transferred"
CITIZEN, DAY_CLOSED = "citizen", "day_closed"  # cancel reasons
# A ticket in one of these states occupies a window.
AT_WINDOW = (CALLED, SERVING)
OPEN_STATES = (WAITING, CALLED, SERVING)


@dataclass(frozen=True)
class Ticket:
    id: str
    number: str  # what the citizen reads: prefix + three digits, "A023"
    seq_no: int  # the digits as a number, unique per origin service and hall day
    day: str  # the hall day, ISO date
    service: str  # the queue it waits in now (changes on transfer)
    origin_service: str  # the service it was issued for; its number belongs to this one
    priority: str
    status: str
    issued_at: datetime
    # Position in the queue: the issue time, or the time of a requeue after a no-show.
    # A transfer keeps it, so the citizen does not lose their place by time.
    queued_at: datetime
    token: str
    called_at: datetime | None = None  # the latest call
    started_at: datetime | None = None
    finished_at: datetime | None = None
    window: str | None = None
    rating: str | None = None
    lang: str | None = None
    device: str | None = None
    transfers: int = 0
    calls: int = 0  # how many times it was called (a requeued no-show can be called again)
    # Why a cancelled ticket was cancelled: CITIZEN (from the phone page) or DAY_CLOSED (still
    # waiting when its hall day ended), so the citizen's page can say which.
    cancel_reason: str | None = None
    # The first call, which waits are measured to: set once, never changed by a recall, a
    # requeue after a no-show or a transfer (those move `called_at` only).
    first_called_at: datetime | None = None
    # The member of staff who served it last, at `window` (None: a device nobody was signed in
    # at, or not at a window); reports by staff count it for them.
    staff: str | None = None
    # Issued by an appointment's check-in: its code and the slot's start. A late check-in
    # (`slot_late`) queues as a walk-in, still saying it was booked.
    appointment_code: str | None = None
    slot_start: datetime | None = None
    slot_late: bool = False
    rating_comment: str | None = None  # what the citizen wrote with their rating

    def latest_time(self) -> datetime:
        """The latest time written for this ticket: nothing later may be stamped before it."""
        return max(t for t in (self.issued_at, self.queued_at, self.first_called_at, self.called_at,
                               self.started_at, self.finished_at) if t is not None)

    def queue_key(self) -> tuple:
        """Order among tickets of equal priority: earliest queued first. On an exact tie the
        lower number of one service was issued first; across services the id keeps it stable."""
        return (self.queued_at, self.seq_no, self.id)

    def evolve(self, **changes) -> "Ticket":
        return replace(self, **changes)


BOOKED, CHECKED_IN = "booked", "checked_in"  # appointment statuses (and CANCELLED)


@dataclass(frozen=True)
class Appointment:
    """A citizen's booking of one slot of a service (预约)."""

    id: str
    code: str  # 6 digits: what the citizen types or scans at the kiosk
    token: str  # the citizen's key to their booking (cancelling it)
    service: str
    day: str  # the hall day of the slot
    start: datetime
    end: datetime
    status: str  # BOOKED | CHECKED_IN | CANCELLED
    created_at: datetime
    phone: str | None = None
    lang: str | None = None
    ticket_id: str | None = None  # the ticket its check-in issued


@dataclass(frozen=True)
class WindowState:
    id: str
    status: str  # open | paused | closed
    current: str | None = None  # id of the ticket called or being served here
    green_streak: int = 0  # green calls in a row here ([queue] green_ratio); a normal call resets it
    # The member of staff who last worked this window in person (the console): what its keys
    # and devices do is theirs. Closing the window or the day's end clears it.
    staff: str | None = None


@dataclass(frozen=True)
class Event:
    """A domain event; the store gives it its sequence number when it commits the change."""

    type: str
    at: datetime
    ticket: Ticket | None = None
    window: str | None = None
    data: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """What an operation changed, for the store to write in one transaction."""

    ticket: Ticket | None = None  # the ticket the caller asked about, as it is now
    tickets: list[Ticket] = field(default_factory=list)  # every ticket changed or created
    windows: list[WindowState] = field(default_factory=list)  # every window state changed
    events: list[Event] = field(default_factory=list)

    def extend(self, other: "Outcome") -> "Outcome":
        self.tickets += other.tickets
        self.windows += other.windows
        self.events += other.events
        return self


class DomainError(Exception):
    """A request the queue refuses. `code` and `status` map one-to-one onto the API's errors."""

    status = 409

    def __init__(self, code: str, message: str, message_zh: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.message_zh = code, message, message_zh
        if status is not None:
            self.status = status

    def __reduce__(self):
        # Sent from the writer process to a worker (server/write_service.py): rebuilt whole,
        # whatever arguments a subclass's __init__ takes.
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type, args: tuple, state: dict) -> DomainError:
    exc = cls.__new__(cls, *args)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc
