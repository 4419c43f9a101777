"""What the central's tests share: a central in-process (its store on a real database, its app
under Flask's test client, a clock that moves only when told) and a hall's events as the
forwarder sends them (docs/central.md: the hub's wire form, with each ticket's staff and rating
added from the hall's database; `info` is the forwarder's own hall_info)."""
from __future__ import annotations

import os
import subprocess
import sys

from real_server import REPO, RealServer, free_port

from hallcall.server.central.app import create_app
from hallcall.server.central.store import CentralStore
from hallcall.server.forwarding import hall_info
from hallcall.server.forwarding import wire_events as forwarded_events

TOKEN = "hall-one-central-token"
OTHER_TOKEN = "someone-else-entirely"
START_US = 1_764_640_800_000_000  # 2025-12-02 02:00 UTC, any fixed time


def auth(token: str = TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


class Central:
    def __init__(self, url: str):
        self.now_us = START_US
        self.store = CentralStore(url)
        self.store.upgrade()
        self.client = create_app(self.store, clock=lambda: self.now_us).test_client()

    def advance(self, seconds: float) -> None:
        self.now_us += int(seconds * 1_000_000)

    def post(self, hall: str, events: list, token: str = TOKEN, **more):
        return self.client.post("/api/central/events", json={"hall": hall, "events": events, **more},
                                headers=auth(token))

    def halls(self) -> dict:
        return {h["id"]: h for h in self.client.get("/api/central/halls").json["halls"]}

    def count(self, sql: str) -> int:
        with self.store.reading() as conn:
            return conn.exec_driver_sql(sql).scalar()

    def close(self) -> None:
        self.store.close()


def wire_events(hub, after: int = 0) -> list[dict]:
    """The hub's events after `after` as the forwarder sends them."""
    with hub.store.read(hub.config) as tx:
        return forwarded_events(tx, after, 100_000)


def forward(central: Central, hub, hall: str = "hall-1", token: str = TOKEN, batch: int = 500) -> int:
    """Forward every event of `hub` as the hall's forwarder would: a heartbeat with info to
    learn where to resume, then batches from the answered last_seq. The central's last_seq."""
    r = central.post(hall, [], token, info=hall_info(hub.config))
    assert r.status_code == 200, r.json
    last = r.json["last_seq"]
    events = wire_events(hub, last)
    while events:
        chunk, events = events[:batch], events[batch:]
        r = central.post(hall, chunk, token, pending=len(events))
        assert r.status_code == 200, r.json
        last = r.json["last_seq"]
    return last


class RealCentral(RealServer):
    """`python -m hallcall central` as a process on a free port (tests/real_server.py's RealServer:
    start() returns once /api/health answers; stop() is SIGTERM, kill() is kill -9)."""

    def _spawn(self, port: int | None = None) -> subprocess.Popen:
        self.port = port or free_port()
        cmd = [sys.executable, "-m", "hallcall", "central", "--db", str(self.db),
               "--host", self.host, "--port", str(self.port), *self.extra_args]
        with open(self.log, "ab") as log:
            return subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})
