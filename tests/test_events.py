"""One event vocabulary: the hub's pages subscribe to exactly the event types the Python side
names, so a type added to hallcall.events and not to the browser is never silently missed (an
EventSource delivers a named event only to a listener registered for that name)."""
from __future__ import annotations

import re
from pathlib import Path

from hallcall import events

COMMON_JS = Path(__file__).resolve().parents[1] / "server" / "web" / "static" / "common.js"


def browser_event_types() -> list[str]:
    source = COMMON_JS.read_text(encoding="utf-8")
    block = re.search(r"var EVENT_TYPES = \[(.*?)\];", source, re.S)
    assert block, "common.js no longer declares its EVENT_TYPES list"
    return re.findall(r'"([^"]+)"', block.group(1))


def test_the_pages_listen_for_every_event_the_hub_sends():
    names = browser_event_types()
    assert len(names) == len(set(names)), "a type is listed twice in common.js"
    assert set(names) == set(events.ALL_TYPES)

