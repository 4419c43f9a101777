"""Fixtures of the browser tests: a real hub process per module and one chromium for the
folder, and device clients of that hub. Browser test modules skip themselves first (require_browser)."""
from __future__ import annotations

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS
from real_server import RealServer

from hallcall.hallclient import HubClient


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory):
    """A real hub (`python -m hallcall serve`) on a free port, answering /api/health."""
    tmp = tmp_path_factory.mktemp("hub")
    server = RealServer(tmp / "h.db", tmp / "hub.log").start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser():
    """One chromium for every browser test module here (~2 s to start playwright's driver and
    the browser each time); each test has its own profile (browser_support.checked_context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def kiosk(hub_url):
    c = HubClient(hub_url, "demo-kiosk")
    yield c
    c.close()


@pytest.fixture
def buttons(hub_url):
    c = HubClient(hub_url, "demo-buttons")
    yield c
    c.close()
