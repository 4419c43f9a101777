"""Unsatisfied ratings for follow-up, in Chromium against a real hub: a supervisor signed in sees
today's on the overview (/) and beside the floor on /admin, live, with the citizen's comment; the
lobby's overview without a staff session shows no such panel (the comment is not public)."""
from __future__ import annotations

import pytest
from browser_support import DESKTOP, WAIT_MS, checked_context, require_browser

sync_api = require_browser()

pytestmark = pytest.mark.slow
expect = sync_api.expect


def sign_in(page, hub_url, member, then):
    page.goto(f"{hub_url}/console/login?next={then}")
    page.fill("#clerk", member)
    page.fill("#password", "demo")
    page.press("#password", "Enter")


def served(kiosk, buttons, service, window):
    t = kiosk.issue(service)["ticket"]
    assert buttons.call_next(window)["ticket"]["id"] == t["id"]
    buttons.window(window, "finish")
    return t


def test_supervisor_follows_up_unsatisfied_ratings_live(hub_url, browser, kiosk, buttons):
    with checked_context(browser, **DESKTOP) as staff, checked_context(browser, **DESKTOP) as lobby:
        overview = staff.new_page()
        sign_in(overview, hub_url, "lead", "/admin")
        overview.wait_for_url("**/admin**")
        floor = staff.new_page()
        floor.goto(f"{hub_url}/admin")
        overview.goto(f"{hub_url}/")
        public = lobby.new_page()
        public.goto(f"{hub_url}/")
        for page in (overview, floor, public):
            page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
        panel, beside_floor = overview.locator("#follow-up"), floor.locator("#follow-up")
        expect(panel).to_be_visible(timeout=WAIT_MS)
        expect(panel).to_contain_text("今日暂无不满意评价")
        expect(beside_floor).to_be_visible(timeout=WAIT_MS)

        t = served(kiosk, buttons, "provident-fund", "31")
        status = kiosk.request("POST", f"/api/tickets/{t['token']}/rating",
                               {"rating": "unsatisfied", "comment": "材料说明不清楚"})[0]
        assert status == 200
        satisfied = served(kiosk, buttons, "provident-fund", "31")
        buttons.window("31", "rate", {"rating": "satisfied"})  # not one to follow up

        for page in (overview, floor):
            item = page.locator(f'#follow-up li[data-ticket="{t["id"]}"]')
            expect(item).to_contain_text(t["number"], timeout=WAIT_MS)
            expect(item).to_contain_text("材料说明不清楚")
            expect(item).to_contain_text("住房公积金")  # the service
            expect(item).to_contain_text("31")  # the window
            expect(page.locator(f'#follow-up li[data-ticket="{satisfied["id"]}"]')).to_have_count(0)
        expect(panel).to_contain_text("1 today")

        # Rated at the window's keys too: it joins the list, without a comment.
        keyed = served(kiosk, buttons, "provident-fund", "31")
        buttons.window("31", "rate", {"rating": "unsatisfied"})
        item = overview.locator(f'#follow-up li[data-ticket="{keyed["id"]}"]')
        expect(item).to_contain_text("未留言", timeout=WAIT_MS)
        expect(panel).to_contain_text("2 today")

        # The lobby's overview, without a session: no panel, no comment.
        assert public.locator("#follow-up").count() == 0
        assert "材料说明不清楚" not in public.content()
