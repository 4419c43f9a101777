"""The citizen's phone page (/t/<token>) in Chromium at a phone's size, against a real hub: told
when their turn is near and when called (tone, vibration, large type), still told after the
phone slept, and the rating afterwards.

The phone's hardware is stubbed in an init script that records what the page asks of it:
`navigator.vibrate` patterns, the notes the WebAudio chime starts, and each EventSource opened
(so a test can kill the streams as a sleeping phone does). One hub serves the module: each test
uses windows and services of its own.
"""
from __future__ import annotations

import pytest
from browser_support import PHONE, WAIT_MS, checked_context, require_browser

sync_api = require_browser()

from hallcall.hallclient import HubClient  # noqa: E402

pytestmark = pytest.mark.slow
expect = sync_api.expect

PHONE_STUBS = """
(() => {
  window.__vibrations = [];
  window.__tones = [];
  window.__streams = [];
  Object.defineProperty(Navigator.prototype, "vibrate", {
    configurable: true, value: function (p) { window.__vibrations.push(p); return true; }
  });
  class FakeAudio {
    constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
    resume() { return Promise.resolve(); }
    createOscillator() {
      const o = { type: "", frequency: { setValueAtTime(v) { o.freq = v; } },
                  connect() {}, start() { window.__tones.push(o.freq); }, stop() {} };
      return o;
    }
    createGain() {
      return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
    }
  }
  window.AudioContext = FakeAudio;
  window.webkitAudioContext = FakeAudio;
  const RealES = window.EventSource;
  window.EventSource = function (url, opts) {
    const es = new RealES(url, opts);
    window.__streams.push(es);
    return es;
  };
  window.EventSource.CLOSED = 2;
  // The phone's screen: tests switch it off and on.
  window.__visibility = "visible";
  const screen = { configurable: true };
  Object.defineProperty(document, "visibilityState", { ...screen, get: () => window.__visibility });
  Object.defineProperty(document, "hidden", { ...screen, get: () => window.__visibility === "hidden" });
})();
"""


@pytest.fixture
def page(browser):
    with checked_context(browser, **PHONE, has_touch=True) as context:
        context.add_init_script(PHONE_STUBS)
        yield context.new_page()


@pytest.fixture
def admin(hub_url):
    c = HubClient(hub_url, "demo-admin")
    yield c
    c.close()


def recorded(page):
    return page.evaluate("({vibrations: window.__vibrations, tones: window.__tones.length,"
                         " streams: window.__streams.length})")


def open_ticket(page, hub_url, token):
    page.goto(f"{hub_url}/t/{token}")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)


def test_near_then_called_then_recalled(hub_url, page, kiosk, buttons):
    near = kiosk.hall()["hall"].get("near_ahead", 3)
    ahead = [kiosk.issue("provident-fund")["ticket"] for _ in range(near + 2)]
    mine = kiosk.issue("provident-fund")
    assert mine["ahead"] == near + 2
    open_ticket(page, hub_url, mine["ticket"]["token"])
    expect(page.locator("#near")).to_be_hidden()
    page.locator("#alerts-on").click()
    expect(page.locator("#alerts-done")).to_be_visible()
    before = recorded(page)
    assert before["vibrations"] == []  # the page asks nothing of the phone until there is news

    # Window 30 serves only this service: two calls leave `near` ahead.
    for t in ahead[:2]:
        assert buttons.call_next("30")["ticket"]["id"] == t["id"]
    banner = page.locator("#near")
    expect(banner).to_be_visible(timeout=WAIT_MS)
    expect(banner).to_contain_text("快到您了")
    expect(banner).to_contain_text("Your turn is near")
    expect(banner).to_contain_text(f"{near} ahead")
    told = recorded(page)
    assert len(told["vibrations"]) == 1 and told["tones"] > before["tones"]

    # One more call: still near, but told only once per ticket.
    buttons.call_next("30")
    expect(banner).to_contain_text(f"{near - 1} ahead", timeout=WAIT_MS)
    assert len(recorded(page)["vibrations"]) == 1

    for _ in range(near - 1):
        buttons.call_next("30")
    called = buttons.call_next("30")
    assert called["ticket"]["id"] == mine["ticket"]["id"]
    screen = page.locator("#called")
    expect(screen).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#called-where")).to_contain_text("30号窗口")
    expect(page.locator("#called-where")).to_contain_text("Window 30")
    expect(page.locator("#called-number")).to_have_text(mine["ticket"]["number"])
    expect(banner).to_be_hidden()
    expect(page.locator("body")).to_have_class("ticket-page is-called")
    # Full width of the phone's screen, in type far larger than the page's.
    box = screen.bounding_box()
    assert box["width"] >= PHONE["viewport"]["width"] - 2
    size = page.locator("#called-where .zh").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 48
    told = recorded(page)
    assert len(told["vibrations"]) == 2

    # "OK, on my way" puts it away; a recall brings it back, and tells again.
    page.locator("#called-ok").click()
    expect(screen).to_be_hidden()
    buttons.window("30", "recall")
    expect(screen).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function("window.__vibrations.length === 3", timeout=WAIT_MS)
    assert recorded(page)["tones"] > told["tones"]
    buttons.window("30", "finish")


