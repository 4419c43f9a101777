"""The citizen's own rating of a finished visit, from the phone page (API.md "The citizen's
rating").

A ticket is rated once, whichever way the rating comes: the window's rating keys and the
console (rules.rate) and the phone (here) all refuse a ticket already rated with
`already_rated`, so a citizen cannot overwrite the key they pressed at the counter, nor the other
way round.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ... import events
from .model import DONE, RATINGS, DomainError, Event, Outcome, Ticket

# How long after the visit the phone page still takes a rating: the hall wants the citizen's
# word on the visit, not on one remembered days later (and an old link should not change figures
# already reported).
PHONE_RATE_WITHIN = timedelta(hours=24)
MAX_COMMENT = 500  # characters, after trimming


def already_rated(ticket: Ticket) -> DomainError:
    return DomainError("already_rated", f"Ticket {ticket.number} is already rated",
                       "该号已评价，每个号只能评价一次")


def require_rating(rating: str | None) -> None:
    """A rating is one of RATINGS, however it comes (keys, console, phone)."""
    if rating not in RATINGS:
        raise DomainError("bad_request", f"rating must be one of {', '.join(RATINGS)}",
                          "评价参数无效", status=400)


def clean_comment(comment: str | None) -> str | None:
    """The comment as stored: trimmed, None when empty; refused when too long."""
    if comment is None:
        return None
    text = comment.strip()
    if len(text) > MAX_COMMENT:
        raise DomainError("bad_request",
                          f"comment must be at most {MAX_COMMENT} characters, not {len(text)}",
                          f"评价内容最多 {MAX_COMMENT} 字（现为 {len(text)} 字）", status=400)
    return text or None


def rate_by_citizen(ticket: Ticket, rating: str, comment: str | None, now: datetime) -> Outcome:
    """The citizen rates their ticket from the phone page. The event carries the rating but not
    the comment: the event stream is public, and the comment is for the staff who follow it up
    (the reports' unsatisfied list)."""
    require_rating(rating)
    text = clean_comment(comment)
    if ticket.rating is not None:
        raise already_rated(ticket)
    if ticket.status != DONE or ticket.finished_at is None:
        raise DomainError("invalid_state",
                          f"Ticket {ticket.number} is {ticket.status}: only a finished visit can be rated",
                          "该号尚未办结，办结后才能评价")
    if now - ticket.finished_at > PHONE_RATE_WITHIN:
        raise DomainError("invalid_state",
                          f"Ticket {ticket.number} was finished more than 24 hours ago and can no "
                          "longer be rated", "该号办结已超过 24 小时，无法再评价")
    at = max(now, ticket.latest_time())  # never before the visit it rates (a clock stepped back)
    rated = ticket.evolve(rating=rating, rating_comment=text)
    return Outcome(ticket=rated, tickets=[rated],
                   events=[Event(events.TICKET_RATED, at, rated, ticket.window,
                                 {"rating": rating, "by": "citizen"})])
