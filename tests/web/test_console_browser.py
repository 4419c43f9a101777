"""The clerk console in a real browser (Debian's chromium through playwright) against a real hub:
a clerk signs in, calls, serves and rates by click and by key while the hall overview follows;
a clerk cannot act at another's window; the hub's refusals and a lost stream are shown readably.

Needs `pip install playwright` and `apt-get install chromium fonts-noto-cjk` (see .ci/run);
skipped when either is missing. One hub and one browser serve the whole module.
"""
from __future__ import annotations

import re

import pytest
from browser_support import TABLET, WAIT_MS, checked_context, require_browser

sync_api = require_browser()


pytestmark = pytest.mark.slow

expect = sync_api.expect


@pytest.fixture
def context(browser):
    """A tablet-sized browser profile; fails the test on any JavaScript error of its pages."""
    with checked_context(browser, **TABLET) as ctx:
        yield ctx


def sign_in(page, hub_url, clerk: str, window: str) -> None:
    page.goto(f"{hub_url}/console/login")
    page.fill("#clerk", clerk)
    page.fill("#password", "demo")
    page.click("#sign-in")
    page.wait_for_url(f"**/console/{window}")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)


def test_clerk_calls_serves_and_rates_while_the_overview_follows(hub_url, context, kiosk):
    overview = context.new_page()
    overview.goto(hub_url + "/")
    overview.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    tile = overview.locator(".tile").nth(2)  # window 3
    expect(tile).to_contain_text("3号窗口")

    page = context.new_page()
    sign_in(page, hub_url, "w3", "3")
    expect(page.locator(".win-status")).to_contain_text("开放")
    call = page.locator("button[data-action=call-next]")
    expect(call).to_be_disabled()  # nobody waits yet

    # A ticket for window 3's first service appears in its line without a reload.
    number = kiosk.issue("company-setup")["ticket"]["number"]
    expect(page.locator("#queue")).to_contain_text(number, timeout=WAIT_MS)
    expect(page.locator("#queue-count")).to_contain_text("共 1 人")

    call.click()
    expect(page.locator("#cur-number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#cur")).to_have_attribute("data-status", "called")
    expect(page.locator("#cur-service")).to_contain_text("企业设立登记")
    expect(page.locator("#info")).to_contain_text(f"已叫号 {number}")
    expect(page.locator("#queue-empty")).to_be_visible()
    expect(page.locator("#cur-timer")).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=WAIT_MS)  # it runs
    expect(tile.locator(".tile-num")).to_have_text(number, timeout=WAIT_MS)
    expect(tile).to_have_attribute("data-state", "called")

    page.keyboard.press("s")  # start
    expect(page.locator("#cur")).to_have_attribute("data-status", "serving", timeout=WAIT_MS)
    expect(page.locator("button[data-action=recall]")).to_be_disabled()
    expect(tile).to_have_attribute("data-state", "serving", timeout=WAIT_MS)

    page.keyboard.press("f")  # finish: the rating choice opens
    expect(page.locator("#sheet-finish")).to_be_visible()
    expect(page.locator("#sheet-finish")).to_contain_text(f"办结 {number}")
    page.locator("#sheet-finish button[data-rating=satisfied]").click()
    expect(page.locator("#cur-number")).to_have_text("—", timeout=WAIT_MS)
    expect(page.locator("#info")).to_contain_text("已办结（满意）")
    expect(page.locator("#f-served")).to_have_text("1", timeout=WAIT_MS)
    expect(page.locator("#f-satisfied")).to_have_text("1")
    expect(page.locator("#actions")).to_be_visible()
    expect(tile).to_have_attribute("data-state", "idle", timeout=WAIT_MS)
    expect(tile.locator(".tile-num")).to_have_text("—")

    # English, remembered on this device.
    page.click("#lang")
    expect(call).to_contain_text("Call next")
    assert not page.locator("button[data-action=call-next] .zh").is_visible()
    page.reload()
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    assert page.evaluate("document.documentElement.dataset.lang") == "en"
    expect(page.locator("#cur-service")).to_contain_text("No ticket at the window")
    page.click("#lang")
    assert page.evaluate("document.documentElement.dataset.lang") == "zh"


def test_a_clerk_of_window_3_cannot_act_at_window_4(hub_url, context, kiosk):
    mine = kiosk.issue("individual-business")["ticket"]  # window 4's service; not window 3's
    page = context.new_page()
    sign_in(page, hub_url, "w3", "3")

    refused = page.goto(f"{hub_url}/console/4")
    assert refused.status == 403
    expect(page.locator("#message")).to_contain_text("这不是您的窗口")
    page.goto(f"{hub_url}/console/3")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    answer = page.evaluate("""() => fetch('/api/windows/4/call-next', {
        method: 'POST', headers: {'X-CSRF-Token': document.body.dataset.csrf}})
        .then(r => r.json().then(b => [r.status, b.error.code]))""")
    assert answer == [403, "forbidden"]
    assert kiosk.ticket(mine["token"])["ticket"]["status"] == "waiting"


def test_refusals_and_a_lost_stream_are_shown_readably(hub_url, context, kiosk, buttons):
    page = context.new_page()
    # Keep the event stream from the page: it then cannot know the window was paused.
    page.route("**/api/events*", lambda route: route.abort())
    page.goto(f"{hub_url}/console/login")
    page.fill("#clerk", "w5")
    page.fill("#password", "demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/5")
    expect(page.locator("#offline")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#offline")).to_contain_text("正在重新连接")

    kiosk.issue("foreign-investment")
    page.reload()  # the line is read again; the stream stays cut off
    call = page.locator("button[data-action=call-next]")
    expect(call).to_be_enabled(timeout=WAIT_MS)
    buttons.window("5", "pause")
    try:
        page.keyboard.press("n")
        error = page.locator("#error")
        expect(error).to_be_visible(timeout=WAIT_MS)
        expect(error).to_contain_text("该窗口已暂停或关闭")
        assert "Traceback" not in page.content()
        # The page then reads the window again: only resuming fits now.
        expect(page.locator(".win-status")).to_contain_text("暂停", timeout=WAIT_MS)
        expect(call).to_be_disabled()
        expect(page.locator("#pause-btn")).to_contain_text("恢复")
        page.keyboard.press("p")
        expect(page.locator(".win-status")).to_contain_text("开放", timeout=WAIT_MS)
        expect(call).to_be_enabled()
    finally:
        buttons.window("5", "resume")
