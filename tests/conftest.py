"""Fixtures shared by every test: the demo hall, a controllable clock, hubs and their apps on a
temp file, and PostgreSQL databases (tests/pg_support.py)."""
from __future__ import annotations

import pytest
from helpers import FakeClock, migrated_copy
from pg_support import pg_server, pg_url, store_url  # noqa: F401 - fixtures for every test

from hallcall.server.config import load_config


@pytest.fixture(scope="session")
def demo_config():
    return load_config()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path}/hall.db"


@pytest.fixture
def make_hub(db_url, clock):
    """make_hub(config=None, db=None, clock=..., follow=False) -> a started hub, built as the
    hub's process builds it (server/bootstrap.py), on the test's file by default (a second call
    is a second hub, as after a restart); the demo hall and the test's clock unless told.
    Every one is stopped at the end."""
    from hallcall.server.bootstrap import build_hub

    hubs = []

    def make(config=None, db=None, clock=clock, follow=False):
        # A new file starts as a copy of a migrated one: the same, without Alembic's 0.3 s.
        hub = build_hub(config or load_config(), migrated_copy(db or db_url), clock=clock,
                        follow=follow)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.stop()


@pytest.fixture
def make_app(make_hub):
    """make_app(HALL=, DATABASE=, CLOCK=, FOLLOW=, **settings) -> the web app over a new hub
    (make_hub's, with these for its config, db, clock and follow); settings are the app's."""
    from hallcall.server.web import create_app

    def make(**settings):
        hub_args = {name: settings.pop(key) for key, name in
                    (("HALL", "config"), ("DATABASE", "db"), ("CLOCK", "clock"), ("FOLLOW", "follow"))
                    if key in settings}
        return create_app(make_hub(**hub_args), settings)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_hub(tmp_path):
    """live_hub(hall=None, name="hall.db", port=0, clock=None) -> a LiveHub (tests/live_hub.py):
    a real hub on loopback over a file in tmp_path; a second call on the same name and port is
    the same hall restarted. Every one still running is stopped at the end."""
    from live_hub import LiveHub

    hubs = []

    def start(hall=None, name="hall.db", port=0, clock=None):
        hubs.append(LiveHub(f"sqlite:///{tmp_path}/{name}", hall, port, clock))
        return hubs[-1]

    yield start
    for h in hubs:
        h.stop()
