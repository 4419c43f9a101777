"""Fixtures for the kiosk tests: kiosks on a clock the test can move (their real hubs on loopback
are the shared `live_hub`)."""
from __future__ import annotations

from functools import partial

import pytest
from kiosk_support import shot

from hallcall.kiosk.driving import MovableClock


@pytest.fixture
def kiosk_clock():
    return MovableClock()


@pytest.fixture
def make_kiosk(kiosk_clock):
    from hallcall.kiosk.bootstrap import build_kiosk
    apps = []

    def make(hub_url, printer="dummy:", size=(1920, 1080), **kw):
        kw.setdefault("clock", kiosk_clock)
        app = build_kiosk(hub_url, "demo-kiosk", printer, size=size, windowed=True, **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def snap(tmp_path):
    """snap(app, name): a screenshot in tmp_path and in /tmp/kiosk-shots (HALLCALL_SHOTS)."""
    return partial(_snap, tmp_path=tmp_path)


def _snap(app, name, tmp_path):
    app.draw(force=True)
    return shot(app, name, tmp_path)
