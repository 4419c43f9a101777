"""Forwarding by real hub processes (`python -m hallcall serve`, which starts the forwarder): of
two processes on one hall database one forwards at a time, the other taking over when it stops."""
from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
from forwarding_support import LiveCentral, central_section, wait_until
from helpers import small_hall_data
from real_server import RealServer

from hallcall.server.bootstrap import build_hub
from hallcall.server.config import load_config, parse_config
from hallcall.server.config.dump import config_toml

KIOSK = "kiosk-token-1"


@pytest.fixture
def hall_file(tmp_path):
    def write(url: str):
        data = small_hall_data()
        data["central"] = central_section(url)
        path = tmp_path / "hall.toml"
        path.write_text(config_toml(parse_config(data)), "utf-8")
        return path
    return write


@pytest.fixture
def servers():
    """servers(db, config, n) -> n hub processes on one database, started side by side."""
    started = []

    def start(db, config, n):
        # Created and seeded here first: the processes then start side by side on a hall.
        build_hub(load_config(config), f"sqlite:///{db}", follow=False).stop()
        made = [RealServer(db, db.with_name(f"hub{i}.log"), extra_args=["--config", str(config)])
                for i in range(n)]
        started.extend(made)
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(RealServer.start, made))
        return made

    yield start
    for s in started:
        s.stop()


def lease_owner(db) -> str:
    with closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT value FROM hall_state WHERE key = 'central_lease'").fetchone()
    return json.loads(row[0])["owner"] if row else ""


def hall_events(db) -> list[dict]:
    with closing(sqlite3.connect(db)) as conn:
        return [json.loads(r[0]) for r in conn.execute("SELECT data FROM events ORDER BY seq")]


def test_two_hub_processes_on_one_hall_forward_one_at_a_time(tmp_path, hall_file, servers):
    central = LiveCentral(tmp_path / "central.db").start()
    try:
        config, db = hall_file(central.url), tmp_path / "hall.db"
        pair = servers(db, config, 2)
        for s in pair:
            c = s.client(KIOSK)
            c.issue("a")
            c.close()
        wait_until(lambda: central.last_seq() == len(hall_events(db)), what="both hubs' events")
        owner = lease_owner(db)
        forwarding = [s for s in pair if f":{s.proc.pid}:" in owner]
        assert len(forwarding) == 1, owner
        first, other = forwarding[0], next(s for s in pair if s is not forwarding[0])
        assert "this process forwards" in first.log_text()
        assert "this process forwards" not in other.log_text()

        first.stop()  # hands the lease back as it stops: the other takes over at once
        c = other.client(KIOSK)
        c.issue("b")
        c.close()
        wait_until(lambda: f":{other.proc.pid}:" in lease_owner(db), what="the other to take over")
        wait_until(lambda: central.last_seq() == len(hall_events(db)), what="its events")
        held = central.held()
        assert [e["seq"] for e in held] == [e["seq"] for e in hall_events(db)]
        assert [e["type"] for e in held] == [e["type"] for e in hall_events(db)]
    finally:
        central.stop()
