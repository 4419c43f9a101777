"""An event as it was committed: its number, type and the wire form the event stream sends.

The wire form is made once, when the event is stored, by the encoder the wiring hands the store
(the web edge's, see server/web/serialize.py): the events table then holds exactly what the
stream sent, so a client resuming after Last-Event-ID, another hub process reading the file and a
database written by an older hub all get the same bytes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config.model import HallConfig
from ..engine.model import Event


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    type: str
    data: str  # JSON, exactly as the event stream sends it


# (the hall config the event happened under, its sequence number, the event) -> its wire form
EventEncoder = Callable[[HallConfig, int, Event], str]
