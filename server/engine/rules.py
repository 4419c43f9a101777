"""The queue's rules as pure functions.

Each operation takes the slice of state it needs (loaded by the store inside one write
transaction) and returns an `Outcome`: the tickets and window states it changed and the events
that say so. Nothing here reads a clock, a database or the network; `now` and new ids come in as
arguments, which is what lets the property tests drive thousands of random days.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from ... import events
from ..config.model import QueueRules, Service, Window
from .model import (
    AT_WINDOW,
    CALLED,
    CANCELLED,
    CITIZEN,
    DAY_CLOSED,
    DONE,
    NO_SHOW,
    PRIORITIES,
    RATINGS,
    SERVING,
    WAITING,
    DomainError,
    Event,
    Outcome,
    Ticket,
    WindowState,
)
from .rating import already_rated, require_rating

MAX_SEQ_NO = 999  # numbers have three digits


def hall_day(now: datetime, day_starts_at) -> date:
    """The hall day `now` belongs to: before `day_starts_at` it is still yesterday's day."""
    shift = timedelta(hours=day_starts_at.hour, minutes=day_starts_at.minute)
    return (now - shift).date()


def current_day(now: datetime, day_starts_at, stored_day: str | None) -> str:
    """Today's hall day as an ISO date: the day `now` falls in, but never before the day already
    stored. A wall clock stepped back across the day start must not re-open yesterday's day
    (its numbering would go on, or restart, in a day that has been closed)."""
    day = hall_day(now, day_starts_at).isoformat()
    return stored_day if stored_day is not None and stored_day > day else day


def stamp(ticket: Ticket, now: datetime) -> datetime:
    """The time to write for a change to `ticket`: `now`, but never before a time the ticket
    already has. A wall clock stepped back (NTP) would otherwise make a call come before the
    issue, and the figures would show negative waits and service times."""
    latest = ticket.latest_time()
    return now if now >= latest else latest


def format_number(prefix: str, seq_no: int) -> str:
    return f"{prefix}{seq_no:03d}"


# ---------------------------------------------------------------------------------------------
# Issuing


def issue(service: Service, *, day: str, now: datetime, last_seq_no: int, issued_today: int,
          ticket_id: str, token: str, priority: str = "normal", lang: str | None = None,
          device: str | None = None) -> Outcome:
    if priority not in PRIORITIES:
        raise DomainError("bad_request", f"priority must be one of {', '.join(PRIORITIES)}",
                          "优先级参数无效", status=400)
    if service.closed:  # closed now by the staff, within its hours or not
        raise DomainError("service_closed", f"Service {service.id} is closed for now",
                          "该业务暂停办理")
    if not service.is_open(now.weekday(), now.time()):
        raise DomainError("service_closed", f"Service {service.id} is not open now",
                          "该业务当前不在办理时间内")
    if service.daily_limit is not None and issued_today >= service.daily_limit:
        raise DomainError("daily_limit_reached",
                          f"Service {service.id} has issued its {service.daily_limit} tickets for today",
                          "该业务今日号源已满")
    seq_no = last_seq_no + 1
    if seq_no > MAX_SEQ_NO:
        raise DomainError("daily_limit_reached",
                          f"Service {service.id} has used all {MAX_SEQ_NO} numbers for today",
                          "该业务今日号码已用完")
    ticket = Ticket(
        id=ticket_id, number=format_number(service.prefix, seq_no), seq_no=seq_no, day=day,
        service=service.id, origin_service=service.id, priority=priority, status=WAITING,
        issued_at=now, queued_at=now, token=token, lang=lang, device=device)
    return Outcome(ticket=ticket, tickets=[ticket], events=[Event(events.TICKET_ISSUED, now, ticket)])


# ---------------------------------------------------------------------------------------------
# Calling


STRICT = QueueRules()  # green strictly first, no maximum wait: the rule before [queue]


def overdue_since(fairness: QueueRules, now: datetime | None) -> datetime | None:
    """A normal ticket queued at or before this time has waited `max_wait_minutes` (None: the
    rule is off, or no time was given)."""
    if fairness.max_wait_minutes <= 0 or now is None:
        return None
    return now - timedelta(minutes=fairness.max_wait_minutes)


