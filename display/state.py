"""What the wall board knows about the hall, built from a snapshot and the events after it. Pure:
no pygame, no sockets, so every rule about calls is tested without a screen.

A call is new only when its sequence number is above everything this board has seen (the
snapshot's `last_event` and every event since); anything at or below is history. So a snapshot
taken mid-day, or a stream resumed with Last-Event-ID, never flashes an old call again."""
from __future__ import annotations

from collections import deque

from hallcall import events

RECENT_MAX = 10
FLASH_S = 6.0  # the latest call flashes this long...
BUSY_FLASH_S = 2.0  # ...or this long when more calls wait behind it


class BoardState:
    def __init__(self, recent_max: int = RECENT_MAX, only_window: str | None = None):
        self.only_window = only_window  # a window's own screen flashes only its own calls
        self.hall: dict | None = None
        self.windows: dict[str, dict] = {}  # id → window dict, in the hall's order
        self.services: list[dict] = []
        self.notices: list[dict] = []
        self.recent: list[dict] = []  # call events, newest first, one per ticket
        self.seen = -1  # the highest sequence number taken into account
        self.recent_max = recent_max
        self.pending: deque[dict] = deque()  # new calls waiting for their flash
        self.flash: dict | None = None  # the call flashing now
        self.flash_until = 0.0
        self.flashed: list[tuple[str, str]] = []  # every flash shown, for tests and logs
        self.version = 0  # grows with every visible change, so the board knows to redraw

    # -- input -----------------------------------------------------------------------------

    def apply_snapshot(self, snap: dict) -> None:
        """The configuration and counts; recent calls in it are history (never flashed)."""
        first = self.hall is None
        self.hall = snap["hall"]
        self.services = snap["services"]
        self.notices = snap.get("notices") or []
        self.windows = {w["id"]: w for w in snap["windows"]}
        if first:
            self.seen = max(self.seen, snap.get("last_event", 0))
        known = {c["seq"] for c in self.recent}
        for call in snap.get("recent_calls", []):
            if call["seq"] not in known and call["seq"] <= self.seen:
                self._remember(call)
        self.version += 1

    def apply_event(self, event: dict, now: float) -> bool:
        """One event from the stream; returns whether it was new."""
        seq = event.get("seq", 0)
        if seq <= self.seen:
            return False  # already in the snapshot or already applied: never twice
        self.seen = seq
        kind = event.get("type")
        ticket = event.get("ticket") or {}
        if kind in events.CALL_TYPES:
            window = event.get("window") or {}
            if window.get("id") in self.windows:
                self.windows[window["id"]] = {**self.windows[window["id"]], "current": ticket}
            self._remember(event)
            if self.only_window is None or window.get("id") == self.only_window:
                self.pending.append(event)
            self.tick(now)
        elif kind in events.ENDED_TYPES or kind == events.TICKET_STARTED:
            for wid, w in self.windows.items():
                cur = w.get("current") or {}
                if cur.get("id") and cur.get("id") == ticket.get("id"):
                    self.windows[wid] = {**w, "current": ticket if kind == events.TICKET_STARTED else None}
        elif kind == events.NOTICES_CHANGED:
            self.notices = (event.get("data") or event).get("notices", self.notices)
        elif kind == events.DAY_RESET:
            self.recent.clear()
            self.pending.clear()
            self.flash = None
        self.version += 1
        return True

    def _remember(self, call: dict) -> None:
        tid = (call.get("ticket") or {}).get("id")
        self.recent = [c for c in self.recent if (c.get("ticket") or {}).get("id") != tid]
        self.recent.append(call)
        self.recent.sort(key=lambda c: c["seq"], reverse=True)
        del self.recent[self.recent_max:]

    # -- time ------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """End a flash whose time is up (sooner when calls wait) and start the next."""
        if self.flash is not None:
            limit = self.flash_until if not self.pending else min(
                self.flash_until, self.flash_started + BUSY_FLASH_S)
            if now < limit:
                return
            self.flash = None
            self.version += 1
        if self.pending:
            self.flash = self.pending.popleft()
            self.flash_started, self.flash_until = now, now + FLASH_S
            self.flashed.append((self.flash["ticket"]["number"], self.flash["window"]["id"]))
            self.version += 1

    # -- reading ---------------------------------------------------------------------------

    @property
    def latest(self) -> dict | None:
        """The call shown large: the one flashing, else the newest."""
        return self.flash or (self.recent[0] if self.recent else None)

    def serving(self) -> list[dict]:
        """Windows with a ticket now, most recently called first."""
        busy = [w for w in self.windows.values() if w.get("current")]
        return sorted(busy, key=lambda w: w["current"].get("called_at") or "", reverse=True)

    def waiting(self) -> list[dict]:
        """Services with people waiting, longest queue first."""
        return sorted((s for s in self.services if s.get("waiting")), key=lambda s: -s["waiting"])
