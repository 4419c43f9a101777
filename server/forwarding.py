"""Forwarding the hall's events to the city's central server ([central] of the hall config).

A daemon thread in each hub process (started by bootstrap.serve) reads the events from the hall's
own database, in sequence order, and posts them in batches to `POST /api/central/events`
(docs/central.md says what the central expects; deploy/README.md "Forwarding to the city's
central server" how a hall is set up). The hall never waits for it: nothing on the request path
touches it; it reads in read transactions (never the write lock) and writes only its own small
hall_state keys.

- The central's `last_seq` is the truth. The first post after a start (or a change of [central])
  is a heartbeat that asks for it, and every answer moves the position to it: a retried batch is
  ignored there, a gap (409 out_of_order) is resent from the answered last_seq, and a central
  restored from an older backup is refilled from the hall's database.
- Nothing is lost while the central or the link is down: the events stay in the hall's database
  and the forwarder retries, 1 s doubling to 30 s, logging once when the link goes down and once
  when it comes back.
- One forwarder per hall: the processes sharing a database take a lease in hall_state
  (`central_lease`, 15 s, renewed every 5 s in a write transaction). Two overlapping for a moment
  is harmless (the central keeps each (hall, seq) once).
- What the staff see (GET /api/admin/central, `status`) is kept in hall_state (`central_seq`,
  `central_status`), so any hub process on the database answers it, not only the forwarding one.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .config.model import Central, HallConfig
from .store.errors import StorageUnavailable

log = logging.getLogger(__name__)

LEASE_KEY, SEQ_KEY, STATUS_KEY = "central_lease", "central_seq", "central_status"  # hall_state
LEASE_S = 15.0  # a lease's lifetime
RENEW_S = 5.0  # renewed this often (and the status kept), so a post's timeout fits in a lease
HEARTBEAT_S = 5.0  # a post at least this often, a heartbeat when nothing is new
TIMEOUT_S = 8.0  # per post
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 30.0
IDLE_S = 1.0  # how often a process without [central], or not holding the lease, looks again
PATH = "/api/central/events"
# Straight to the central: the proxy settings of a hall's LAN (http_proxy) are not for it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LinkDown(Exception):
    """A post that got no usable answer (no connection, a timeout, a cut)."""


class Refused(LinkDown):
    """The central answered, refusing the post (a wrong token, a hall id bound to another)."""


def post_json(url: str, token: str, body: dict, timeout: float) -> tuple[int, dict]:
    """POST `body` as JSON; (status, the answer's JSON object). Raises LinkDown when no answer
    came back whole."""
    data = _encode(body)
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, _read(exc)
    except (OSError, ValueError, urllib.error.URLError) as exc:  # http.client's errors too
        raise LinkDown(_reason(exc)) from None
    except Exception as exc:  # http.client.IncompleteRead, RemoteDisconnected, ...
        raise LinkDown(_reason(exc)) from None
    try:
        answer_json = json.loads(raw) if raw else {}
    except ValueError:
        answer_json = None
    if not isinstance(answer_json, dict):
        raise LinkDown(f"HTTP {status} with an answer that is not JSON")
    return status, answer_json


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode(body: dict) -> bytes:
    """The body as JSON, its events encoded one by one: one json.dumps of a 500-event batch
    holds the interpreter lock ~3 ms at a time, in front of the hall's own requests."""
    events = body.get("events")
    if not events:
        return _compact(body).encode()
    rest = _compact({k: v for k, v in body.items() if k != "events"})
    return (rest[:-1] + (',"events":[' if len(rest) > 2 else '"events":[')
            + ",".join(_compact(e) for e in events) + "]}").encode()


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except Exception:
        return b""
    finally:
        exc.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text


def hall_info(config: HallConfig, statuses: dict[str, str] | None = None) -> dict:
    """What the central keeps of the hall (the contract's `info`): names for its reports and
    overview, retired services and windows included (their history stays); with `statuses`
    ({window id: open|paused|closed} as the database holds them now), each window's status,
    which the central takes for the windows no window.status event has told it of."""
    statuses = statuses or {}
    return {
        "name": config.name.as_dict(), "timezone": config.timezone,
        "day_starts_at": config.day_starts_at.strftime("%H:%M"),
        "services": [{"id": s.id, "name": s.name.as_dict(), "department": s.department,
                      "target_wait_minutes": s.target_wait_minutes} for s in config.services],
        "windows": [{"id": w.id, "name": w.name.as_dict(),
                     **({"status": statuses[w.id]} if w.id in statuses else {})}
                    for w in config.windows],
        "departments": [{"id": d.id, "name": d.name.as_dict()} for d in config.departments],
    }


def wire_events(tx, after: int, limit: int) -> list[dict]:
    """The events after `after` as the central gets them: their stored wire form, each ticket
    with the staff member who served it and its rating added (the public form leaves them out;
    the central's reports need them), read by one query for the whole batch."""
    batch = [json.loads(e.data) for e in tx.events_after(after, limit)]
    held = tx.staff_and_ratings(e["ticket"]["id"] for e in batch if e.get("ticket"))
    for event in batch:
        ticket = event.get("ticket")
        if ticket:
            ticket["staff"], ticket["rating"] = held.get(ticket["id"], (None, None))
    return batch


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="milliseconds") if dt is not None else None


