"""A hall's POST /api/central/events (docs/central.md): checked whole before
anything is written, then kept in one transaction: the new events once each, the tickets they
carry (latest state by seq), the windows' status, the hall's position and liveness.

The order check is the contract's: events with seq <= the held last_seq are a retried batch and
ignored; the first new one must be last_seq + 1, else 409 out_of_order with last_seq, nothing kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..config.loader import CENTRAL_HALL_ID_RE, CENTRAL_MIN_TOKEN
from ..config.model import token_sha256
from .schema import hall_events, halls, tickets, windows
from .store import CentralStore, lock_hall

# The hall id and token rules are the hall config's [central] ones: what a hall may be set to send.
HALL_ID, MIN_TOKEN = CENTRAL_HALL_ID_RE, CENTRAL_MIN_TOKEN
MAX_EVENTS = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_TICKET_TEXT = ("id", "number", "service", "origin_service", "priority", "status", "day")
_TICKET_TIMES = ("issued_at", "called_at", "first_called_at", "started_at", "finished_at")
_TICKET_OPTIONAL_TEXT = ("window", "staff", "rating", "cancel_reason")


class Refused(Exception):
    """The post is refused: (status, code, message, extra fields beside the error)."""

    def __init__(self, status: int, code: str, message: str, beside: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.beside = status, code, message, beside or {}


def bad(message: str) -> Refused:
    return Refused(400, "bad_request", message)


def bearer(header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header, or 401."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or len(token) < MIN_TOKEN:
        raise Refused(401, "unauthorized",
                      f"Authorization: Bearer <the hall's central token, at least {MIN_TOKEN} "
                      "characters> is required")
    return token


def micros(text, where: str, optional: bool = False) -> int | None:
    """An ISO time with its offset as integer microseconds UTC."""
    if text is None and optional:
        return None
    try:
        return _micros(text)
    except (TypeError, ValueError):
        raise bad(f"{where} must be an ISO time with its offset") from None


@lru_cache(maxsize=8192)
def _micros(text: str) -> int:
    # Cached: a ticket's times come again in each of its events (a busy day: 4 events a ticket).
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError(text)
    return (dt - _EPOCH) // _US


@dataclass
class Post:
    hall: str
    events: list[dict]
    pending: int | None  # None: not said (the first heartbeat after a start); not caught up
    info: dict | None
    at: list[int] = field(default_factory=list)  # each event's `at`, microseconds UTC
    rows: list[dict | None] = field(default_factory=list)  # each event's ticket as a row


def parse(body) -> Post:
    """The checked post, or a 400 that names the first problem."""
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object {\"hall\", \"events\"}")
    hall = body.get("hall")
    if not isinstance(hall, str) or not HALL_ID.fullmatch(hall):
        raise bad("hall must be a hall id: [a-z0-9][a-z0-9-]{0,62}")
    events = body.get("events")
    if not isinstance(events, list):
        raise bad("events must be a list of events (it may be empty)")
    if len(events) > MAX_EVENTS:
        raise bad(f"events: at most {MAX_EVENTS} in one post")
    pending = body.get("pending")
    if pending is not None and (not _whole(pending) or pending < 0):
        raise bad("pending must be a whole number, 0 or more")
    info = body.get("info")
    if info is not None:
        _check_info(info)
    post = Post(hall, events, pending, info)
    for i, event in enumerate(events):
        at, row = _check_event(event, f"events[{i}]")
        if i and event["seq"] != events[i - 1]["seq"] + 1:
            raise bad(f"events[{i}].seq: events must be in seq order and consecutive "
                      f"({events[i - 1]['seq']} then {event['seq']})")
        post.at.append(at)
        post.rows.append(row)
    return post


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_event(event, where: str) -> tuple[int, dict | None]:
    """(its `at` in microseconds, its ticket as a row of `tickets` but for `hall`)."""
    if not isinstance(event, dict):
        raise bad(f"{where} must be an object")
    if not _whole(event.get("seq")) or event["seq"] < 1:
        raise bad(f"{where}.seq must be a whole number from 1")
    if not isinstance(event.get("type"), str) or not 0 < len(event["type"]) <= 32:
        raise bad(f"{where}.type must be the event's type")
    at = micros(event.get("at"), f"{where}.at")
    ticket = event.get("ticket")
    row = _ticket_row(event["seq"], ticket, f"{where}.ticket") if ticket is not None else None
    window = event.get("window")
    if window is not None and not (isinstance(window, dict) and isinstance(window.get("id"), str)):
        raise bad(f"{where}.window must be {{\"id\", \"name\"}}")
    if event["type"] == "window.status" and not isinstance(event.get("status"), str):
        raise bad(f"{where}.status must be the window's status")
    return at, row


def _ticket_row(seq: int, ticket, where: str) -> dict:
    if not isinstance(ticket, dict):
        raise bad(f"{where} must be an object")
    row = {"seq": seq}
    for key in _TICKET_TEXT:
        value = row[key] = ticket.get(key)
        if not isinstance(value, str) or not value:
            raise bad(f"{where}.{key} must be a string")
    for key in _TICKET_OPTIONAL_TEXT:
        value = row[key] = ticket.get(key)
        if value is not None and not isinstance(value, str):
            raise bad(f"{where}.{key} must be a string or null")
    row["issued_at"] = micros(ticket.get("issued_at"), f"{where}.issued_at")
    for key in _TICKET_TIMES[1:]:
        row[key] = micros(ticket.get(key), f"{where}.{key}", optional=True)
    transfers = row["transfers"] = ticket.get("transfers") or 0
    if not _whole(transfers):
        raise bad(f"{where}.transfers must be a whole number")
    return row


def _check_info(info) -> None:
    if not isinstance(info, dict):
        raise bad("info must be an object")
    name = info.get("name")
    if name is not None and not (isinstance(name, dict) and isinstance(name.get("zh"), str)):
        raise bad("info.name must be {\"zh\", \"en\"}")
    zone = info.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (TypeError, ValueError, KeyError, OSError):
            raise bad("info.timezone must be a time zone name such as Asia/Shanghai") from None
    for part in ("services", "windows", "departments"):
        items = info.get(part)
        if items is None:
            continue
        if not isinstance(items, list) or not all(
                isinstance(x, dict) and isinstance(x.get("id"), str) for x in items):
            raise bad(f"info.{part} must be a list of objects with an id")
    if not all(isinstance(w.get("status", ""), str) for w in info.get("windows") or ()):
        raise bad("info.windows[].status must be a string (open, paused, closed)")


def _upsert(conn, table, rows: list[dict], keys: tuple[str, ...]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    changed = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=changed), rows)


def ingest(store: CentralStore, token: str, post: Post, now_us: int) -> int:
    """Keep the post; the hall's last_seq after it. Raises Refused (403, 409)."""
    sha = token_sha256(token)
    with store.writing() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        # Trust on first use: the first post of a hall id binds it to its token.
        conn.execute(dialect.insert(halls).values(
            id=post.hall, token_sha256=sha, last_seq=0, registered_at=now_us)
            .on_conflict_do_nothing(index_elements=["id"]))
        hall = lock_hall(conn, select(halls.c.token_sha256, halls.c.last_seq, halls.c.day)
                         .where(halls.c.id == post.hall)).one()
        if hall.token_sha256 != sha:
            raise Refused(403, "forbidden", f"hall {post.hall} is bound to another token")
        last_seq = hall.last_seq
        skip = next((i for i, e in enumerate(post.events) if e["seq"] > last_seq), len(post.events))
        new = post.events[skip:]
        if new and new[0]["seq"] != last_seq + 1:
            raise Refused(409, "out_of_order",
                          f"hall {post.hall}: the central holds up to seq {last_seq}; this batch's "
                          f"first new event is {new[0]['seq']}: send from {last_seq + 1}",
                          {"last_seq": last_seq})
        changes: dict = {"last_post_at": now_us}
        if post.pending == 0:
            changes["caught_up_at"] = now_us
        if post.info is not None:
            changes["info"] = json.dumps(post.info, ensure_ascii=False)
            if post.info.get("name") is not None:
                changes["name"] = json.dumps(post.info["name"], ensure_ascii=False)
        if post.info is not None:
            _seed_windows(conn, post)
        if new:
            changes.update(_keep(conn, post, skip, hall.day))
        conn.execute(update(halls).where(halls.c.id == post.hall).values(**changes))
        return changes.get("last_seq", last_seq)


