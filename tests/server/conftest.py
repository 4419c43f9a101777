"""Fixtures that run the real hub: `python -m hallcall serve` in a subprocess on a free port."""
from __future__ import annotations

from pathlib import Path

import pytest
from real_server import RealServer


@pytest.fixture
def hub_db(tmp_path) -> Path:
    return tmp_path / "hall.db"


@pytest.fixture
def make_server(tmp_path, hub_db):
    """make_server(db=..., host=..., extra_args=...) -> a RealServer not yet started; every one
    is stopped at the end. Servers given the same db share one file (several hub processes)."""
    servers: list[RealServer] = []

    def make(db: Path | None = None, host: str = "127.0.0.1", extra_args=()) -> RealServer:
        server = RealServer(db or hub_db, tmp_path / f"hub-{len(servers)}.log", host, extra_args)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def start_server(make_server):
    """start_server(...) -> a RealServer answering /api/health (arguments as make_server)."""
    return lambda *args, **kw: make_server(*args, **kw).start()


@pytest.fixture
def real_server(start_server) -> RealServer:
    return start_server()
