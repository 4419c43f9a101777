"""/admin in a real browser (Debian's chromium through playwright) against a real hub process:
an admin adds a service and the kiosk's snapshot and the open overview have it without a
reload; a bad prefix is refused next to its field in the hub's words; a notice changed on the
page reaches a board's state at once; a device added shows its token once, and once revoked its
token is refused and the device gone from the page; a supervisor calls a chosen ticket from the
windows view and reopens a closed window; the hall tab renames a department and sets the
English call sentence, refusing one without {window} and the removal of a department in use.

Needs `pip install playwright` and `apt-get install chromium fonts-noto-cjk` (see .ci/run);
skipped when either is missing. One hub and one browser serve the whole module.
"""
from __future__ import annotations

import queue
import time

import pytest
from browser_support import DESKTOP, WAIT_MS, checked_context, require_browser

from hallcall.display.state import BoardState
from hallcall.hallclient import HubClient, HubError
from hallcall.hallclient.feed import HubFeed

sync_api = require_browser()
expect = sync_api.expect

pytestmark = pytest.mark.slow


@pytest.fixture
def context(browser):
    """A desktop-sized profile; fails the test on any JavaScript error of its pages."""
    with checked_context(browser, **DESKTOP) as ctx:
        yield ctx


def open_admin(context, hub_url, member="admin", section=None):
    """Sign in on the way to /admin, as the page sends a signed-out visitor to do."""
    page = context.new_page()
    page.goto(f"{hub_url}/admin")
    page.wait_for_url("**/console/login?next=/admin")
    page.fill("#clerk", member)
    page.fill("#password", "demo")
    page.press("#password", "Enter")
    page.wait_for_url("**/admin**")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    if section:
        page.click(f"#tab-{section}")
        expect(page.locator(f"#sec-{section}")).to_be_visible()
    return page


def eventually(check, timeout=WAIT_MS / 1000):
    """What `check()` returns once it is truthy, asked until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def snapshot(hub_url) -> dict:
    """GET /api/hall, as a kiosk or board takes it."""
    client = HubClient(hub_url)
    try:
        return client.hall()
    finally:
        client.close()


def confirm(page):
    """Answer yes in the page's own confirmation (a modal <dialog>)."""
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-no")).to_be_focused()  # the safe answer has the focus
    page.click("#confirm-yes")
    expect(dialog).to_be_hidden()


def test_an_admin_adds_a_service_the_kiosk_and_the_open_overview_have_at_once(hub_url, context, kiosk):
    overview = context.new_page()
    overview.goto(hub_url + "/")
    overview.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    expect(overview.locator("#waiting")).not_to_contain_text("护照办理")

    page = open_admin(context, hub_url, section="services")
    page.click("#svc-add")
    form = page.locator("#svc-form")
    expect(form).to_be_visible()
    expect(page.locator("#svc-id")).to_be_focused()
    page.fill("#svc-id", "passport")
    page.fill("#svc-prefix", "a1")  # refused by the hub: one or two capital letters
    page.select_option("#svc-department", "citizens")
    page.fill("#svc-name-zh", "护照办理")
    page.fill("#svc-name-en", "Passport")
    page.click("#svc-materials-add")
    page.keyboard.type("身份证原件")  # the new row's first field has the focus
    page.fill("#svc-materials li:nth-child(1) input >> nth=1", "Identity card")
    page.check("#svc-windows input[value='3']")
    page.press("#svc-name-en", "Enter")  # a form submits with Enter

    prefix_field = form.locator("[data-path=prefix]")
    expect(prefix_field.locator(".field-error")).to_contain_text("须为一到两个大写字母", timeout=WAIT_MS)
    expect(page.locator("#svc-prefix")).to_be_focused()
    expect(page.locator("#svc-prefix")).to_have_attribute("aria-invalid", "true")
    assert "passport" not in {s["id"] for s in snapshot(hub_url)["services"]}  # nothing changed

    page.click("#lang")  # the refusal in the page's language
    expect(prefix_field.locator(".field-error .en")).to_contain_text("capital letters")
    assert not prefix_field.locator(".field-error .zh").is_visible()
    page.click("#lang")

    page.fill("#svc-prefix", "PA")
    page.click("#svc-form [data-save]")
    expect(form).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#toast")).to_contain_text("已新增业务：护照办理")
    row = page.locator("#svc-rows tr[data-service=passport]")
    expect(row).to_contain_text("PA")
    expect(row).to_contain_text("3")

    snap = kiosk.hall()
    service = next(s for s in snap["services"] if s["id"] == "passport")
    assert service["prefix"] == "PA" and service["materials"] == [{"zh": "身份证原件", "en": "Identity card"}]
    assert "passport" in next(w for w in snap["windows"] if w["id"] == "3")["services"]
    assert kiosk.issue("passport")["ticket"]["number"] == "PA001"
    # The overview opened before the change follows it without a reload.
    expect(overview.locator("#waiting")).to_contain_text("护照办理", timeout=WAIT_MS)

    # Closed now, from its row: the kiosk may no longer issue it.
    row.locator("[data-toggle=passport]").click()
    expect(row.locator("[data-toggle=passport]")).to_contain_text("恢复取号", timeout=WAIT_MS)
    assert next(s for s in snapshot(hub_url)["services"] if s["id"] == "passport")["open"] is False


