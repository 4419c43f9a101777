"""The kiosk driven frame by frame with posted touches, against a real hub on loopback and a
printer that records bytes. Each case saves a screenshot (HALLCALL_SHOTS, default /tmp/kiosk-shots)."""
from __future__ import annotations

import socket

import pytest

from helpers import small_hall_data
from kiosk_support import shot, step_until, touch
from server.config import parse_config


def ready(app, service="company-name"):
    step_until(app, lambda: app.hall is not None)
    app.show_service(service)
    app.step()
    return app.service_rect(service)


def issued_today(hub, service="company-name"):
    return next(s for s in hub.hub.snapshot()["services"] if s["id"] == service)["issued_today"]


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (800, 480)])
def test_one_touch_gives_one_printed_ticket(live_hub, make_kiosk, size):
    hub = live_hub()
    app = make_kiosk(hub.url, size=size)
    rect = ready(app)
    shot(app, f"menu-{size[0]}x{size[1]}")
    touch(app, rect)
    step_until(app, lambda: app.screen_name == "result")
    shot(app, f"result-{size[0]}x{size[1]}")
    number = app.result["issued"]["ticket"]["number"]
    assert number == "A001" and app.result["printed"] is True
    assert issued_today(hub) == 1
    printed = app.printing.printer.printed
    assert printed.count(number.encode()) == 1 and printed.rstrip().endswith(b"\x1dV\x00")


def test_a_double_touch_still_makes_one_ticket(live_hub, make_kiosk):
    hub = live_hub()
    app = make_kiosk(hub.url)
    touch(app, ready(app), twice=True)
    step_until(app, lambda: app.screen_name == "result")
    for _ in range(5):
        app.step()
    assert issued_today(hub) == 1
    assert app.printing.printer.printed.count(b"A001") == 1


def test_paper_out_shows_the_number_and_tells_the_hub(live_hub, make_kiosk):
    hub = live_hub()
    app = make_kiosk(hub.url, printer="dummy:?paper=out")
    touch(app, ready(app))
    step_until(app, lambda: app.screen_name == "result")
    shot(app, "paper-out")
    assert app.result["printed"] is False and app.result["problem"] == "paper_out"
    assert app.result["issued"]["ticket"]["number"] == "A001"  # on screen to note down
    assert app.printing.printer.printed == b""
    kiosk = next(d for d in hub.hub.snapshot()["devices"] if d["id"] == "kiosk-1")
    assert kiosk["status"]["printer"]["paper"] == "out"


def test_daily_limit_shows_the_reason(live_hub, make_kiosk):
    data = small_hall_data()
    data["devices"].append({"id": "kiosk-1", "role": "kiosk", "token": "demo-kiosk"})
    data["services"][2].pop("hours")
    data["services"][2].pop("days")
    hub = live_hub(hall=parse_config(data))
    for _ in range(3):
        hub.hub.issue("c")
    app = make_kiosk(hub.url)
    rect = ready(app, "c")
    shot(app, "menu-full-service")
    touch(app, rect)
    step_until(app, lambda: app.screen_name == "message")
    shot(app, "daily-limit")
    assert app.message[0] == "该业务今日号源已满" and "200" not in app.message[1]
    assert issued_today(hub, "c") == 3


def test_hub_down_is_explained_and_nothing_is_issued(live_hub, make_kiosk, tmp_path):
    hub = live_hub()
    app = make_kiosk(hub.url, retry_s=1.5)
    rect = ready(app)
    hub.stop()
    touch(app, rect)
    step_until(app, lambda: app.screen_name == "message")
    shot(app, "hub-down")
    assert "无法连接取号系统" in app.message[0] and "No ticket was taken" in app.message[1]
    assert app.printing.printer.printed == b""


def test_the_kiosk_recovers_when_the_hub_comes_back(live_hub, make_kiosk):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_kiosk(f"http://127.0.0.1:{port}")
    step_until(app, lambda: app.offline)
    shot(app, "offline")
    assert app.hall is None and app.screen_name == "menu"
    live_hub(port=port)  # the hub is back, at the same address
    step_until(app, lambda: app.hall is not None and not app.offline, timeout=10)
    assert app.service_rect(app.page_services()[0]["id"]) is not None


def test_closed_service_says_when_it_opens(live_hub, make_kiosk):
    from datetime import datetime

    from helpers import SHANGHAI
    data = small_hall_data()
    data["devices"].append({"id": "kiosk-1", "role": "kiosk", "token": "demo-kiosk"})
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    hub = live_hub(hall=parse_config(data), clock=lambda: saturday)
    app = make_kiosk(hub.url, lang="en")
    touch(app, ready(app, "c"))
    step_until(app, lambda: app.screen_name == "message")
    shot(app, "closed-service")
    assert "08:30-12:00, 13:30-17:30" in app.message[1] and "办理时间" in app.message[0]
    assert issued_today(hub, "c") == 0


def test_staff_leave_only_with_the_pin(live_hub, make_kiosk):
    import pygame
    hub = live_hub()
    now = [0.0]
    app = make_kiosk(hub.url, clock=lambda: now[0])
    ready(app)
    corner = app.layout.staff_corner.center
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=corner, button=1))
    app.step()
    now[0] += 3.5
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=corner, button=1))
    app.step()
    assert app.screen_name == "pin"
    keys = dict(app.keypad())
    for digit in "1111":
        touch(app, keys[digit])
    touch(app, keys["✓"])
    app.step()
    assert app.running and app.pin == ""
    for digit in "2468":
        touch(app, keys[digit])
    app.step()
    shot(app, "staff-pin")
    touch(app, keys["✓"])
    app.step()
    assert not app.running