def _seed_windows(conn, post: Post) -> None:
    """The windows' status as `info` gives it, for the windows no window.status event has told
    of yet: a hall's windows start as its config says, with no event, so without this a hall
    that just began forwarding would show none open. The events, applied in order, win after."""
    rows = [{"hall": post.hall, "id": w["id"], "status": w["status"][:8]}
            for w in post.info.get("windows") or () if w.get("status")]
    if rows:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(windows).on_conflict_do_nothing(index_elements=["hall", "id"]),
                     rows)


def _keep(conn, post: Post, skip: int, day: str | None) -> dict:
    """Write the post's events from index `skip` on (those the central lacks)."""
    hall = post.hall
    rows, latest, states = [], {}, {}
    for e, at, ticket in zip(post.events[skip:], post.at[skip:], post.rows[skip:], strict=True):
        if ticket is not None:
            if "token" in e["ticket"]:  # never kept, should a hall ever send one
                e = {**e, "ticket": {k: v for k, v in e["ticket"].items() if k != "token"}}
            ticket["hall"] = hall
            latest[ticket["id"]] = ticket  # its latest state in the batch wins
            day = ticket["day"]
        elif e["type"] == "day.reset" and isinstance(e.get("day"), str):
            day = e["day"]
        elif e["type"] == "window.status" and e.get("window"):
            states[e["window"]["id"]] = {"hall": hall, "id": e["window"]["id"],
                                         "status": e["status"][:8]}
        rows.append({"hall": hall, "seq": e["seq"], "type": e["type"], "at": at,
                     "day": ticket["day"] if ticket else day,
                     "data": json.dumps(e, ensure_ascii=False, separators=(",", ":"))})
    conn.execute(hall_events.insert(), rows)
    _upsert(conn, tickets, list(latest.values()), ("hall", "id"))
    _upsert(conn, windows, list(states.values()), ("hall", "id"))
    return {"last_seq": rows[-1]["seq"], "last_at": rows[-1]["at"], "day": day}
