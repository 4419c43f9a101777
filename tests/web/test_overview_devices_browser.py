"""The overview's devices panel in a real browser against a real hub process: it never says all is
well while no device is connected, a device that connects comes off the list by itself, a
kiosk's paper shows while it is online, an offline device is red with the time it was last
seen, and a hall the staff change shows without a reload.

Needs playwright and chromium, as tests/web/test_pages_browser.py."""
from __future__ import annotations

import json

import pytest
from browser_support import DESKTOP, WAIT_MS, checked_context, require_browser

sync_api = require_browser()

from hallcall.hallclient import HubClient  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser):
    with checked_context(browser, **DESKTOP) as context:
        yield context.new_page()


def row(page, device_id: str):
    return page.locator(f'#devices li[data-device="{device_id}"]')


def test_nothing_connected_is_not_all_ok_and_a_device_that_connects_comes_off(hub_url, page, kiosk):
    page.goto(hub_url + "/")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    summary = page.locator("#devices-summary")
    sync_api.expect(summary).to_contain_text("0 of 3 online")
    sync_api.expect(summary).to_have_attribute("data-state", "problem")
    for device_id in ("kiosk-1", "display-1", "buttons-1"):
        sync_api.expect(row(page, device_id)).to_contain_text("never connected")
        sync_api.expect(row(page, device_id)).to_contain_text("从未连接")
    sync_api.expect(page.locator("#devices")).not_to_contain_text("All")

    # The kiosk tells its paper: online at once (its report is a sighting), with the paper.
    kiosk.report_status(printer={"paper": "near_end", "online": True})
    sync_api.expect(row(page, "kiosk-1")).to_contain_text("纸将用尽", timeout=WAIT_MS)
    sync_api.expect(row(page, "kiosk-1")).to_have_attribute("data-problem", "printer")
    sync_api.expect(summary).to_contain_text("1 of 3 online")

    # A board opens its stream with its token: the hub's next flush (2 s) announces it.
    display = HubClient(hub_url, "demo-display")
    buttons = HubClient(hub_url, "demo-buttons")
    try:
        display.whoami()
        buttons.whoami()
        sync_api.expect(row(page, "display-1")).to_have_count(0, timeout=WAIT_MS)
        sync_api.expect(row(page, "buttons-1")).to_have_count(0, timeout=WAIT_MS)
    finally:
        display.close()
        buttons.close()
    kiosk.report_status(printer={"paper": "ok", "online": True})
    sync_api.expect(summary).to_contain_text("All 3 devices online", timeout=WAIT_MS)
    sync_api.expect(summary).to_have_attribute("data-state", "ok")
    assert page.locator("#devices li").count() == 0


def test_an_offline_kiosk_is_red_with_when_it_was_last_seen_and_no_paper(hub_url, page):
    """A kiosk whose last report said "out of paper" and that has since gone quiet: the report
    is stale, the panel says offline since when."""
    client = HubClient(hub_url)
    try:
        snapshot = client.hall()
    finally:
        client.close()
    for d in snapshot["devices"]:
        d["online"] = True
        if d["id"] == "kiosk-1":
            d.update(online=False, last_seen="2026-11-26T09:41:07+08:00",
                     printer={"paper": "out", "online": True, "detail": ""},
                     status={"printer": {"paper": "out", "online": True, "detail": ""}})
    page.route("**/api/hall", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(snapshot)))
    page.goto(hub_url + "/")
    kiosk_row = row(page, "kiosk-1")
    sync_api.expect(kiosk_row).to_contain_text("offline since 09:41", timeout=WAIT_MS)
    sync_api.expect(kiosk_row).to_contain_text("自 09:41 起离线")
    sync_api.expect(kiosk_row).not_to_contain_text("缺纸")
    sync_api.expect(kiosk_row).to_have_attribute("data-problem", "offline")
    sync_api.expect(kiosk_row.locator(".device-problem .zh")).to_have_css("color", "rgb(200, 16, 46)")
    sync_api.expect(page.locator("#devices-summary")).to_contain_text("2 of 3 online")


def test_a_window_renamed_by_the_admin_shows_without_a_reload(hub_url, page):
    admin = HubClient(hub_url, "demo-admin")
    try:
        page.goto(hub_url + "/")
        page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
        tile = page.locator(".tile").first
        sync_api.expect(tile).to_contain_text("1号窗口")
        config = admin.request("GET", "/api/admin/config")[1]["config"]
        window = next(w for w in config["windows"] if w["id"] == "1")
        body = {k: v for k, v in window.items() if k != "id"}
        body["name"] = {"zh": "综合受理窗口", "en": "General desk"}
        admin.request("PUT", "/api/admin/windows/1", body)
        sync_api.expect(tile).to_contain_text("综合受理窗口", timeout=WAIT_MS)
        sync_api.expect(tile).to_contain_text("General desk")
    finally:
        admin.close()