def normal_key(window: Window):
    """The window's own order among normal tickets: oldest first, or service by service."""
    if window.order != "service-order":
        return Ticket.queue_key
    rank = {s: i for i, s in enumerate(window.services)}
    return lambda t: (rank[t.service], t.queue_key())


def green_turn(fairness: QueueRules, streak: int, normal_waits: bool) -> bool:
    """Whether a green ticket may be called now: always, unless normal tickets wait and the
    window has made `green_ratio` green calls in a row (then a normal one's turn has come)."""
    return not (normal_waits and fairness.green_ratio > 0 and streak >= fairness.green_ratio)


def next_streak(streak: int, called: Ticket) -> int:
    return streak + 1 if called.priority == "green" else 0


def booked(ticket: Ticket) -> bool:
    """Whether a ticket queues as a checked-in appointment: checked in in time (a late check-in
    queues as a walk-in) and never called yet (a requeued no-show or a transferred ticket has
    had its turn, and queues by its queue time as a walk-in does)."""
    return (ticket.appointment_code is not None and ticket.slot_start is not None
            and not ticket.slot_late and ticket.calls == 0)


def slot_begun(ticket: Ticket, now: datetime | None) -> bool:
    """A booked ticket whose slot has begun (`now` None: every slot counts as begun)."""
    return now is None or ticket.slot_start <= now


def slot_key(ticket: Ticket) -> tuple:
    """Order among booked tickets: by slot, then as any other ticket."""
    return (ticket.slot_start, *ticket.queue_key())


def due_since(ticket: Ticket) -> datetime:
    """Since when a normal ticket has been due to be called, for `max_wait_minutes`: a booked
    ticket since its slot began (not since it checked in early), any other since it queued."""
    return ticket.slot_start if booked(ticket) else ticket.queued_at


def overdue_key(ticket: Ticket) -> tuple:
    return (due_since(ticket), *ticket.queue_key())


def pick_normal(window: Window, normal: list[Ticket], now: datetime | None) -> Ticket | None:
    """The normal (not green) ticket the window calls: a booked ticket whose slot has begun (by
    slot), else a walk-in (by the window's order), else a booked ticket whose slot is still to
    come (by slot): one who checked in early waits behind the walk-ins until the slot begins,
    unless nobody else waits."""
    appts = [t for t in normal if booked(t)]
    begun = [t for t in appts if slot_begun(t, now)]
    if begun:
        return min(begun, key=slot_key)
    walk_ins = [t for t in normal if not booked(t)]
    if walk_ins:
        return min(walk_ins, key=normal_key(window))
    return min(appts, key=slot_key, default=None)


def pick_next(window: Window, waiting: list[Ticket], fairness: QueueRules = STRICT,
              streak: int = 0, now: datetime | None = None) -> Ticket | None:
    """The ticket this window should call: a normal ticket that has waited too long (oldest
    first, a booked one counted from its slot's start), else green channel first (but a normal
    one after `green_ratio` greens in a row, `streak` being this window's), else the normal
    ticket `pick_normal` chooses. `now` matters to `max_wait_minutes` and to which booked
    slots have begun."""
    candidates = [t for t in waiting if t.status == WAITING and t.service in window.services]
    if not candidates:
        return None
    green = [t for t in candidates if t.priority == "green"]
    normal = [t for t in candidates if t.priority != "green"]
    limit = overdue_since(fairness, now)
    if limit is not None:
        overdue = [t for t in normal if due_since(t) <= limit]
        if overdue:
            return min(overdue, key=overdue_key)
    if green and green_turn(fairness, streak, bool(normal)):
        return min(green, key=Ticket.queue_key)
    return pick_normal(window, normal, now)


def _window_zh(window_id: str) -> str:
    return f"{window_id}号窗口" if window_id.isdigit() else f"窗口 {window_id}"


def closed_for_today(state: WindowState) -> DomainError:
    # One wording wherever a closed window refuses: closed is for the rest of the hall day,
    # and resuming is not the way out (a clerk closing by mistake asks a supervisor).
    return DomainError("window_closed",
                       f"Window {state.id} is closed for today; a supervisor can reopen it",
                       f"{_window_zh(state.id)}今日已关闭，可由值班主任重新开启")


def _require_open(state: WindowState) -> None:
    if state.status == "closed":
        raise closed_for_today(state)
    if state.status != "open":
        raise DomainError("window_closed", f"Window {state.id} is paused", "该窗口已暂停或关闭")