def test_a_notice_changed_on_the_page_reaches_the_board(hub_url, context):
    inbox: queue.Queue = queue.Queue()
    board = BoardState()
    feed = HubFeed(hub_url, inbox, name="board", token="demo-display")
    feed.start()

    def board_notices():
        while True:
            try:
                kind, item = inbox.get_nowait()
            except queue.Empty:
                return [n["zh"] for n in board.notices]
            if kind == "hall":
                board.apply_snapshot(item)
            else:
                board.apply_event(item, time.monotonic())

    try:
        before = eventually(board_notices)
        assert before and before[0].startswith("请提前准备好材料")
        page = open_admin(context, hub_url, section="notices")
        rows = page.locator("#notice-rows > li")
        expect(rows).to_have_count(len(before))
        first = rows.nth(0).locator("input").nth(0)
        first.fill("今日大厅 17:00 闭厅。")
        rows.nth(0).locator("input").nth(1).fill("The hall closes at 17:00 today.")
        rows.nth(1).locator("[data-move=up]").click()  # the Wi-Fi notice first
        expect(rows.nth(0).locator("input").nth(0)).to_have_value(before[1])
        expect(rows.nth(1).locator("[data-move=down]")).to_be_visible()
        page.press("#notice-rows > li >> nth=0 >> input >> nth=0", "Enter")
        expect(page.locator("#toast")).to_contain_text("公告已保存", timeout=WAIT_MS)

        wanted = [before[1], "今日大厅 17:00 闭厅。", *before[2:]]
        assert eventually(lambda: board_notices() == wanted), board_notices()

        # A notice without its English is refused next to it, and the board keeps what it had.
        rows.nth(2).locator("input").nth(1).fill("")
        page.click("#notice-form [data-save]")
        refusal = rows.nth(2).locator(".field-error")
        expect(refusal).to_contain_text("公告必须同时包含中文和英文", timeout=WAIT_MS)
        time.sleep(0.3)
        assert board_notices() == wanted
    finally:
        feed.close()