def _lease_free(lease, owner: str, now: datetime) -> bool:
    if not isinstance(lease, dict) or lease.get("owner") == owner:
        return True
    try:
        return datetime.fromisoformat(lease["until"]) <= now
    except (KeyError, TypeError, ValueError):
        return True  # unreadable: nobody's


class Forwarder:
    """The forwarding thread of one hub process (see the module's docstring)."""

    def __init__(self, hub, owner: str | None = None, timeout: float = TIMEOUT_S,
                 post: Callable[[str, str, dict, float], tuple[int, dict]] = post_json):
        self.hub = hub
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.timeout, self._post_json = timeout, post
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._central: Central | None = None  # the [central] of this session
        self._position: int | None = None  # the central's last_seq; None: to be asked
        self._info_version: int | None = None  # the hall version whose info the central has
        self._lease_renewed = -LEASE_S  # monotonic time of the last renewal
        self._holding = False
        self._last_post = -HEARTBEAT_S  # monotonic
        self._failures = 0
        self._retry_at = 0.0  # monotonic: no post before this (backing off after a failure)
        self._down_since: float | None = None
        self._ahead = False  # the central holds more of this hall than its database
        self._status_stale = False  # what the staff see must be written now
        self.last_ok_at: datetime | None = None
        self._link_error: str | None = None
        self.pending: int | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Forwarder:
        self._thread = threading.Thread(target=self._run, name="hub-forwarder", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, and hand the lease back so that another process takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)  # a post in flight is abandoned, not waited for
        if self._holding:
            try:
                self._release()
            except Exception:
                log.debug("could not hand the forwarding lease back", exc_info=True)

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            try:
                delay = self.round()
            except StorageUnavailable:
                delay = IDLE_S  # the store logs the fault itself, once
            except Exception:
                log.exception("forwarding to the central")
                delay = BACKOFF_MAX_S

    # -- one round ----------------------------------------------------------------------------

    def round(self) -> float:
        """One turn of the loop: post what is new (or a heartbeat when due); the seconds to
        wait before the next turn (0: more is waiting)."""
        config = self.hub.config  # read each round: a changed [central] applies at once
        central = config.central
        if central != self._central:
            self._begin(central)
        if central is None:
            return IDLE_S
        if not self._hold_lease(config):
            return IDLE_S
        wait = self._retry_at - time.monotonic()
        if wait > 0:  # backing off; the lease is kept meanwhile, so no other process jumps in
            return min(wait, RENEW_S)
        try:
            more = self._forward(config, central)
        except LinkDown as exc:
            return self._failed(central, exc)
        if self._status_stale:
            self._keep_status(config, renew=False)  # an error cleared or found: shown at once
        return 0.0 if more else central.interval_s

    def _begin(self, central: Central | None) -> None:
        """A new session: no [central] before, a new URL, hall id or token (or none now)."""
        if self._holding and central is None:
            self._release()
        if central is not None:
            log.info("forwarding the hall's events to %s as hall %s", central.url, central.hall_id)
        elif self._central is not None:
            log.info("forwarding to the central is off ([central] removed)")
        self._central, self._position, self._info_version = central, None, None
        self._failures, self._down_since, self._link_error, self._ahead = 0, None, None, False
        self._retry_at = 0.0
        self._status_stale = True  # the staff see the new session's position from its first answer

    @property
    def error(self) -> str | None:
        """What is wrong just now (null when well), as the staff see it."""
        if self._link_error is not None:
            return self._link_error
        if self._ahead:
            return f"the central holds more of this hall than its database (up to {self._position})"
        return None

    def _forward(self, config: HallConfig, central: Central) -> bool:
        """Post one batch (or a heartbeat); whether more is waiting."""
        info = self._info(config) if config.version != self._info_version else None
        if self._position is None:
            self._position = self._post(central, [], None, info, config)  # where to resume
            info = None
        with self.hub.store.read(config) as tx:
            newest = tx.last_seq()
            batch = wire_events(tx, self._position, central.batch)
        if newest < self._position and not self._ahead:
            self._hall_behind(central, newest)
        if self._ahead:
            batch = []  # taken for repeats there: none is sent, until [central] changes or a restart
        if not batch and info is None and time.monotonic() - self._last_post < HEARTBEAT_S:
            self.pending = 0
            return False
        pending = max(0, newest - batch[-1]["seq"]) if batch else 0
        before = self._position
        answered = self._post(central, batch, pending, info, config)
        self._position = answered
        self.pending = max(0, newest - answered)
        if batch:
            self._keep_status(config, renew=False)
        # More to send at once, unless the central did not move (then wait, not spin).
        return answered < newest and answered != before

    def _info(self, config: HallConfig) -> dict:
        with self.hub.store.read(config) as tx:
            statuses = {w.id: w.status for w in tx.window_states().values()}
        return hall_info(config, statuses)

    def _post(self, central: Central, batch: list[dict], pending: int | None, info: dict | None,
              config: HallConfig) -> int:
        """Post; the central's last_seq. A refusal (4xx/5xx other than a gap) raises Refused
        with the central's words: the hall keeps everything and tries again later."""
        body: dict = {"hall": central.hall_id, "events": batch}
        if pending is not None:
            body["pending"] = pending
        if info is not None:
            body["info"] = info
        status, answer = self._post_json(central.url + PATH, central.token, body, self.timeout)
        self._last_post = time.monotonic()
        last_seq = answer.get("last_seq")
        if status == 409 and isinstance(last_seq, int):
            return last_seq  # a gap (or a central behind us): resend from there
        if status != 200 or not isinstance(last_seq, int):
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise Refused(f"HTTP {status} {error.get('code', '')}: "
                          f"{error.get('message', 'no last_seq in the answer')}".strip())
        if info is not None:
            self._info_version = config.version
        self._answered(central)
        return last_seq

    def _hall_behind(self, central: Central, newest: int) -> None:
        # The central holds more of this hall than its database: a hall restored from an older
        # backup, or another hall forwarding under this id. Its new events would be taken for
        # retries there (or fill the central's history with another one), so none is sent: the
        # technician sorts it out with the city (deploy/README.md, section 15).
        self._ahead, self._status_stale = True, True
        log.error("the central %s holds events up to %d for hall %s, but this hall's database "
                  "ends at %d: nothing more is forwarded (a database restored from an older "
                  "backup? another hall with this hall_id?)", central.url, self._position,
                  central.hall_id, newest)

    # -- failures -----------------------------------------------------------------------------

    def _failed(self, central: Central, exc: LinkDown) -> float:
        self._failures += 1
        why = str(exc)
        first = self._down_since is None
        if first:
            self._down_since = time.monotonic()
            what = "the central refuses the posts" if isinstance(exc, Refused) else "the link is down"
            log.warning("forwarding to %s: %s (%s); the hall keeps its events and tries again",
                        central.url, what, why)
        changed = why != self._link_error
        self._link_error = why
        if first or changed:
            self._keep_status(self.hub.config, renew=False)
        backoff = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self._failures - 1))
        self._retry_at = time.monotonic() + backoff
        return min(backoff, RENEW_S)

    def _answered(self, central: Central) -> None:
        """A post was answered: the link works (again)."""
        self.last_ok_at = _utc_now()
        if self._down_since is not None:
            log.info("forwarding to %s: the link is back after %.0f s", central.url,
                     time.monotonic() - self._down_since)
            self._down_since = None
        if self._link_error is not None:
            self._status_stale = True
        self._link_error, self._failures = None, 0

    # -- the lease and what the staff see ----------------------------------------------------

    def _hold_lease(self, config: HallConfig) -> bool:
        if self._holding and time.monotonic() - self._lease_renewed < RENEW_S:
            return True
        now = _utc_now()
        if not self._holding:
            # Asked in a read first: a process standing by costs the hall no write.
            with self.hub.store.read(config) as tx:
                if not _lease_free(tx.state(LEASE_KEY), self.owner, now):
                    return False
        return self._keep_status(config, renew=True)

    def _keep_status(self, config: HallConfig, renew: bool) -> bool:
        """Write the position and the status (and renew the lease, or take it when free);
        whether this process holds the lease. One small write transaction."""
        now = _utc_now()
        with self.hub.store.write(config) as tx:
            lease = tx.state(LEASE_KEY)
            mine = _lease_free(lease, self.owner, now)
            if renew and mine:
                tx.set_state(LEASE_KEY, {"owner": self.owner,
                                         "until": _iso(now + timedelta(seconds=LEASE_S))})
            if mine:
                if self._position is not None:
                    tx.set_state(SEQ_KEY, self._position)
                tx.set_state(STATUS_KEY, {"last_ok_at": _iso(self.last_ok_at), "error": self.error,
                                          "owner": self.owner, "at": _iso(now)})
                self._status_stale = False
        if renew:
            if mine and not self._holding:
                log.info("this process forwards the hall's events (%s)", self.owner)
            elif not mine and self._holding:
                log.warning("another hub process took over forwarding (%s)",
                            (lease or {}).get("owner"))
            self._holding = mine
            if mine:
                self._lease_renewed = time.monotonic()
        return mine

    def _release(self) -> None:
        with self.hub.store.write(self.hub.config) as tx:
            lease = tx.state(LEASE_KEY)
            if isinstance(lease, dict) and lease.get("owner") == self.owner:
                tx.set_state(LEASE_KEY, {"owner": self.owner, "until": _iso(_utc_now())})
        self._holding = False


def status(hub) -> dict:
    """The forwarding state as the staff see it (GET /api/admin/central), from the database, so
    that any hub process on it answers: the central's URL, the last seq it acknowledged, the
    events still to send, the last good exchange and the error since (null when well)."""
    config = hub.config
    central = config.central
    with hub.store.read(config) as tx:
        newest = tx.last_seq()
        acked = tx.state(SEQ_KEY)
        kept = tx.state(STATUS_KEY) or {}
        lease = tx.state(LEASE_KEY)
    if central is None:
        return {"url": None, "hall_id": None, "last_seq": acked, "pending": None,
                "last_ok_at": kept.get("last_ok_at"), "error": None, "forwarder": None}
    now = _utc_now()
    holder = lease.get("owner") if isinstance(lease, dict) and not _lease_free(lease, "", now) \
        else None
    return {"url": central.url, "hall_id": central.hall_id, "last_seq": acked,
            "pending": max(0, newest - (acked or 0)), "last_ok_at": kept.get("last_ok_at"),
            "error": kept.get("error") if holder else (kept.get("error") or "no hub process "
                                                        "is forwarding just now"),
            "forwarder": holder}
