"""Fixtures for the kiosk tests."""
from __future__ import annotations

import pytest

from kiosk_support import LiveHub


@pytest.fixture
def live_hub(tmp_path):
    hubs = []

    def start(hall=None, name="hall.db", port=0, clock=None):
        hubs.append(LiveHub(f"sqlite:///{tmp_path}/{name}", hall, port, clock))
        return hubs[-1]

    yield start
    for h in hubs:
        h.stop()


@pytest.fixture
def make_kiosk():
    from kiosk.app import KioskApp
    apps = []

    def make(hub_url, printer="dummy:", size=(1920, 1080), **kw):
        app = KioskApp(hub_url, "demo-kiosk", printer, size=size, windowed=True, **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
