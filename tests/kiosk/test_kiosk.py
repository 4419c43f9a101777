"""The kiosk driven frame by frame with posted touches, against a real hub on loopback and a
`dummy:` printer that records the bytes it is sent. Each case saves screenshots to tmp_path and
/tmp/kiosk-shots (HALLCALL_SHOTS) for a person to look at."""
from __future__ import annotations

import logging
import socket

import pytest
from helpers import small_hall_data
from kiosk_support import LossyProxy, hall_data, step_until

from hallcall.kiosk.driving import finger, touch
from hallcall.server.config import parse_config
from hallcall.server.web.serialize import hall_json

SIZES = [(1920, 1080), (1080, 1920), (800, 480)]


def ready(app, service="company-name"):
    """The menu with the hall and the printer's state known, turned to `service`'s page."""
    step_until(app, lambda: app.state.hall is not None and app.state.printer is not None)
    app.state.show_service(service)
    app.step()
    return app.service_rect(service)


def back_and_touch_again(app, rect, clock):
    """The citizen goes back from a message to the menu and touches the same service again,
    a second apart (outside the bounce guard): it ends on the result."""
    clock.advance(1)
    touch(app.layout.back)
    app.step()
    clock.advance(1)
    touch(rect)
    step_until(app, lambda: app.state.screen == "result")


def printed_numbers(app, number: str) -> int:
    return app.printing.printed.count(number.encode())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_one_touch_gives_one_printed_ticket(live_hub, make_kiosk, snap, size):
    hub = live_hub()
    app = make_kiosk(hub.url, size=size)
    rect = ready(app)
    snap(app, f"menu-{size[0]}x{size[1]}")
    finger(app.size, rect)
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    snap(app, f"result-{size[0]}x{size[1]}")
    number = app.state.result.issued["ticket"]["number"]
    assert number == "A001" and app.state.result.printed is True
    assert hub.service("company-name")["issued_today"] == 1
    printed = app.printing.printed
    assert printed.count(b"A001") == 1 and printed.rstrip().endswith(b"\x1dV\x00")  # then cut


def test_a_double_touch_or_a_bounce_still_makes_one_ticket(live_hub, make_kiosk, kiosk_clock):
    hub = live_hub()
    app = make_kiosk(hub.url)
    rect = ready(app)
    touch(rect, twice=True)  # two presses before the kiosk looks
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    touch(app.layout.back)  # a bounce as the result appears: the result stays
    app.step()
    assert app.state.screen == "result"
    kiosk_clock.advance(1)
    touch(rect)  # a deliberate touch later goes back to the menu …
    app.step()
    assert app.state.screen == "menu"
    touch(rect)  # … and its bounce does not take a second number
    for _ in range(5):
        app.step()
    assert app.state.screen == "menu" and app.state.job is None
    assert hub.service("company-name")["issued_today"] == 1
    assert printed_numbers(app, "A001") == 1 and b"A002" not in app.printing.printed


def test_a_lost_answer_is_retried_with_the_same_key(live_hub, make_kiosk):
    hub = live_hub()
    proxy = LossyProxy(hub.port, lose=3)  # the hub issues; the kiosk hears nothing, three times
    try:
        app = make_kiosk(proxy.url)
        touch(ready(app))
        step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None,
                   timeout=15)
        assert proxy.lost == 3
        assert app.state.result.issued["ticket"]["number"] == "A001"
        assert hub.service("company-name")["issued_today"] == 1
        assert printed_numbers(app, "A001") == 1
    finally:
        proxy.close()


def test_the_waiting_counts_follow_the_hall(live_hub, make_kiosk):
    hub = live_hub()
    app = make_kiosk(hub.url)
    ready(app)
    for _ in range(2):
        hub.hub.issue("company-name")  # tickets from another kiosk
    waiting = lambda: next(s for s in app.state.hall["services"] if s["id"] == "company-name")["waiting"]  # noqa: E731
    step_until(app, lambda: waiting() == 2, timeout=5)


