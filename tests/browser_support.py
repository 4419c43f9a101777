"""What the tests in a real browser (Debian's chromium through playwright) share; their fixtures
(one hub process and one browser per module) are in tests/web/conftest.py."""
from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 5000  # for what a page shows: an event reaches it in milliseconds


def require_browser():
    """Skip the calling module unless playwright and chromium are installed (.ci/run does)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                    allow_module_level=True)
    return sync_api