def _require_current(state: WindowState, current: Ticket | None) -> Ticket:
    if current is None or state.current != current.id or current.status not in AT_WINDOW:
        raise DomainError("nothing_called", f"Window {state.id} has no current ticket",
                          "该窗口当前没有叫号")
    return current


def _require_called(state: WindowState, current: Ticket | None, message_zh: str) -> Ticket:
    """The window's ticket, which must be called and not yet being served."""
    _require_open(state)
    ticket = _require_current(state, current)
    if ticket.status != CALLED:
        raise DomainError("invalid_state", f"Ticket {ticket.number} is already being served",
                          message_zh)
    return ticket


def _finish(state: WindowState, current: Ticket, now: datetime, rating: str | None) -> Outcome:
    at = stamp(current, now)
    done = current.evolve(status=DONE, finished_at=at, rating=rating,
                          started_at=current.started_at or current.called_at)
    return Outcome(ticket=done, tickets=[done],
                   events=[Event(events.TICKET_FINISHED, at, done, state.id,
                                 {"rating": rating} if rating else {})])


def _call(window: Window, state: WindowState, current: Ticket | None, chosen: Ticket | None,
          now: datetime) -> Outcome:
    """Finish whatever is at the window, then call `chosen` (None: nobody), counting the
    window's green calls in a row."""
    out = Outcome()
    if current is not None and state.current == current.id and current.status in AT_WINDOW:
        out.extend(_finish(state, current, now, None))
    new_state = replace(state, current=chosen.id if chosen else None)
    if chosen is not None:
        new_state = replace(new_state, green_streak=next_streak(state.green_streak, chosen))
        at = stamp(chosen, now)
        # A ticket transferred while being served starts again at this window: the time it
        # started at the first one would make its visit here seem to begin before its call.
        # The first call is kept for good: waits are measured to it, whatever comes after
        # (a recall, a requeued no-show called again, a transfer called at another window).
        called = chosen.evolve(status=CALLED, called_at=at, started_at=None, window=window.id,
                               calls=chosen.calls + 1,
                               first_called_at=chosen.first_called_at or at)
        out.tickets.append(called)
        out.events.append(Event(events.TICKET_CALLED, at, called, window.id))
        out.ticket = called
    if new_state != state:
        out.windows.append(new_state)
    return out


def call_next(window: Window, state: WindowState, current: Ticket | None, waiting: list[Ticket],
              now: datetime, fairness: QueueRules = STRICT) -> Outcome:
    """Finish whatever is at the window, then call the next ticket (None when nobody waits).
    `fairness`: the window's effective rules (`window.queue_rules(config.queue)`)."""
    _require_open(state)
    return _call(window, state, current,
                 pick_next(window, waiting, fairness, state.green_streak, now), now)


def call_chosen(window: Window, state: WindowState, current: Ticket | None,
                chosen: Ticket | None, number: str, now: datetime,
                day: str | None = None) -> Outcome:
    """Call a ticket out of order (a supervisor's choice): `chosen` is the ticket found by
    `number`, which must be waiting, today (`day`; None: not checked), for one of this
    window's services. Otherwise like call-next, the window's green streak included."""
    _require_open(state)
    if (chosen is None or chosen.status != WAITING or chosen.service not in window.services
            or day is not None and chosen.day != day):
        raise DomainError("invalid_state", f"No ticket {number} is waiting for window {window.id}",
                          f"{number} 不在{_window_zh(window.id)}的等候队列中")
    return _call(window, state, current, chosen, now)


def recall(state: WindowState, current: Ticket | None, now: datetime) -> Outcome:
    ticket = _require_called(state, current, "该号已在办理中，无需重复呼叫")
    recalled = ticket.evolve(calls=ticket.calls + 1)
    return Outcome(ticket=recalled, tickets=[recalled],
                   events=[Event(events.TICKET_RECALLED, stamp(ticket, now), recalled, state.id)])


def start(state: WindowState, current: Ticket | None, now: datetime) -> Outcome:
    ticket = _require_called(state, current, "该号已在办理中")
    at = stamp(ticket, now)
    serving = ticket.evolve(status=SERVING, started_at=at)
    return Outcome(ticket=serving, tickets=[serving],
                   events=[Event(events.TICKET_STARTED, at, serving, state.id)])


