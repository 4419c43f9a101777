"""The booking pages in a real browser (chromium, a phone's viewport) against a real hub on a
held clock: book a slot, see its code and QR, come back to it, cancel it and see the place free
again; a full slot cannot be chosen, one taken meanwhile is said so; zh/en."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import segno
from browser_support import WAIT_MS, checked_context, require_browser
from helpers import SHANGHAI, FakeClock, small_hall_data

sync_api = require_browser()
expect = sync_api.expect

from hallcall.server.config import parse_config  # noqa: E402
from hallcall.server.web.qr import QUIET_ZONE  # noqa: E402

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 26)
# A 360-px phone, the narrowest the pages are made for.
SMALL_PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 26, 9, 5, tzinfo=SHANGHAI), step=0.001)


@pytest.fixture
def hub(live_hub, clock):
    return live_hub(hall=booking_hall(), clock=clock)


@pytest.fixture
def page(browser):
    with checked_context(browser, **SMALL_PHONE) as context:
        page = context.new_page()
        violations: list[str] = []
        # A refused fetch (409) is logged too, and is expected here; a CSP violation is not.
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        yield page
        assert not violations, violations


def booking_hall():
    """The small hall, with bookings for A (2 places a slot, 20 min early to 10 min late) and for
    C (which opens Monday to Friday)."""
    data = small_hall_data()
    a, _, c = data["services"]
    a["appointments"] = {"slot_minutes": 30, "per_slot": 2, "days_ahead": 3,
                         "early_minutes": 20, "late_minutes": 10}
    c["appointments"] = {"days_ahead": 7}
    return parse_config(data)


def scanned(locator) -> str:
    """The text a barcode reader (zbar: Debian's libzbar0 and pyzbar, which .ci/run and the
    test extra install) reads off a screenshot of the element, as the kiosk's scanner would."""
    import io

    from PIL import Image
    from pyzbar.pyzbar import decode
    found = decode(Image.open(io.BytesIO(locator.screenshot())))
    assert len(found) == 1, found
    return found[0].data.decode()