def test_a_device_added_shows_its_token_once_and_a_revoked_one_is_refused(hub_url, context):
    page = open_admin(context, hub_url, section="devices")
    page.click("#dev-add")
    page.fill("#dev-id", "kiosk-lobby")
    page.select_option("#dev-role", "kiosk")
    page.fill("#dev-name", "大厅北门取号机")
    page.press("#dev-name", "Enter")

    box = page.locator("#dev-token")
    expect(box).to_be_visible(timeout=WAIT_MS)
    expect(box).to_contain_text("令牌只显示这一次")
    token = page.locator("#dev-token-value").input_value()
    assert len(token) >= 24
    expect(page.locator("#dev-token-value")).to_be_focused()
    page.click("#dev-token-copy")
    expect(page.locator("#dev-token-copied")).to_be_visible()
    page.click("#dev-token-done")
    expect(box).to_be_hidden()
    assert page.locator("#dev-token-value").input_value() == ""  # gone from the page

    device = HubClient(hub_url, token)
    try:
        assert device.whoami()["id"] == "kiosk-lobby"
        row = page.locator("#dev-rows tr[data-device=kiosk-lobby]")
        expect(row).to_contain_text("大厅北门取号机")
        # It has been seen now: online, and no longer red.
        expect(row).to_have_attribute("data-online", "true", timeout=WAIT_MS)

        row.locator("[data-revoke=kiosk-lobby]").click()
        confirm(page)
        expect(row).to_have_count(0, timeout=WAIT_MS)
        with pytest.raises(HubError) as refused:
            device.whoami()
        assert refused.value.status == 401
    finally:
        device.close()
    expect(page.locator("#dev-rows")).to_contain_text("kiosk-1")  # the others stay

    # A device never seen (console-1: no test of this module uses its token) is offline: red.
    expect(page.locator("#dev-rows tr[data-device=console-1]")).to_have_class("offline")


def test_a_supervisor_calls_a_chosen_ticket_and_reopens_a_closed_window(hub_url, context, kiosk, buttons):
    first = kiosk.issue("company-setup")["ticket"]  # window 3's first service
    chosen = kiosk.issue("company-setup")["ticket"]
    page = open_admin(context, hub_url, member="lead")
    assert page.locator("[role=tab]").count() == 0  # a supervisor has the windows view only
    assert page.locator("#sec-services").count() == 0
    card = page.locator(".floor-card[data-window='3']")
    expect(card.locator(".fc-queue")).to_contain_text(chosen["number"], timeout=WAIT_MS)

    call = card.locator(f"[data-call='{chosen['number']}']")
    call.focus()
    page.keyboard.press("Enter")  # a button works from the keyboard
    expect(card.locator(".fc-number")).to_have_text(chosen["number"], timeout=WAIT_MS)
    expect(page.locator("#toast")).to_contain_text(f"已叫 {chosen['number']}")
    ticket = kiosk.ticket(chosen["token"])["ticket"]
    assert ticket["status"] == "called" and ticket["window"] == "3"
    assert kiosk.ticket(first["token"])["ticket"]["status"] == "waiting"  # passed over, still in line
    expect(card.locator(".fc-queue")).to_contain_text(first["number"])

    # Closed for the day elsewhere: the card says so at once and a supervisor reopens it.
    buttons.window("3", "finish")
    buttons.window("3", "close")
    expect(card).to_have_attribute("data-status", "closed", timeout=WAIT_MS)
    expect(card).to_contain_text("已关闭（今日）")
    card.locator("[data-open='3']").click()
    expect(card).to_have_attribute("data-status", "open", timeout=WAIT_MS)
    assert next(w for w in snapshot(hub_url)["windows"] if w["id"] == "3")["status"] == "open"


def test_queue_rules_refused_next_to_the_field_then_saved(hub_url, context):
    page = open_admin(context, hub_url, section="rules")
    expect(page.locator("#rules-ratio")).to_have_value("3")  # the demo hall's
    page.fill("#rules-ratio", "100")
    page.press("#rules-ratio", "Enter")
    field = page.locator("#rules-form [data-path='queue.green_ratio']")
    expect(field.locator(".field-error")).to_contain_text("须在 0 到 99 之间", timeout=WAIT_MS)
    page.fill("#rules-ratio", "2")
    page.fill("#rules-offline", "90")
    page.click("#rules-form [data-save]")
    expect(page.locator("#toast")).to_contain_text("叫号规则已保存", timeout=WAIT_MS)
    expect(field.locator(".field-error")).to_have_count(0)
    admin = HubClient(hub_url, "demo-admin")
    try:
        config = admin.request("GET", "/api/admin/config")[1]["config"]
    finally:
        admin.close()
    assert config["queue"]["green_ratio"] == 2 and config["hall"]["device_offline_after_s"] == 90
    assert config["queue"]["max_wait_minutes"] == 45  # untouched
    # The audit log, newest first: the save just made heads it, with who made it.
    page.click("#tab-audit")
    newest = page.locator("#audit-rows tr").first
    expect(newest).to_have_attribute("data-action", "config.put", timeout=WAIT_MS)
    expect(newest).to_contain_text("admin")
    expect(page.locator("#audit-newer")).to_be_disabled()