def finish(state: WindowState, current: Ticket | None, now: datetime,
           rating: str | None = None) -> Outcome:
    _require_open(state)
    if rating is not None:
        require_rating(rating)
    ticket = _require_current(state, current)
    out = _finish(state, ticket, now, rating)
    out.windows.append(replace(state, current=None))
    return out


def _require_today(ticket: Ticket, day: str | None, what: str, what_zh: str) -> None:
    """A ticket kept at its window over the roll-over belongs to a hall day whose queues are
    closed: it cannot wait again (no window would call it, and its number is that day's)."""
    if day is not None and ticket.day != day:
        raise DomainError(
            "invalid_state",
            f"Ticket {ticket.number} is from the hall day {ticket.day}, whose queues have closed: "
            f"it cannot be {what}; finish it or record a no-show",
            f"{ticket.number} 属于已结束的营业日（{ticket.day}），不能{what_zh}，请办结或记为过号")


def no_show(state: WindowState, current: Ticket | None, now: datetime,
            requeue: bool = False, day: str | None = None) -> Outcome:
    """`day` is today's hall day (None: not checked)."""
    ticket = _require_called(state, current, "该号已在办理中，不能记为过号")
    at = stamp(ticket, now)
    if requeue:
        _require_today(ticket, day, "put back in the queue", "重新排队")
        # Back in line behind everybody waiting now, keeping its number.
        after = ticket.evolve(status=WAITING, window=None, queued_at=at)
    else:
        after = ticket.evolve(status=NO_SHOW, finished_at=at)
    return Outcome(ticket=after, tickets=[after],
                   windows=[replace(state, current=None)],
                   events=[Event(events.TICKET_NO_SHOW, at, after, state.id, {"requeued": requeue})])


def transfer(state: WindowState, current: Ticket | None, target: Service, now: datetime,
             day: str | None = None) -> Outcome:
    _require_open(state)
    ticket = _require_current(state, current)
    _require_today(ticket, day, "transferred", "转办")
    if target.id == ticket.service:
        raise DomainError("invalid_state", f"Ticket {ticket.number} is already in {target.id}",
                          "该号已在此业务队列中")
    moved = ticket.evolve(status=WAITING, service=target.id, window=None,
                          transfers=ticket.transfers + 1)
    return Outcome(ticket=moved, tickets=[moved],
                   windows=[replace(state, current=None)],
                   events=[Event(events.TICKET_TRANSFERRED, stamp(ticket, now), moved, state.id,
                                 {"from_service": ticket.service, "to_service": target.id})])


def set_status(state: WindowState, status: str, current: Ticket | None, now: datetime) -> Outcome:
    """Pause, resume or close a window. A closed window stays closed for the rest of the hall
    day: neither pausing nor resuming opens it (`reopen` does, for a supervisor). Asking for
    the status it already has changes nothing."""
    if state.status == status:
        return Outcome()
    if state.status == "closed":
        raise closed_for_today(state)
    if status == "closed" and current is not None and state.current == current.id \
            and current.status in AT_WINDOW:
        raise DomainError("invalid_state", f"Window {state.id} still has {current.number}; finish it first",
                          "该窗口仍有正在办理的号，请先办结")
    return _status_changed(state, status, now)


def _status_changed(state: WindowState, status: str, now: datetime) -> Outcome:
    return Outcome(windows=[replace(state, status=status)],
                   events=[Event(events.WINDOW_STATUS, now, None, state.id, {"status": status})])


def reopen(state: WindowState, now: datetime) -> Outcome:
    """A supervisor opens a window closed for the day; any other window is left as it is."""
    if state.status != "closed":
        return Outcome()
    return _status_changed(state, "open", now)


# How long after a ticket is finished its citizen may still rate it at the window's rating keys.
RATE_WITHIN = timedelta(minutes=5)


def rate(state: WindowState, current: Ticket | None, last_done: Ticket | None, rating: str | None,
         now: datetime) -> Outcome:
    """A citizen presses a rating key at the window. With a ticket still at the window this
    finishes it with the rating (the citizen's press ends the visit); otherwise it rates the
    ticket this window finished last, if that was a few minutes ago and is not rated yet."""
    require_rating(rating)
    if current is not None and state.current == current.id and current.status in AT_WINDOW:
        return finish(state, current, now, rating)
    if (last_done is None or last_done.status != DONE or last_done.window != state.id
            or last_done.finished_at is None or now - last_done.finished_at > RATE_WITHIN):
        raise DomainError("nothing_called", f"Window {state.id} has no ticket to rate",
                          "该窗口当前没有可评价的号")
    if last_done.rating is not None:  # by these keys, the console or the citizen's phone
        raise already_rated(last_done)
    rated = last_done.evolve(rating=rating)
    return Outcome(ticket=rated, tickets=[rated],
                   events=[Event(events.TICKET_RATED, stamp(last_done, now), rated, state.id,
                                 {"rating": rating})])


