"""The citizen's phone page when the hall day ends with the ticket still waiting: it says why the
ticket was cancelled, in both languages, live (a real hub process, `hallcall close-day` run as a
second process on the same file, Debian's chromium). Skipped without playwright or chromium."""
from __future__ import annotations

import subprocess
import sys

import pytest
from browser_support import WAIT_MS, require_browser
from real_server import RealServer

sync_api = require_browser()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rollover")
    server = RealServer(tmp / "h.db", tmp / "hub.log").start()
    try:
        yield server
    finally:
        server.stop()


def test_phone_page_says_the_day_ended_when_its_waiting_ticket_is_cancelled(hub, browser):
    kiosk = hub.client("demo-kiosk")
    try:
        t = kiosk.issue("company-name")["ticket"]
    finally:
        kiosk.close()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{hub.url}/t/{t['token']}")
        page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
        sync_api.expect(page.locator("#t-status")).to_have_attribute("data-status", "waiting")

        run = subprocess.run([sys.executable, "-m", "hallcall", "close-day", "--db", str(hub.db)],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "1 waiting ticket(s) cancelled" in run.stdout

        main, sub = page.locator("#t-main"), page.locator("#t-sub")
        sync_api.expect(page.locator("#t-status")).to_have_attribute(
            "data-reason", "day_closed", timeout=WAIT_MS)  # without a reload
        sync_api.expect(main).to_contain_text("今日办理已结束")
        sync_api.expect(main).to_contain_text("The hall day has ended")
        sync_api.expect(sub).to_contain_text("请在下个办理日重新取号")
        sync_api.expect(sub).to_contain_text("please take a new number")
        sync_api.expect(page.locator("#cancel")).to_be_hidden()
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


def test_overview_keeps_the_called_citizen_at_the_window_through_the_roll_over(hub, browser):
    kiosk, buttons = hub.client("demo-kiosk"), hub.client("demo-buttons")
    try:
        kiosk.issue("company-name")  # served at window 1, the overview's first tile
        called = buttons.window("1", "call-next")["ticket"]
    finally:
        kiosk.close()
        buttons.close()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(hub.url + "/")
        tile = page.locator(".tile").first
        sync_api.expect(tile.locator(".tile-num")).to_have_text(called["number"], timeout=WAIT_MS)
        # Record every number the tile shows, and when the page empties its recent calls (what
        # it does on day.reset), so a tile blanked for a moment is caught too.
        page.evaluate("""() => {
            window.__tileTexts = [];
            window.__recentEmptied = false;
            const num = document.querySelector('.tile .tile-num');
            new MutationObserver(() => window.__tileTexts.push(num.textContent))
                .observe(num, {childList: true, characterData: true, subtree: true});
            const recent = document.getElementById('recent');
            new MutationObserver(() => {
                if (!recent.children.length) window.__recentEmptied = true;
            }).observe(recent, {childList: true});
        }""")
        run = subprocess.run([sys.executable, "-m", "hallcall", "close-day", "--db", str(hub.db)],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        page.wait_for_function("window.__recentEmptied", timeout=WAIT_MS)
        sync_api.expect(tile.locator(".tile-num")).to_have_text(called["number"])
        sync_api.expect(tile).to_have_attribute("data-state", "called")
        shown = page.evaluate("window.__tileTexts")
        assert all(text == called["number"] for text in shown), shown
    finally:
        context.close()