def test_paper_out_asks_once_shows_the_number_and_tells_the_hub(live_hub, make_kiosk, snap, kiosk_clock):
    hub = live_hub()
    app = make_kiosk(hub.url, printer="dummy:?paper=out")
    rect = ready(app)
    assert not app.state.printer.can_print
    snap(app, "paper-out-menu")
    device = next(d for d in hall_json(hub.hub.snapshot())["devices"] if d["id"] == "kiosk-1")
    assert device["status"]["printer"]["paper"] == "out"  # staff see it before anyone touches
    touch(rect)
    app.step()
    assert app.state.screen == "confirm"  # printing is unavailable: one more touch to take a number
    snap(app, "paper-out-confirm")
    kiosk_clock.advance(1)
    touch(app.layout.confirm_yes)
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    snap(app, "paper-out-result")
    assert app.state.result.printed is False and app.state.result.problem == "paper_out"
    assert app.state.result.issued["ticket"]["number"] == "A001"  # on screen to note down
    assert app.printing.printed == b""
    assert hub.service("company-name")["issued_today"] == 1


def test_daily_limit_shows_the_hubs_reason(live_hub, make_kiosk, snap, kiosk_clock):
    hub = live_hub(hall=parse_config(hall_data(services=2, daily_limit=1)))
    app = make_kiosk(hub.url)
    touch(ready(app, "s0"))
    step_until(app, lambda: app.state.screen == "result")
    kiosk_clock.advance(1)
    touch(app.layout.back)
    step_until(app, lambda: app.state.screen == "menu" and app.state.hall["services"][0]["issued_today"] == 1)
    snap(app, "daily-limit-menu")  # shown as full, not hidden
    kiosk_clock.advance(1)
    touch(app.service_rect("s0"))
    step_until(app, lambda: app.state.screen == "message")
    snap(app, "daily-limit")
    zh, en = app.state.message
    assert zh.startswith("该业务今日号源已满") and "Service number 1 has issued its 1 tickets" in en
    assert hub.service("s0")["issued_today"] == 1


def test_a_closed_service_says_when_it_opens(live_hub, make_kiosk, snap):
    from datetime import datetime

    from helpers import SHANGHAI
    data = small_hall_data()
    data["devices"].append({"id": "kiosk-1", "role": "kiosk", "token": "demo-kiosk"})
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    hub = live_hub(hall=parse_config(data), clock=lambda: saturday)
    app = make_kiosk(hub.url, lang="en", size=(800, 480))
    rect = ready(app, "c")
    snap(app, "closed-menu-800x480")
    touch(rect)  # the hub is asked all the same: the menu's copy may be old
    step_until(app, lambda: app.state.screen == "message")
    snap(app, "closed-service-800x480")
    zh, en = app.state.message
    assert "Gamma is not open now" in en and "Mon to Fri 08:30-12:00, 13:30-17:30" in en
    assert zh.startswith("该业务当前不在办理时间内") and "周一至周五 08:30-12:00, 13:30-17:30" in zh
    assert hub.service("c")["issued_today"] == 0


def test_hub_down_is_explained_and_nothing_is_issued(live_hub, make_kiosk, snap):
    hub = live_hub()
    app = make_kiosk(hub.url, retry_s=1.0, size=(1080, 1920))
    rect = ready(app)
    hub.stop()
    touch(rect)
    step_until(app, lambda: app.state.offline and app.state.screen == "issuing")
    snap(app, "hub-down-retrying")
    step_until(app, lambda: app.state.screen == "message")
    snap(app, "hub-down")
    zh, en = app.state.message
    assert "无法连接取号系统" in zh and "No ticket was taken" in en
    assert app.printing.printed == b""


