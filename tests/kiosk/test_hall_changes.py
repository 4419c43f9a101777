"""The kiosk follows the hall as the staff change it, without a restart: a service added shows in
its menu and can be taken, one retired vanishes, one closed now says so; a citizen who had the
retired one on screen is told in words. Against a real hub on loopback (hall.changed on its
stream, then /api/hall), and the state machine for the moment in between."""
from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from kiosk_support import hall_data, step_until

from hallcall.kiosk.driving import touch
from hallcall.kiosk.state import HallSnapshot, IssueFailed, Kiosk, PrinterStatusChanged, Touched
from hallcall.server.audit import Actor
from hallcall.server.config import parse_config

ADMIN = Actor("admin", "admin")
NEW = {"id": "passport", "prefix": "P", "department": "d0",
       "name": {"zh": "护照办理", "en": "Passports"},
       "materials": [{"zh": "身份证", "en": "ID card"}]}


def change(hub, edit) -> None:
    """A change of the hall as the admin API makes it."""
    def apply(data: dict):
        edit(data)
        return data, None, None
    hub.hub.change_hall(apply, ADMIN, "test.change")


def menu_ids(app) -> set[str]:
    return {s["id"] for _dep, services in app.state.groups for s in services}


def add_service(data: dict) -> None:
    data["services"].append(dict(NEW))
    data["windows"][0]["services"].append(NEW["id"])


def retire(service_id: str):
    def edit(data: dict) -> None:
        next(s for s in data["services"] if s["id"] == service_id)["retired"] = True
    return edit


def close_now(service_id: str):
    def edit(data: dict) -> None:
        next(s for s in data["services"] if s["id"] == service_id)["closed"] = True
    return edit


def test_a_service_added_by_the_staff_shows_in_the_menu_and_can_be_taken(live_hub, make_kiosk,
                                                                          snap):
    hub = live_hub(parse_config(hall_data(services=3)))
    app = make_kiosk(hub.url)
    step_until(app, lambda: app.state.hall is not None and app.state.printer is not None)
    assert menu_ids(app) == {"s0", "s1", "s2"}

    change(hub, add_service)
    step_until(app, lambda: "passport" in menu_ids(app), timeout=5)
    app.state.show_service("passport")
    app.step()
    snap(app, "hall-change-added")
    touch(app.service_rect("passport"))
    step_until(app, lambda: app.state.screen == "result" and app.state.result.printed is not None)
    assert app.state.result.issued["ticket"]["number"] == "P001"
    assert app.printing.printed.count(b"P001") == 1


def test_a_retired_service_vanishes_and_a_closed_one_says_so(live_hub, make_kiosk, snap,
                                                             kiosk_clock):
    hub = live_hub(parse_config(hall_data(services=3)))
    app = make_kiosk(hub.url)
    step_until(app, lambda: app.state.hall is not None and app.state.printer is not None)

    change(hub, retire("s0"))
    step_until(app, lambda: "s0" not in menu_ids(app), timeout=5)
    assert menu_ids(app) == {"s1", "s2"}
    assert app.service_rect("s1") is not None

    change(hub, close_now("s1"))
    step_until(app, lambda: next(s for s in app.state.hall["services"] if s["id"] == "s1")["open"]
               is False, timeout=5)
    snap(app, "hall-change-closed")
    kiosk_clock.advance(1)
    touch(app.service_rect("s1"))
    step_until(app, lambda: app.state.screen == "message")
    zh, en = app.state.message
    # Not "opening hours 00:00-24:00": that would say it should be open.
    assert en == "Service number 2 is closed for now." and zh.startswith("该业务") and "：" not in zh
    assert hub.service("s1")["issued_today"] == 0 and app.printing.printed == b""


# -- the state machine: the moment between the staff's change and the citizen's touch --------

WALL = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def snapshot(*ids: str) -> dict:
    return {"hall": {"name": {"zh": "大厅", "en": "Hall"}, "time": "2026-11-30T10:00:00+08:00",
                     "timezone": "Asia/Shanghai"},
            "departments": [{"id": "d", "name": {"zh": "部门", "en": "Dep"}}],
            "services": [{"id": i, "prefix": "A", "department": "d", "open": True,
                          "name": {"zh": f"业务{i}", "en": f"Service {i}"}} for i in ids],
            "last_event": 0}


def confirming(service_id: str) -> Kiosk:
    """A kiosk whose printer is out, on the confirm screen for `service_id`."""
    from hallcall.kiosk.state import Service
    k = Kiosk(lambda departments: 4)
    k.handle(HallSnapshot(snapshot("s0", "s1"), WALL))
    k.handle(PrinterStatusChanged(SimpleNamespace(can_print=False)))
    k.handle(Touched(Service(service_id), 100.0))
    assert k.screen == "confirm" and k.chosen["id"] == service_id
    return k


def test_a_service_retired_while_the_citizen_confirms_is_explained_not_issued():
    k = confirming("s0")
    k.handle(HallSnapshot(snapshot("s1"), WALL))
    assert k.screen == "message"
    zh, en = k.message
    assert en == "This service is not open now." and zh and zh != en
    assert k.message_title == {"zh": "业务s0", "en": "Service s0"}
    assert k.handle(Touched("confirm_yes", 102.0)) == []  # the message, not an issue


def test_a_service_retired_just_before_the_touch_gets_words_from_the_hub_refusal():
    k = confirming("s0")
    (start,) = k.handle(Touched("confirm_yes", 102.0))
    k.handle(IssueFailed(start.job, 404, "not_found", "Unknown service 's0'", "没有该业务", 102.5))
    assert k.screen == "message"
    assert k.message[1] == "This service is not open now."