WINDOW_STATUS_ACTIONS = {"pause": "paused", "resume": "open", "close": "closed", "open": "open"}
WINDOW_ACTIONS = ("call-next", "call", "recall", "start", "finish", "no-show", "transfer", "rate",
                  *WINDOW_STATUS_ACTIONS)
# Not every device or clerk at a window may do these: a supervisor's (or the admin's) choices.
PRIVILEGED_ACTIONS = ("call", "open")


def require_action(action: str) -> None:
    """The window actions there are (the API asks before it asks who is calling)."""
    if action not in WINDOW_ACTIONS:
        raise DomainError("not_found", f"Unknown window action {action!r}", "不支持该操作",
                          status=404)


def window_action(action: str, window: Window, state: WindowState, current: Ticket | None,
                  waiting: list[Ticket], now: datetime, *, rating: str | None = None,
                  requeue: bool = False, target: Service | None = None,
                  last_done: Ticket | None = None, day: str | None = None,
                  fairness: QueueRules = STRICT, chosen: Ticket | None = None,
                  number: str | None = None, staff: str | None = None) -> Outcome:
    """One clerk action at a window, by its API name. `waiting` and `fairness` (the window's
    effective rules) matter only to call-next, `chosen` (the ticket found by `number`) only to
    call, `last_done` (the ticket this window finished last) only to rate, `day` (today's hall
    day) to call, no-show with requeue and transfer. `staff`: the member of staff acting in
    person (None: a device, such as the window's keys)."""
    return _served_by(_dispatch(action, window, state, current, waiting, now, rating=rating,
                                requeue=requeue, target=target, last_done=last_done, day=day,
                                fairness=fairness, chosen=chosen, number=number),
                      action, state, staff)


def _served_by(out: Outcome, action: str, state: WindowState, staff: str | None) -> Outcome:
    """Who served what this action touched. A member of staff acting in person takes the window,
    so that its keys then act for them, unless the action is a supervisor's from afar
    (PRIVILEGED_ACTIONS: calling out of order, reopening); closing the window leaves it nobody's.
    Each ticket the window calls, serves or ends is then that person's (the one who called it,
    when the window's keys end it and nobody is known to be there); a ticket that left the
    window (requeued, transferred) is nobody's until a window calls it again, as its `window`
    says. Rating a ticket afterwards changes nobody."""
    if action == "close":
        at_window = None
    elif staff is not None and action not in PRIVILEGED_ACTIONS:
        at_window = staff
    else:
        at_window = state.staff
    ours = [w for w in out.windows if w.id == state.id]
    now_state = ours[-1] if ours else state
    if now_state.staff != at_window:
        out.windows = [w for w in out.windows if w.id != state.id] + [replace(now_state, staff=at_window)]
    rated = {e.ticket.id for e in out.events if e.type == events.TICKET_RATED and e.ticket}
    changed = {}
    for t in out.tickets:
        who = (at_window or t.staff) if t.window is not None else None
        if t.id not in rated and t.staff != who:
            changed[t.id] = t.evolve(staff=who)
    if changed:
        out.tickets = [changed.get(t.id, t) for t in out.tickets]
        out.events = [replace(e, ticket=changed[e.ticket.id]) if e.ticket and e.ticket.id in changed
                      else e for e in out.events]
        if out.ticket is not None:
            out.ticket = changed.get(out.ticket.id, out.ticket)
    return out


