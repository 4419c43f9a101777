"""Fixtures shared by every test: the demo hall, a controllable clock, a hub app on a temp file."""
from __future__ import annotations

import pytest

from helpers import FakeClock
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
def make_app(db_url, clock):
    """Build hub apps on the same file (a second call is a second hub, as after a restart)."""
    from hallcall.server.web import create_app

    apps = []

    def make(**settings):
        settings = {"DATABASE": db_url, "CLOCK": clock, "FOLLOW": False, **settings}
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.config["HUB"].stop()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()

