"""A window closed for the day stays closed across restarts of the hub on the same SQLite file,
and the next hall day opens it: with the real hub process, and with a controllable clock across
the 04:00 roll-over (the demo hall's day start)."""
from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from datetime import datetime

import pytest
from helpers import BUTTONS, KIOSK, SHANGHAI

from hallcall.hallclient import HubError
from hallcall.server.web import create_app

SERVICE = "company-name"  # served by windows 1-4 in the demo hall


def statuses(client) -> dict[str, str]:
    return {w["id"]: w["status"] for w in client.get("/api/hall").json["windows"]}


def window_3(server) -> dict:
    with closing(server.client()) as c:
        return next(w for w in c.hall()["windows"] if w["id"] == "3")


def closed_by_a_first_hub(make_app, issue: bool = False) -> None:
    """Window 3 closed (after a ticket issued, if told) by a first hub on the test's file, in
    this process and on the real clock, then stopped: the restart is the real process's."""
    app = make_app(CLOCK=None)
    client = app.test_client()
    if issue:
        assert client.post("/api/tickets", json={"service": SERVICE}, headers=KIOSK).status_code == 201
    assert client.post("/api/windows/3/close", headers=BUTTONS).status_code == 200
    app.config["HUB"].stop()


def test_a_closed_window_is_still_closed_after_the_hub_process_restarts(make_app, make_server):
    closed_by_a_first_hub(make_app, issue=True)
    server = make_server().start()
    assert window_3(server)["status"] == "closed"
    with closing(server.client("demo-buttons")) as buttons, closing(server.client("demo-admin")) as admin:
        for action in ("resume", "call-next"):
            with pytest.raises(HubError) as err:
                buttons.window("3", action)
            assert err.value.status == 409 and err.value.code == "window_closed"
        # Reopened by the admin, it calls again.
        assert admin.window("3", "open")["window"]["status"] == "open"
        assert buttons.call_next("3")["ticket"]["number"] == "A001"


def test_close_day_on_the_command_line_reopens_the_window(make_app, make_server, hub_db):
    closed_by_a_first_hub(make_app)
    run = subprocess.run([sys.executable, "-m", "hallcall", "close-day", "--db", str(hub_db)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    server = make_server().start()
    assert window_3(server)["status"] == "open"


def test_the_next_hall_day_opens_it_also_after_a_restart(make_hub, clock):
    clock.set(datetime(2026, 11, 26, 16, 0, tzinfo=SHANGHAI))
    client = create_app(make_hub()).test_client()
    client.post("/api/tickets", json={"service": SERVICE}, headers=KIOSK)
    assert client.post("/api/windows/3/close", headers=BUTTONS).status_code == 200
    assert client.post("/api/windows/2/pause", headers=BUTTONS).status_code == 200

    clock.set(datetime(2026, 11, 27, 3, 59, tzinfo=SHANGHAI))  # still the 26th's hall day
    hub = make_hub()  # restarted on the same file
    client = create_app(hub).test_client()
    assert statuses(client)["3"] == "closed"
    assert client.post("/api/windows/3/resume", headers=BUTTONS).json["error"]["code"] == "window_closed"

    clock.set(datetime(2026, 11, 27, 4, 1, tzinfo=SHANGHAI))
    last = client.get("/api/hall").json["last_event"]
    hub.roll_over_if_due()  # what the hub's follower does every few seconds
    now = statuses(client)
    # Closed for the day: open again. Paused is the clerk's own pause: it stays.
    assert (now["3"], now["2"]) == ("open", "paused")
    changed = [json.loads(e.data) for e in hub.events_after(last) if e.type == "window.status"]
    assert [(e["window"]["id"], e["status"]) for e in changed] == [("3", "open")]
    assert client.post("/api/windows/3/call-next", headers=BUTTONS).json["ticket"] is None
    # The restart after the roll-over finds it open too.
    assert statuses(create_app(make_hub()).test_client())["3"] == "open"