def _dispatch(action: str, window: Window, state: WindowState, current: Ticket | None,
              waiting: list[Ticket], now: datetime, *, rating: str | None, requeue: bool,
              target: Service | None, last_done: Ticket | None, day: str | None,
              fairness: QueueRules, chosen: Ticket | None, number: str | None) -> Outcome:
    require_action(action)
    if action == "call-next":
        return call_next(window, state, current, waiting, now, fairness)
    if action == "call":
        return call_chosen(window, state, current, chosen, number or "", now, day)
    if action == "recall":
        return recall(state, current, now)
    if action == "start":
        return start(state, current, now)
    if action == "finish":
        return finish(state, current, now, rating)
    if action == "no-show":
        return no_show(state, current, now, requeue, day)
    if action == "transfer":
        return transfer(state, current, target, now, day)
    if action == "rate":
        return rate(state, current, last_done, rating, now)
    if action == "open":
        return reopen(state, now)
    return set_status(state, WINDOW_STATUS_ACTIONS[action], current, now)


def allowed_actions(window: Window, state: WindowState, current: Ticket | None,
                    waiting: list[Ticket], targets: list[Service], last_done: Ticket | None,
                    now: datetime, day: str, fairness: QueueRules = STRICT,
                    may: Collection[str] = ()) -> tuple[str, ...]:
    """The window actions that the rules above accept at this window now and that would change
    something (call-next with nobody to call or finish, pausing a paused window: nothing).
    Found by trying each rule on the state, so there is no second statement of them to keep in
    step. `targets`: the services a ticket may be transferred to; transfer fits if one does.
    `may`: which of PRIVILEGED_ACTIONS the asker has the right to. `call` is not listed: it is
    an action on a ticket of the line, and fits wherever call-next would call someone."""
    allowed = []
    for action in WINDOW_ACTIONS:
        if action == "call" or action in PRIVILEGED_ACTIONS and action not in may:
            continue
        for target in targets if action == "transfer" else [None]:
            try:
                out = window_action(action, window, state, current, waiting, now,
                                    rating=RATINGS[0] if action == "rate" else None,
                                    target=target, last_done=last_done, day=day,
                                    fairness=fairness)
            except DomainError:
                continue
            if out.events:
                allowed.append(action)
                break
    return tuple(allowed)


def cancel(ticket: Ticket, now: datetime) -> Outcome:
    """The citizen gives up a ticket that is still waiting (from the phone page)."""
    if ticket.status != WAITING:
        raise DomainError("invalid_state", f"Ticket {ticket.number} is {ticket.status}, not waiting",
                          "该号已不在等候中，无法取消")
    at = stamp(ticket, now)
    cancelled = ticket.evolve(status=CANCELLED, finished_at=at, cancel_reason=CITIZEN)
    return Outcome(ticket=cancelled, tickets=[cancelled],
                   events=[Event(events.TICKET_CANCELLED, at, cancelled, None, {"reason": CITIZEN})])


# ---------------------------------------------------------------------------------------------
# The hall day


def close_day(old_day: str, new_day: str, open_tickets: list[Ticket],
              windows: list[WindowState], now: datetime,
              configured: Mapping[str, str] | None = None) -> Outcome:
    """End a hall day: tickets still waiting are cancelled (kept, not deleted: the phone page
    says the day ended). A citizen called or being served stays at the window until the clerk
    ends the visit, and counts for the day the ticket was issued; the window's next call-next
    finishes it and calls from the new day's queue. A window pointing at anything else is
    cleared. A window closed for the day gets back the status `configured` gives it (window id
    -> the config's status; a window it does not name stays as it is)."""
    out = Outcome()
    configured = configured or {}
    at_windows = {t.id for t in open_tickets if t.status in AT_WINDOW and t.window is not None}
    for t in open_tickets:
        if t.status == WAITING:
            at = stamp(t, now)
            cancelled = t.evolve(status=CANCELLED, finished_at=at, cancel_reason=DAY_CLOSED)
            out.tickets.append(cancelled)
            out.events.append(Event(events.TICKET_CANCELLED, at, cancelled, None,
                                    {"reason": DAY_CLOSED}))
    for w in windows:
        after = w
        if w.current is not None and w.current not in at_windows:
            after = replace(after, current=None)
        if w.staff is not None:  # a new day: nobody has worked the window yet
            after = replace(after, staff=None)
        if w.status == "closed" and configured.get(w.id, "closed") != "closed":
            after = replace(after, status=configured[w.id])
            out.events.append(Event(events.WINDOW_STATUS, now, None, w.id, {"status": after.status}))
        if after != w:
            out.windows.append(after)
    out.events.append(Event(events.DAY_RESET, now, None, None, {"closed_day": old_day, "day": new_day}))
    return out