def test_the_kiosk_recovers_when_the_hub_comes_back(live_hub, make_kiosk, snap, kiosk_clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_kiosk(f"http://127.0.0.1:{port}")
    step_until(app, lambda: app.state.offline)
    snap(app, "offline")
    assert app.state.hall is None and app.state.screen == "menu"
    hub = live_hub(port=port)  # the hub is back, at the same address
    step_until(app, lambda: app.state.hall is not None and not app.state.offline, timeout=10)
    touch(ready(app))
    step_until(app, lambda: app.state.screen == "result")
    assert hub.service("company-name")["issued_today"] == 1


def test_115_services_page_clearly_and_the_menu_resets_when_idle(live_hub, make_kiosk, snap, kiosk_clock):
    hub = live_hub(hall=parse_config(hall_data(services=115, departments=7)))
    app = make_kiosk(hub.url, size=(800, 480))
    ready(app, "s0")
    seen = []
    for i, tab in enumerate(app.layout.nav):
        touch(tab)
        app.step()
        assert app.state.department == i and app.state.page == 0
        while True:
            seen += [s["id"] for s in app.state.page_services()]
            if app.state.page == app.state.pages() - 1:
                break
            touch(app.layout.next)
            app.step()
        if i == 0:
            snap(app, "115-services-last-page-800x480")
    assert sorted(seen) == sorted(f"s{i}" for i in range(115))  # each once, none lost
    touch(app.layout.lang)
    app.step()
    assert app.state.lang == "en"
    kiosk_clock.advance(120)  # nobody touched it for two minutes: ready for the next citizen
    app.step()
    assert (app.state.lang, app.state.department, app.state.page) == ("zh", 0, 0)


def test_an_error_shows_an_apology_and_the_kiosk_goes_on(live_hub, make_kiosk, snap, kiosk_clock,
                                                         monkeypatch, caplog):
    from hallcall.kiosk import screens
    hub = live_hub()
    app = make_kiosk(hub.url)
    rect = ready(app)
    monkeypatch.setitem(screens.SCREENS, "menu", lambda *_: 1 / 0)  # a bug in the menu
    with caplog.at_level(logging.ERROR, logger="hallcall.kiosk.app"):
        touch(app.layout.lang)  # the menu must be drawn again
        app.step()
        app.step()
    assert app.state.screen == "message" and "抱歉" in app.state.message[0]
    assert "ZeroDivisionError" in caplog.text  # logged for the staff, never shown
    snap(app, "apology")
    monkeypatch.undo()
    back_and_touch_again(app, rect, kiosk_clock)


def test_staff_leave_only_with_the_pin(live_hub, make_kiosk, snap, kiosk_clock):
    import pygame
    hub = live_hub()
    app = make_kiosk(hub.url)
    ready(app)
    step_until(app, lambda: app.state.exit_pin is not None)
    corner = app.layout.staff_corner.center
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=corner, button=1))
    app.step()
    kiosk_clock.advance(2)
    app.step()
    assert app.state.screen == "menu"  # not held long enough yet
    kiosk_clock.advance(1.5)
    app.step()
    assert app.state.screen == "pin"
    kiosk_clock.advance(1)
    keys = dict(app.layout.keypad)
    for digit in "1111✓":
        touch(keys[digit])
    app.step()
    assert app.running and app.state.pin_wrong
    for digit in "2468":
        touch(keys[digit])
    app.step()
    snap(app, "staff-pin")
    touch(keys["✓"])
    app.step()
    assert not app.running


@pytest.mark.parametrize("printer,size", [("dummy:?out_after=300", (1920, 1080)),
                                          ("dummy:?out_after=300&buffer=100000", (800, 480))],
                         ids=["write-stalls", "printer-buffers-it"])
def test_paper_running_out_mid_ticket_shows_the_number_and_warns_the_next_citizen(
        live_hub, make_kiosk, snap, kiosk_clock, printer, size):
    hub = live_hub()
    app = make_kiosk(hub.url, printer=printer, size=size)
    rect = ready(app)
    assert app.state.printer.can_print  # the roll's end cannot be seen before printing
    touch(rect)
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    snap(app, f"paper-ran-out-mid-ticket-{size[0]}x{size[1]}")
    assert app.state.result.printed is False and app.state.result.problem == "incomplete"
    assert app.state.result.issued["ticket"]["number"] == "A001"  # on screen to note down
    assert len(app.printing.printed) == 300  # the part that reached the paper, printed once
    assert hub.printer_status()["paper"] == "out"
    kiosk_clock.advance(1)
    touch(app.layout.back)
    app.step()
    assert app.state.screen == "menu" and not app.state.printer_ok()  # the menu says printing is off
    kiosk_clock.advance(1)
    touch(rect)
    app.step()
    assert app.state.screen == "confirm"  # the next citizen is told before a number is taken
    kiosk_clock.advance(1)
    touch(app.layout.confirm_yes)
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    assert app.state.result.problem == "paper_out" and app.state.result.issued["ticket"]["number"] == "A002"
    assert len(app.printing.printed) == 300  # neither ticket was sent to the printer again
    assert hub.service("company-name")["issued_today"] == 2  # one number per touch, no more