def test_after_sleep_the_page_shows_the_call_it_missed(hub_url, page, kiosk, buttons):
    first = kiosk.issue("medical-reimbursement")["ticket"]
    mine = kiosk.issue("medical-reimbursement")["ticket"]
    open_ticket(page, hub_url, mine["token"])
    expect(page.locator("#t-main")).to_contain_text("1 person ahead")
    streams = recorded(page)["streams"]

    # The screen goes off and the stream dies with it, silently (no error, no retry).
    page.evaluate("""() => {
      window.__visibility = "hidden";
      document.dispatchEvent(new Event("visibilitychange"));
      window.__streams.forEach(es => es.close());
    }""")
    assert buttons.call_next("24")["ticket"]["id"] == first["id"]
    assert buttons.call_next("24")["ticket"]["id"] == mine["id"]
    page.wait_for_timeout(500)
    expect(page.locator("#called")).to_be_hidden()  # nothing reached the sleeping page

    page.evaluate("""() => {
      window.__visibility = "visible";
      document.dispatchEvent(new Event("visibilitychange"));
    }""")
    expect(page.locator("#called")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#called-where")).to_contain_text("Window 24")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    after = recorded(page)
    assert after["streams"] > streams  # a new stream, from where the old one stopped
    assert [v for v in after["vibrations"] if len(v) == 5] == [[400, 200, 400, 200, 400]]

    # Woken again (and the stream reopened again, replaying nothing new): no second alert.
    page.evaluate("""() => { document.dispatchEvent(new Event("visibilitychange"));
                             window.dispatchEvent(new Event("online")); }""")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    buttons.window("24", "start")  # and it still follows the stream
    expect(page.locator("#t-main")).to_contain_text("Being served at", timeout=WAIT_MS)
    assert len(recorded(page)["vibrations"]) == len(after["vibrations"])
    buttons.window("24", "finish")


def test_rating_form_sends_and_thanks(hub_url, page, kiosk, buttons, admin):
    t = kiosk.issue("senior-card")["ticket"]
    assert buttons.call_next("33")["ticket"]["id"] == t["id"]
    open_ticket(page, hub_url, t["token"])
    expect(page.locator("#rate")).to_be_hidden()
    buttons.window("33", "finish")
    form = page.locator("#rate-form")
    expect(form).to_be_visible(timeout=WAIT_MS)
    for words in ("满意", "Satisfied", "基本满意", "Fairly satisfied", "不满意", "Unsatisfied"):
        expect(form).to_contain_text(words)
    expect(page.locator("#guide-a")).to_have_attribute("href", "/guide/senior-card")
    send = page.locator("#rate-send")
    expect(send).to_be_disabled()  # a face first
    page.locator('.face[data-rating="unsatisfied"]').click()
    page.locator("#rate-comment").fill("窗口人员态度不好")
    send.click()
    thanks = page.locator("#rate-thanks")
    expect(thanks).to_be_visible(timeout=WAIT_MS)
    expect(thanks).to_contain_text("谢谢评价")
    expect(thanks).to_contain_text("Thank you")
    expect(form).to_be_hidden()
    assert kiosk.ticket(t["token"])["ticket"]["rating"] == "unsatisfied"
    day = kiosk.hall()["hall"]["day"]
    rows = admin.request("GET", f"/api/reports/unsatisfied?from={day}&to={day}")[1]["tickets"]
    assert any(r["id"] == t["id"] and r["comment"] == "窗口人员态度不好" for r in rows)
    page.reload()  # still thanked, and never a second form
    expect(thanks).to_be_visible(timeout=WAIT_MS)
    expect(form).to_be_hidden()


def test_rated_by_the_window_keys_says_so_without_a_form(hub_url, page, kiosk, buttons):
    t = kiosk.issue("disability-card")["ticket"]
    assert buttons.call_next("34")["ticket"]["id"] == t["id"]
    buttons.window("34", "finish")
    open_ticket(page, hub_url, t["token"])
    expect(page.locator("#rate-form")).to_be_visible(timeout=WAIT_MS)
    buttons.window("34", "rate", {"rating": "basic"})  # the citizen pressed a key at the counter
    already = page.locator("#rate-already")
    expect(already).to_be_visible(timeout=WAIT_MS)
    expect(already).to_contain_text("已评价")
    expect(already).to_contain_text("基本满意")
    expect(already).to_contain_text("already been rated")
    expect(page.locator("#rate-form")).to_be_hidden()
    expect(page.locator("#rate-thanks")).to_be_hidden()
