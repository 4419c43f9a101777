"""Issue 15 at the kiosk, against a real hub on loopback with a `dummy:` printer: an appointment
booked through the hub, checked in by the keypad or by a USB scanner's key events, its ticket
printed with its slot; late, too early, unknown codes; large text; a service's guide before a
number. Screenshots go to tmp_path and /tmp/kiosk-shots (HALLCALL_SHOTS)."""
from __future__ import annotations

from datetime import datetime

import pytest
from escpos_decode import decode
from helpers import SHANGHAI, FakeClock
from kiosk_support import hall_data, step_until

from hallcall.kiosk.driving import scan, touch
from hallcall.server.config import parse_config

GUIDE = {
    "procedure": [{"zh": "取号后在等候区等候叫号", "en": "Take a number and wait to be called"},
                  {"zh": "窗口核对材料并受理", "en": "The window checks the documents"},
                  {"zh": "当场领取护照回执", "en": "Receive the receipt at once"}],
    "time_limit": {"zh": "7个工作日", "en": "7 working days"},
    "fees": {"zh": "120元", "en": "CNY 120"},
    "result": {"zh": "护照", "en": "A passport"},
    "responsible": {"zh": "市公安局出入境管理支队", "en": "City Exit-Entry Administration"},
    "samples": [{"name": {"zh": "护照申请表（样表）", "en": "Passport application (sample)"}}],
}


def booking_hall():
    """Two services: s0 takes walk-ins only, s1 (half-hour slots, 2 places) takes bookings and
    publishes its guide."""
    data = hall_data(services=2)
    data["hall"]["timezone"] = "Asia/Shanghai"
    data["services"][1].update(
        hours=["08:30-12:00", "13:30-17:30"],
        appointments={"slot_minutes": 30, "per_slot": 2, "early_minutes": 30, "late_minutes": 15},
        guide=GUIDE)
    return parse_config(data)


@pytest.fixture
def hall_clock():
    return FakeClock(datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI), step=0.001)


@pytest.fixture
def booked(live_hub, hall_clock):
    """book(hh, mm) -> the code of a booking for today's slot at hh:mm, made at 08:00."""
    hub = live_hub(hall=booking_hall(), clock=hall_clock)

    def book(hour: int, minute: int = 0) -> str:
        return hub.hub.book("s1", datetime(2026, 12, 2, hour, minute, tzinfo=SHANGHAI)).code

    book.hub = hub
    return book


def ready(app):
    step_until(app, lambda: app.state.hall is not None and app.state.printer is not None)


def printed_ticket(app):
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    assert app.state.result.printed is True
    return decode(app.printing.printed)


def test_a_booking_checked_in_on_the_keypad_prints_its_slot(booked, hall_clock, make_kiosk, snap,
                                                           kiosk_clock):
    code = booked(9, 30)
    hall_clock.set(datetime(2026, 12, 2, 9, 10, tzinfo=SHANGHAI))  # 20 minutes early: accepted
    app = make_kiosk(booked.hub.url)
    ready(app)
    snap(app, "check-in-menu")
    touch(app.layout.appointment)
    app.step()
    assert app.state.screen == "code"
    kiosk_clock.advance(1)
    keys = dict(app.layout.code_keys)
    for digit in code[:5] + "9⌫" + code[5]:  # a slip corrected with the delete key
        touch(keys[digit])
    app.step()
    assert app.state.code == code
    snap(app, "check-in-keypad")
    touch(keys["✓"])
    out = printed_ticket(app)
    snap(app, "check-in-result")
    ticket = app.state.result.issued["ticket"]
    assert ticket["service"] == "s1" and ticket["appointment"]["code"] == code
    assert ticket["appointment"]["late"] is False
    assert [t.strip() for t in out.reversed] == ["预约 09:30-10:00"]
    assert "Appointment 09:30-10:00" in out.text and (ticket["number"], 4) in out.lines
    assert booked.hub.service("s1")["issued_today"] == 1


def test_a_scanned_code_checks_in_from_the_menu_and_a_late_one_is_a_walk_in(booked, hall_clock,
                                                                           make_kiosk, snap):
    on_time, late = booked(9, 30), booked(8, 30)
    hall_clock.set(datetime(2026, 12, 2, 9, 10, tzinfo=SHANGHAI))
    app = make_kiosk(booked.hub.url, lang="en", size=(1080, 1920))
    ready(app)
    scan(on_time)  # the citizen holds the booking's QR under the scanner: no touch at all
    out = printed_ticket(app)
    assert app.state.result.issued["ticket"]["appointment"]["code"] == on_time
    assert [t.strip() for t in out.reversed] == ["Appointment 09:30-10:00"]
    first = len(app.printing.printed)
    scan(late)  # 40 minutes after its 08:30 slot began: more than the 15 minutes allowed
    step_until(app, lambda: app.state.result.issued["ticket"]["appointment"]["code"] == late
               and app.state.result.printed is not None)
    snap(app, "check-in-late-1080x1920")
    assert app.state.result.issued["ticket"]["appointment"]["late"] is True
    out = decode(app.printing.printed[first:])
    assert "Appointment missed · walk-in number" in out.text and "预约已过时 · 按普通号" in out.text
    assert out.reversed == []
    scan(on_time)  # the same booking again: its ticket, not a second one
    step_until(app, lambda: app.state.result.issued["ticket"]["appointment"]["code"] == on_time)
    assert booked.hub.service("s1")["issued_today"] == 2


