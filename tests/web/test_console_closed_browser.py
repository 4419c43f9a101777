"""The clerk console in a real browser for a window closed for the day and for a supervisor:
the clerk's page says closed in one voice and offers no way back; a supervisor's page reopens it
(by click or key) and calls a chosen ticket from the line, and the clerk's page follows live.

Needs `pip install playwright` and `apt-get install chromium fonts-noto-cjk` (see .ci/run);
skipped when either is missing. One hub and one browser serve the whole module.
"""
from __future__ import annotations

import pytest
from browser_support import TABLET, WAIT_MS, checked_context, require_browser

sync_api = require_browser()

pytestmark = pytest.mark.slow

expect = sync_api.expect
SERVICE = "foreign-investment"  # window 5's first service in the demo hall


@pytest.fixture
def context(browser):
    """A tablet-sized browser profile; fails the test on any JavaScript error of its pages."""
    with checked_context(browser, **TABLET) as ctx:
        yield ctx


@pytest.fixture
def other_context(browser):
    """A second device (another member of staff's tablet): its own cookies."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield ctx
    finally:
        ctx.close()


def console(ctx, hub_url, staff_id: str, window: str):
    page = ctx.new_page()
    page.goto(f"{hub_url}/console/login?window={window}")
    page.fill("#clerk", staff_id)
    page.fill("#password", "demo")
    page.click("#sign-in")
    page.wait_for_url(f"**/console/{window}")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    return page


def test_a_closed_window_is_reopened_by_a_supervisor_and_the_clerk_sees_it(
        hub_url, context, other_context, kiosk, buttons):
    waiting = kiosk.issue(SERVICE)["ticket"]["number"]
    clerk = console(context, hub_url, "w5", "5")
    expect(clerk.locator("#queue")).to_contain_text(waiting, timeout=WAIT_MS)
    expect(clerk.locator("#queue .q-call")).to_have_count(0)  # a clerk calls in order only

    buttons.window("5", "close")
    expect(clerk.locator("#win-status .zh")).to_have_text("已关闭（今日）", timeout=WAIT_MS)
    expect(clerk.locator("#cur-service")).to_contain_text("已关闭（今日）：可由值班主任重新开启")
    expect(clerk.locator("button[data-action=call-next]")).to_be_disabled()
    expect(clerk.locator("#pause-btn")).to_be_hidden()  # resuming is not the way back
    expect(clerk.locator("#open-btn")).to_be_hidden()
    clerk.keyboard.press("p")
    clerk.keyboard.press("o")
    expect(clerk.locator("#error")).to_be_hidden()
    assert next(w for w in buttons.hall()["windows"] if w["id"] == "5")["status"] == "closed"

    lead = console(other_context, hub_url, "lead", "5")
    expect(lead.locator("#win-status .zh")).to_have_text("已关闭（今日）")
    expect(lead.locator("#cur-service")).to_contain_text("您可重新开启本窗口")
    reopen = lead.locator("#open-btn")
    expect(reopen).to_be_visible()
    expect(reopen).to_be_enabled()
    expect(lead.locator("#queue .q-call")).to_have_count(1)
    expect(lead.locator("#queue .q-call")).to_be_disabled()  # nobody is called at a closed window
    reopen.click()
    expect(lead.locator("#win-status .zh")).to_have_text("开放", timeout=WAIT_MS)
    expect(lead.locator("#info")).to_contain_text("窗口已重新开启")
    expect(reopen).to_be_hidden()
    # The clerk's page follows without a reload.
    expect(clerk.locator("#win-status .zh")).to_have_text("开放", timeout=WAIT_MS)
    expect(clerk.locator("button[data-action=call-next]")).to_be_enabled()

    # Closed again, the supervisor reopens it with the O key.
    buttons.window("5", "close")
    expect(lead.locator("#open-btn")).to_be_visible(timeout=WAIT_MS)
    lead.keyboard.press("o")
    expect(lead.locator("#win-status .zh")).to_have_text("开放", timeout=WAIT_MS)


def test_a_supervisor_calls_a_chosen_ticket_from_the_line(hub_url, context, other_context, kiosk):
    numbers = [kiosk.issue("foreign-trade")["ticket"]["number"] for _ in range(3)]
    lead = console(other_context, hub_url, "lead", "5")
    clerk = console(context, hub_url, "w5", "5")
    for n in numbers:
        expect(lead.locator("#queue")).to_contain_text(n, timeout=WAIT_MS)
    chosen = numbers[2]
    button = lead.locator(f'#queue button[data-number="{chosen}"]')
    expect(button).to_be_enabled()
    button.click()
    expect(lead.locator("#cur-number")).to_have_text(chosen, timeout=WAIT_MS)
    expect(lead.locator("#info")).to_contain_text(f"已叫号 {chosen}（指定）")
    expect(lead.locator("#queue")).not_to_contain_text(chosen)
    expect(lead.locator("#queue")).to_contain_text(numbers[0])
    # The window's clerk sees who is at their window now.
    expect(clerk.locator("#cur-number")).to_have_text(chosen, timeout=WAIT_MS)

    # In English, and from the keyboard: Tab to a ticket's button, Enter calls it.
    lead.click("#lang")
    second = lead.locator(f'#queue button[data-number="{numbers[1]}"]')
    expect(second).to_contain_text("Call this one")
    second.focus()
    lead.keyboard.press("Enter")
    expect(lead.locator("#cur-number")).to_have_text(numbers[1], timeout=WAIT_MS)
    expect(lead.locator("#info")).to_contain_text(f"Called {numbers[1]} (chosen)")
    lead.click("#lang")