def test_a_member_of_staff_added_signs_in_and_once_disabled_cannot(hub_url, context, browser):
    page = open_admin(context, hub_url, section="staff")
    page.click("#staff-add")
    page.fill("#staff-id", "w45")
    page.fill("#staff-name", "临时窗口人员")
    page.check("#staff-windows input[value='3']")
    page.fill("#staff-password", "s3cret-pass")
    page.press("#staff-password", "Enter")
    row = page.locator("#staff-rows tr[data-staff=w45]")
    expect(row).to_contain_text("临时窗口人员", timeout=WAIT_MS)
    expect(row).to_contain_text("3")

    other = browser.new_context()
    try:
        clerk = other.new_page()
        clerk.goto(f"{hub_url}/console/login")
        clerk.fill("#clerk", "w45")
        clerk.fill("#password", "s3cret-pass")
        clerk.press("#password", "Enter")
        clerk.wait_for_url("**/console/3")

        row.locator("[data-disable=w45]").click()
        confirm(page)
        expect(row).to_contain_text("已停用", timeout=WAIT_MS)
        clerk.reload()  # their session has ended
        expect(clerk.locator("#login-form")).to_be_visible()
        clerk.fill("#clerk", "w45")
        clerk.fill("#password", "s3cret-pass")
        clerk.press("#password", "Enter")
        expect(clerk.locator("#login-error")).to_contain_text("工号或密码错误")
    finally:
        other.close()


def test_the_hall_tab_renames_a_department_and_sets_the_sentence_refusing_a_bad_one(hub_url, context):
    page = open_admin(context, hub_url, section="hall")
    citizens = page.locator("#hall-departments li[data-department=citizens]")
    expect(citizens.locator("input[data-key=en]")).to_have_value("Citizens' Services")
    citizens.locator("input[data-key=en]").fill("Services for Citizens")
    citizens.locator("[data-remove]").click()  # its services still belong to it
    page.fill("#ann-template-en", "Number {number}, please come to the counter")  # no {window}
    page.press("#ann-template-en", "Enter")

    template = page.locator("#hall-form [data-path='announcer.templates.en']")
    expect(template.locator(".field-error")).to_contain_text("{number} and {window}", timeout=WAIT_MS)
    expect(page.locator("#ann-template-en")).to_have_attribute("aria-invalid", "true")
    expect(citizens.locator(".field-error")).to_have_count(1)  # one note for all its services
    expect(citizens.locator(".field-error")).to_contain_text("仍属于此部门")
    snap = snapshot(hub_url)  # nothing changed
    assert "en" not in snap["announcer"]["templates"]
    assert "citizens" in {d["id"] for d in snap["departments"]}

    citizens.locator("[data-remove]").click()  # keep it after all
    page.fill("#ann-template-en", "Number {number}, please come to {window}")
    page.click("#hall-form [data-save]")
    expect(page.locator("#toast")).to_contain_text("大厅设置已保存", timeout=WAIT_MS)
    expect(template.locator(".field-error")).to_have_count(0)

    snap = snapshot(hub_url)
    assert snap["announcer"]["templates"]["en"] == "Number {number}, please come to {window}"
    citizens_now = next(d for d in snap["departments"] if d["id"] == "citizens")
    assert citizens_now["name"]["en"] == "Services for Citizens"
    assert snap["announcer"]["voices"] == {"zh": "cmn-latn-pinyin", "en": "en"}  # untouched
    # The page, redrawn from the hub after the save, shows what was kept.
    expect(page.locator("#hall-departments li[data-department=citizens] input[data-key=en]")).to_have_value(
        "Services for Citizens")