def test_too_early_unknown_and_unreachable_are_told_and_issue_nothing(booked, hall_clock, make_kiosk,
                                                                      snap, kiosk_clock):
    code = booked(11, 0)
    hall_clock.set(datetime(2026, 12, 2, 9, 10, tzinfo=SHANGHAI))
    app = make_kiosk(booked.hub.url, retry_s=1.0)
    ready(app)
    scan(code)
    step_until(app, lambda: app.state.screen == "message")
    snap(app, "check-in-too-early")
    zh, en = app.state.message
    assert "10:30" in zh and "10:30" in en  # from when: 30 minutes before the slot
    kiosk_clock.advance(1)
    touch(app.layout.back)
    app.step()
    unknown = "000000" if code != "000000" else "000001"
    scan(unknown)
    step_until(app, lambda: app.state.screen == "code" and app.state.code_error is not None)
    snap(app, "check-in-unknown-code")
    assert app.state.code == unknown
    assert app.state.code_error == ("没有这个预约号。", "No appointment with this code.")
    assert booked.hub.service("s1")["issued_today"] == 0 and app.printing.printed == b""
    kiosk_clock.advance(1)
    touch(app.layout.code_back)
    app.step()
    booked.hub.stop()
    scan(code)
    step_until(app, lambda: app.state.screen == "message", timeout=10)
    assert "无法连接取号系统" in app.state.message[0] and "No ticket was taken" in app.state.message[1]


@pytest.mark.parametrize("size", [(1920, 1080), (800, 480)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_large_text_doubles_the_menu_and_the_result_then_resets(live_hub, make_kiosk, snap, kiosk_clock,
                                                               size):
    hub = live_hub(hall=parse_config(hall_data(services=12)))
    app = make_kiosk(hub.url, size=size)
    ready(app)
    normal = app.layout.per_page
    touch(app.layout.large_button)
    app.step()
    name = f"{size[0]}x{size[1]}"
    snap(app, f"large-menu-{name}")
    assert app.state.large and app.layout.large and app.layout.per_page < normal
    assert app.state.pages() > 12 // normal  # more pages, each still reachable
    kiosk_clock.advance(1)
    touch(app.layout.next)
    app.step()
    service = app.state.page_services()[0]["id"]
    assert app.state.page == 1 and app.service_rect(service) is not None
    kiosk_clock.advance(1)
    touch(app.service_rect(service))
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    snap(app, f"large-result-{name}")
    assert app.layout.large  # the result in large type too
    kiosk_clock.advance(1)
    touch(app.layout.back)
    app.step()
    assert app.state.screen == "menu" and not app.state.large and app.layout.per_page == normal


def test_the_guide_shows_the_procedure_and_takes_a_number(booked, hall_clock, make_kiosk, snap,
                                                          kiosk_clock):
    hall_clock.set(datetime(2026, 12, 2, 9, 10, tzinfo=SHANGHAI))  # within s1's hours
    app = make_kiosk(booked.hub.url, lang="en")
    ready(app)
    step_until(app, lambda: app.state.hall["services"][1].get("guide"))
    touch(app.guide_rect("s1"))
    app.step()
    assert app.state.screen == "guide" and app.state.guide["id"] == "s1"
    snap(app, "guide-1920x1080")
    from hallcall.kiosk.screens import guide_rows
    rows = guide_rows(app.state)
    heads = [text for kind, text in rows if kind == "head"]
    assert heads == ["Windows", "How it is done", "Time limit", "Fees", "What you receive", "Responsible",
                     "Documents to bring", "Sample forms (ask at the window)"]
    assert ("item", "1. Take a number and wait to be called") in rows and ("item", "7 working days") in rows
    assert ("item", "Window 1") in rows  # the window serving it, from the hall's windows
    kiosk_clock.advance(1)
    touch(app.layout.guide_take)
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    assert app.state.result.issued["ticket"]["service"] == "s1"
    assert app.state.result.issued["ticket"]["appointment"] is None  # a walk-in's number
    kiosk_clock.advance(1)
    touch(app.layout.back)
    app.step()
    kiosk_clock.advance(1)
    touch(app.guide_rect("s0"))  # no guide published: its documents only
    app.step()
    assert app.state.screen == "guide" and app.state.guide["id"] == "s0"
    snap(app, "guide-without-one")
    assert guide_rows(app.state) == [("head", "Documents to bring"), ("item", "1. ID card and a copy")]


def test_a_long_guide_pages_on_a_small_screen(booked, make_kiosk, snap, kiosk_clock):
    app = make_kiosk(booked.hub.url, size=(800, 480))
    ready(app)
    step_until(app, lambda: app.state.hall["services"][1].get("guide"))
    touch(app.guide_rect("s1"))
    app.step()
    assert app.guide_pages > 1
    snap(app, "guide-page-1-800x480")
    for page in range(1, app.guide_pages):
        kiosk_clock.advance(1)
        touch(app.layout.guide_next)
        app.step()
        assert app.state.guide_page == page
    snap(app, "guide-last-page-800x480")
    touch(app.layout.guide_next)  # the last page: the button leads nowhere
    app.step()
    assert app.state.guide_page == app.guide_pages - 1


def test_a_scanners_keys_read_the_same_from_the_number_row_or_the_keypad():
    import pygame

    from hallcall.kiosk.app import key_char

    def key(code, char=""):
        return pygame.event.Event(pygame.KEYDOWN, key=code, unicode=char, mod=0, scancode=0)

    # A keypad's digit types nothing when Num Lock is off: its key code is still a digit.
    assert [key_char(key(k)) for k in (pygame.K_4, pygame.K_KP8, pygame.K_KP0)] == ["4", "8", "0"]
    assert {key_char(key(k)) for k in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_TAB)} == {"\n"}
    assert key_char(key(pygame.K_a, "a")) == "a" and key_char(key(pygame.K_LSHIFT)) == ""
