"""The two web pages in a real browser (Debian's chromium through playwright) against a real hub:
the hall overview and the citizen's phone page follow the event stream without a reload.

Needs `pip install playwright` and `apt-get install chromium fonts-noto-cjk` (see .ci/run);
skipped when either is missing. One hub and one browser serve the whole module.
"""
from __future__ import annotations

import pytest
from browser_support import PHONE, WAIT_MS, checked_context, require_browser

sync_api = require_browser()

from hallcall.hallclient import HubClient  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def page(browser):
    with checked_context(browser, **PHONE) as context:
        yield context.new_page()


def test_overview_shows_a_call_live(hub_url, page, kiosk, buttons):
    page.goto(hub_url + "/")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    tile = page.locator(".tile").first  # window 1
    sync_api.expect(tile).to_contain_text("1号窗口")
    sync_api.expect(tile).to_contain_text("空闲")

    ticket = kiosk.issue("company-name")["ticket"]
    called = buttons.call_next("1")["ticket"]
    assert called["id"] == ticket["id"]

    # Without a reload: the window's tile, and the newest of the recent calls.
    sync_api.expect(tile.locator(".tile-num")).to_have_text(ticket["number"], timeout=WAIT_MS)
    sync_api.expect(tile).to_have_attribute("data-state", "called")
    sync_api.expect(page.locator("#recent li").first).to_contain_text(ticket["number"])
    sync_api.expect(page.locator("#recent li").first).to_contain_text("Window 1")

    buttons.window("1", "start")
    sync_api.expect(tile).to_have_attribute("data-state", "serving", timeout=WAIT_MS)


def test_overview_tells_staff_when_a_kiosk_printer_needs_paper(hub_url, page, kiosk):
    page.goto(hub_url + "/")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    devices = page.locator("#devices")
    kiosk.report_status(printer={"paper": "near_end", "online": True})
    sync_api.expect(devices).to_contain_text("纸将用尽", timeout=WAIT_MS)
    sync_api.expect(devices).to_contain_text("kiosk-1")
    kiosk.report_status(printer={"paper": "ok", "online": True})
    # Paper again: the kiosk leaves the list of devices needing attention.
    sync_api.expect(page.locator('#devices li[data-device="kiosk-1"]')).to_have_count(0, timeout=WAIT_MS)


def test_ticket_page_follows_the_ticket_until_it_is_called(hub_url, page, kiosk, buttons):
    hall = kiosk.hall()
    # Two windows of the service "company-setup" (B), so this test does not depend on the other.
    windows = [w["id"] for w in hall["windows"] if "company-setup" in w["services"]
               and w["status"] == "open" and w["id"] != "1"][:2]
    assert len(windows) == 2
    ahead = [kiosk.issue("company-setup")["ticket"] for _ in range(2)]
    mine = kiosk.issue("company-setup")
    assert mine["ahead"] == 2
    number, token = mine["ticket"]["number"], mine["ticket"]["token"]

    page.goto(f"{hub_url}/t/{token}")
    sync_api.expect(page.locator("#t-number")).to_have_text(number, timeout=WAIT_MS)
    sync_api.expect(page.locator("#t-main")).to_contain_text("2 people ahead")
    sync_api.expect(page.locator("#t-main")).to_contain_text("前面还有 2 人")
    sync_api.expect(page.locator("#t-service")).to_contain_text("企业设立登记")
    sync_api.expect(page.locator("#materials")).to_contain_text("公司章程")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)

    # Others are called: the count goes down live.
    assert buttons.call_next(windows[0])["ticket"]["id"] == ahead[0]["id"]
    sync_api.expect(page.locator("#t-main")).to_contain_text("1 person ahead", timeout=WAIT_MS)
    assert buttons.call_next(windows[1])["ticket"]["id"] == ahead[1]["id"]
    sync_api.expect(page.locator("#t-main")).to_contain_text("0 people ahead", timeout=WAIT_MS)

    # Now this one: the page says where to go.
    called = buttons.call_next(windows[0])
    assert called["ticket"]["number"] == number
    name = called["window"]["name"]
    main = page.locator("#t-main")
    sync_api.expect(main).to_contain_text(f"Please go to {name['en']}", timeout=WAIT_MS)
    sync_api.expect(main).to_contain_text(f"请到 {name['zh']}")
    sync_api.expect(page.locator("#cancel")).to_be_hidden()


def test_citizen_cancels_a_waiting_ticket(hub_url, page, kiosk):
    t = kiosk.issue("individual-business")["ticket"]
    page.goto(f"{hub_url}/t/{t['token']}")
    page.locator("#cancel-ask").click()
    page.locator("#cancel-yes").click()
    sync_api.expect(page.locator("#t-main")).to_contain_text("Cancelled", timeout=WAIT_MS)
    assert kiosk.ticket(t["token"])["ticket"]["status"] == "cancelled"


def test_unknown_ticket_shows_a_friendly_message(hub_url, page):
    page.goto(f"{hub_url}/t/no-such-ticket")
    box = page.locator("#not-found")
    sync_api.expect(box).to_be_visible(timeout=WAIT_MS)
    sync_api.expect(box).to_contain_text("未找到该排队号")
    sync_api.expect(box).to_contain_text("We couldn't find this ticket")
    sync_api.expect(page.locator("#ticket")).to_be_hidden()
    assert "not_found" not in page.content()


def test_notices_are_shown_as_text(hub_url, page):
    admin = HubClient(hub_url, "demo-admin")
    try:
        page.goto(hub_url + "/")
        page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
        html = "<img src=x onerror=\"document.body.dataset.pwned=1\">"
        admin.request("PUT", "/api/notices", {"notices": [{"zh": html, "en": "<b>bold</b>"}]})
        sync_api.expect(page.locator("#notices")).to_contain_text(html, timeout=WAIT_MS)
        assert page.locator("#notices img").count() == 0
        assert page.evaluate("document.body.dataset.pwned") is None
    finally:
        admin.close()
