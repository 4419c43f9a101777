"""What the tests in a real browser (Debian's chromium through playwright) share; their fixtures
(one hub process and one browser per module) are in tests/web/conftest.py."""
from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def checked_context(browser, **options):
    """A fresh browser profile (its own cookies) with `options` (viewport, has_touch, …) that
    fails the test on any JavaScript error of its pages."""
    ctx = browser.new_context(**options)
    errors: list[str] = []
    ctx.on("page", lambda pg: pg.on("pageerror", lambda exc: errors.append(str(exc))))
    try:
        yield ctx
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        ctx.close()


TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}}
