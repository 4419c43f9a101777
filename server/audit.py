"""Who did what: the actor of a change and the audit log's entries, as plain values.

Every administration change and every window action writes one entry in the same transaction as
the change itself, so the log never claims a change that was rolled back, nor misses one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ACTOR_KINDS = ("admin", "staff", "device", "citizen", "cli")


@dataclass(frozen=True)
class Actor:
    kind: str  # one of ACTOR_KINDS: the admin token, a signed-in member of staff, a device, …
    id: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.id}


CLI = Actor("cli", "hallcall")  # the hub's own commands (seeding, `hallcall config import`)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: Actor
    action: str  # "service.put", "device.revoke", "window.call-next", …
    target: str | None = None  # "service:passport", "window:3", …
    before: Any = None  # JSON values: what the target was, and became
    after: Any = None
    seq: int = 0  # given by the store when written