@pytest.mark.parametrize("saved", [False, True], ids=["nothing-saved", "saved-but-answer-lost"])
def test_a_hub_that_cannot_save_is_explained_and_the_same_touch_keeps_its_key(
        live_hub, make_kiosk, snap, kiosk_clock, saved):
    from kiosk_support import StorageFull
    hub = live_hub()
    disk = StorageFull(hub, saved=saved)
    app = make_kiosk(hub.url, lang="en")  # the default 20 s of retries would outlast step_until
    rect = ready(app)
    touch(rect)
    step_until(app, lambda: app.state.screen == "message")
    snap(app, f"storage-unavailable-{'saved' if saved else 'nothing'}")
    assert app.state.message == ("暂时无法取号，请稍候再试或联系工作人员。",
                           "Tickets cannot be issued just now; please wait a moment or ask staff.")
    assert len(disk.keys) == 1  # told at once: not retried while the disk stays full
    assert not app.state.offline  # the hub answered: it is not "reconnecting"
    assert app.printing.printed == b""
    kiosk_clock.advance(1)
    touch(app.layout.back)
    app.step()
    assert app.state.screen == "menu" and app.state.storage_down()  # the next citizen reads it first
    snap(app, "storage-unavailable-menu")
    disk.full = False  # staff freed some space
    kiosk_clock.advance(1)
    touch(rect)
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    assert disk.keys[1] == disk.keys[0]  # the same touch again: the same key
    assert app.state.result.issued["ticket"]["number"] == "A001" and not app.state.storage_down()
    assert hub.service("company-name")["issued_today"] == 1
    assert printed_numbers(app, "A001") == 1


def test_the_hubs_own_storage_error_reaches_the_citizen_as_words(live_hub, make_kiosk, kiosk_clock,
                                                                  monkeypatch):
    import inspect

    from hallcall.server.store.errors import StorageUnavailable
    hub = live_hub()
    keys = []
    real_issue = hub.hub.issue
    signature = inspect.signature(real_issue)

    def key_of(args, kw) -> str | None:
        return signature.bind(*args, **kw).arguments.get("idempotency_key")

    def disk_full(*args, **kw):  # the store's answer to SQLITE_FULL
        keys.append(key_of(args, kw))
        raise StorageUnavailable("SQLITE_FULL")

    monkeypatch.setattr(hub.hub, "issue", disk_full)
    app = make_kiosk(hub.url)
    rect = ready(app)
    touch(rect)
    step_until(app, lambda: app.state.screen == "message")
    assert app.state.message[0] == "暂时无法取号，请稍候再试或联系工作人员。" and len(keys) == 1
    monkeypatch.setattr(hub.hub, "issue",
                        lambda *a, **kw: (keys.append(key_of(a, kw)), real_issue(*a, **kw))[1])
    back_and_touch_again(app, rect, kiosk_clock)
    assert keys[0] and keys[1] == keys[0] and app.state.result.issued["ticket"]["number"] == "A001"


def test_the_printer_is_asked_again_soon_after_a_job_not_only_every_15_s():
    import queue
    import types

    from hallcall.kiosk.workers import PrinterWatch
    from hallcall.printer import PrinterStatus
    states = iter([PrinterStatus("ok", True), PrinterStatus("out", False, "paper out")])
    printing = types.SimpleNamespace(check=lambda: next(states),
                                     client=types.SimpleNamespace(close=lambda: None))
    inbox = queue.Queue()
    watch = PrinterWatch(printing, inbox, every_s=600.0)
    watch.start()
    try:
        assert inbox.get(timeout=5)[1].paper == "ok"
        watch.poke(0.05)  # a ticket was just printed: the roll may end while it comes out
        assert inbox.get(timeout=5)[1].paper == "out"  # long before the next regular check
    finally:
        watch.close()
        watch.join(3)
