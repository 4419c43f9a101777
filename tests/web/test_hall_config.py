"""The hall config is the hub's to replace while it runs (a new version of the hall in the
database): the API shows the new one at once."""
from __future__ import annotations

from helpers import auth, small_hall, small_hall_data

from hallcall.server.audit import CLI

ADMIN = auth("admin-token-1")
KIOSK = auth("kiosk-token-1")


def replace_hall(hub, data: dict) -> None:
    hub.change_hall(lambda _stored: (data, None, None), CLI, "hall.replace")


def test_a_replaced_config_shows_in_the_api_without_a_restart(make_app):
    app = make_app(HALL=small_hall())
    client = app.test_client()
    waiting = client.post("/api/tickets", json={"service": "a"}, headers=ADMIN).json["ticket"]
    assert client.get("/api/windows/4", headers=ADMIN).status_code == 404

    data = small_hall_data()
    data["services"][0]["name"] = {"zh": "新甲", "en": "New alpha"}
    data["windows"].append({"id": "4", "name": {"zh": "四号窗口", "en": "Window 4"},
                            "services": ["a"]})
    replace_hall(app.config["HUB"], data)

    hall = client.get("/api/hall").json
    assert hall["services"][0]["name"] == {"zh": "新甲", "en": "New alpha"}
    assert [w["id"] for w in hall["windows"]] == ["1", "2", "3", "4"]
    # The new window works at once, on the queue as it was: nothing was lost in the swap.
    called = client.post("/api/windows/4/call-next", headers=ADMIN).json
    assert called["ticket"]["id"] == waiting["id"]
    assert called["window"]["name"] == {"zh": "四号窗口", "en": "Window 4"}
    assert client.get("/api/windows/4", headers=ADMIN).json["window"]["current"]["id"] == waiting["id"]


def test_a_device_dropped_from_the_config_is_refused_at_once(make_app):
    app = make_app(HALL=small_hall())
    client = app.test_client()
    assert client.post("/api/tickets", json={"service": "a"}, headers=ADMIN).status_code == 201
    data = small_hall_data()
    data["devices"] = [d for d in data["devices"] if d["id"] != "adm"]
    replace_hall(app.config["HUB"], data)
    assert client.post("/api/tickets", json={"service": "a"}, headers=ADMIN).status_code == 401


def test_a_service_closed_by_the_staff_is_refused_in_those_words(make_app):
    app = make_app(HALL=small_hall())
    client = app.test_client()
    data = small_hall_data()
    data["services"][0]["closed"] = True
    replace_hall(app.config["HUB"], data)
    r = client.post("/api/tickets", json={"service": "a"}, headers=KIOSK)
    assert r.status_code == 409 and r.json["error"]["code"] == "service_closed"
    assert r.json["error"]["message_zh"] == "该业务暂停办理"
    assert "closed for now" in r.json["error"]["message"]
    assert next(s for s in client.get("/api/hall").json["services"] if s["id"] == "a")["open"] is False