def qr_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules (x, y) of one of the hub's QR SVGs (server/web/qr.py's path of runs)."""
    d = re.search(r'<path fill="#000" d="([^"]*)"', svg).group(1)
    return {(int(x) + i, int(y)) for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", d)
            for i in range(int(w))}


def choose_day(page, url, service_zh="甲", day=TODAY):
    page.goto(url + "/book")
    page.get_by_role("button", name=re.compile(service_zh)).click()
    page.locator(f'.day-btn[data-date="{day.isoformat()}"]').click()
    expect(page.locator(".slot-btn").first).to_be_visible(timeout=WAIT_MS)


def test_book_see_the_code_and_qr_come_back_and_cancel(hub, page):
    slots = hub.hub.slots("a", TODAY)
    slot = slots[2]
    choose_day(page, hub.url)
    # No horizontal scrolling on a 360-px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button = page.locator(f'.slot-btn[data-start="{slot.start.isoformat()}"]')
    expect(button).to_contain_text(f"{slot.start:%H:%M}–{slot.end:%H:%M}")
    expect(button).to_contain_text("余 2 个名额")
    button.click()
    expect(page.locator("#sum-time")).to_have_text(f"{slot.start:%H:%M}–{slot.end:%H:%M}")
    page.locator("#phone").fill("138 0013 8000")
    page.locator("#book-yes").click()

    page.wait_for_url(re.compile(r"/book/[^/]+$"), timeout=WAIT_MS)
    token = page.url.rsplit("/", 1)[1]
    stored = hub.hub.appointment(token)
    assert stored.phone == "138 0013 8000" and stored.start == slot.start
    code = page.locator("#b-code")
    expect(code).to_have_text(stored.code, timeout=WAIT_MS)
    assert re.fullmatch(r"\d{6}", stored.code)
    # The code in large type, the QR beside it, loaded, drawn from the code.
    assert float(code.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 48
    qr = page.locator("#b-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("() => document.getElementById('b-qr').naturalWidth > 0", timeout=WAIT_MS)
    svg = page.request.get(hub.url + qr.get_attribute("src")).text()
    matrix = segno.make(stored.code, error="m", micro=False).matrix
    assert qr_modules(svg) == {(x + QUIET_ZONE, y + QUIET_ZONE) for y, row in enumerate(matrix)
                               for x, m in enumerate(row) if m}
    assert scanned(qr) == stored.code  # what a scanner reads from the code as Chromium draws it
    # When to check in: 20 min early to 10 min late (the service's rules).
    early = f"{slot.start - timedelta(minutes=20):%H:%M}–{slot.start + timedelta(minutes=10):%H:%M}"
    expect(page.locator("#b-main")).to_contain_text("到自助取号机签到")
    expect(page.locator("#b-main")).to_contain_text(early)
    expect(page.locator("#b-service")).to_contain_text("甲")

    page.reload()  # a bookmark shows it again
    expect(page.locator("#b-code")).to_have_text(stored.code, timeout=WAIT_MS)

    page.locator("#cancel-ask").click()
    expect(page.locator("#cancel-confirm")).to_be_visible()
    assert hub.hub.appointment(token).status == "booked"  # asking is not cancelling
    page.locator("#cancel-yes").click()
    expect(page.locator("#b-main")).to_contain_text("预约已取消", timeout=WAIT_MS)
    expect(page.locator("#b-sub")).to_contain_text("名额已释放")
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#b-qr")).to_be_hidden()
    assert hub.hub.appointment(token).status == "cancelled"
    page.reload()
    expect(page.locator("#b-main")).to_contain_text("预约已取消", timeout=WAIT_MS)

    # The place is free again for the next citizen.
    choose_day(page, hub.url)
    expect(page.locator(f'.slot-btn[data-start="{slot.start.isoformat()}"]')).to_contain_text("余 2 个名额")


def test_a_full_slot_is_disabled_and_one_taken_meanwhile_is_said(hub, page):
    slots = hub.hub.slots("a", TODAY)
    full, last_place = slots[3], slots[4]
    for _ in range(2):
        hub.hub.book("a", full.start)
    hub.hub.book("a", last_place.start)
    choose_day(page, hub.url)
    full_button = page.locator(f'.slot-btn[data-start="{full.start.isoformat()}"]')
    expect(full_button).to_be_disabled()
    expect(full_button).to_contain_text("已约满")
    other = page.locator(f'.slot-btn[data-start="{last_place.start.isoformat()}"]')
    expect(other).to_contain_text("余 1 个名额")
    other.click()
    hub.hub.book("a", last_place.start)  # another phone takes the last place first
    page.locator("#book-yes").click()
    expect(page.locator("#slot-error")).to_contain_text("刚刚被约满", timeout=WAIT_MS)
    expect(other).to_be_disabled()
    expect(other).to_contain_text("已约满")
    assert sum(1 for a in hub.hub.appointments_of_day(TODAY, "a")
               if a.start == last_place.start and a.status == "booked") == 2


def test_closed_weekdays_cannot_be_chosen_and_the_search_filters(hub, page):
    page.goto(hub.url + "/book")
    page.locator("#svc-search").fill("gam")
    expect(page.locator('.svc-btn[data-service="a"]')).to_be_hidden()
    page.locator('.svc-btn[data-service="c"]').click()
    expect(page.locator('.day-btn[data-date="2026-11-28"]')).to_be_disabled()  # Saturday
    expect(page.locator('.day-btn[data-date="2026-11-28"]')).to_contain_text("不办公")
    expect(page.locator('.day-btn[data-date="2026-11-27"]')).to_be_enabled()
    page.get_by_role("button", name=re.compile("更换")).first.click()
    page.locator("#svc-search").fill("没有这个")
    expect(page.locator("#svc-none")).to_be_visible()
    # A link from the service's guide opens on its days.
    page.goto(hub.url + "/book?service=c")
    expect(page.locator("#step-day")).to_be_visible()
    expect(page.locator("#chosen-service")).to_contain_text("丙")


def test_the_pages_switch_between_chinese_and_english(hub, page):
    page.goto(hub.url + "/book")
    heading = page.locator("#service-h")
    expect(heading.locator(".zh")).to_be_visible()
    expect(heading.locator(".en")).to_be_hidden()
    page.locator("#lang").click()
    expect(heading.locator(".en")).to_have_text("Choose a service")
    expect(heading.locator(".zh")).to_be_hidden()
    page.locator('.svc-btn[data-service="a"]').click()
    page.locator(f'.day-btn[data-date="{TODAY.isoformat()}"]').click()
    page.locator(".slot-btn:enabled").first.click()
    page.locator("#book-yes").click()
    page.wait_for_url(re.compile(r"/book/[^/]+$"), timeout=WAIT_MS)
    # The choice is remembered: the booking's page is in English too, and the booking says so.
    expect(page.locator("#b-main .en")).to_contain_text("Check in at a ticket kiosk", timeout=WAIT_MS)
    expect(page.locator("#b-main .zh")).to_be_hidden()
    assert hub.hub.appointment(page.url.rsplit("/", 1)[1]).lang == "en"


def test_a_booking_checked_in_meanwhile_cannot_be_cancelled_and_says_so(hub, page):
    slot = hub.hub.slots("a", TODAY)[0]  # under way: its check-in is open
    booking = hub.hub.book("a", slot.start)
    page.goto(f"{hub.url}/book/{booking.token}")
    expect(page.locator("#b-code")).to_have_text(booking.code, timeout=WAIT_MS)
    page.locator("#cancel-ask").click()
    hub.hub.check_in(booking.code)  # at the kiosk, while the phone asks
    page.locator("#cancel-yes").click()
    expect(page.locator("#cancel-error")).to_contain_text("已签到", timeout=WAIT_MS)
    expect(page.locator("#cancel-error")).to_be_visible()
    expect(page.locator("#b-main")).to_contain_text("已签到")
    expect(page.locator("#cancel-ask")).to_be_hidden()
    expect(page.locator("#b-qr")).to_be_hidden()
    assert hub.hub.appointment(booking.token).status == "checked_in"
    page.reload()
    expect(page.locator("#b-main")).to_contain_text("已签到", timeout=WAIT_MS)
    expect(page.locator("#cancel")).to_be_hidden()


def test_a_booking_whose_day_is_over_says_so_and_offers_no_cancel(hub, page, clock):
    booking = hub.hub.book("a", hub.hub.slots("a", TODAY)[-1].start)
    clock.advance(days=1)
    page.goto(f"{hub.url}/book/{booking.token}")
    expect(page.locator("#b-main")).to_contain_text("该预约的日期已过", timeout=WAIT_MS)
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#b-qr")).to_be_hidden()
