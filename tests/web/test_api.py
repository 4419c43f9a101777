"""The HTTP API through Flask's test client: every endpoint, every error code of docs/api.md."""
from __future__ import annotations

import json

from helpers import ADMIN, BUTTONS, CONSOLE, DISPLAY, KIOSK, auth, small_hall

SERVICE = "company-name"  # served by windows 1-4 in the demo hall


def issue(client, service=SERVICE, headers=KIOSK, **body):
    return client.post("/api/tickets", json={"service": service, **body}, headers=headers)


def act(client, window, action, body=None, headers=BUTTONS):
    return client.post(f"/api/windows/{window}/{action}", json=body, headers=headers)


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    err = response.json["error"]
    assert err["code"] == code and err["message"] and err["message_zh"]


def hall_state(client):
    return client.get("/api/hall").json


def test_health(client):
    body = client.get("/api/health").json
    assert body["status"] == "ok" and body["version"] and body["time"].endswith("+08:00")


def test_hall_snapshot_shape(client):
    issue(client)
    h = hall_state(client)
    assert h["hall"]["name"]["zh"] and h["hall"]["languages"] == ["zh", "en"] and h["hall"]["day"]
    svc = next(s for s in h["services"] if s["id"] == SERVICE)
    assert svc["waiting"] == 1 and svc["issued_today"] == 1 and svc["open"] is True
    assert svc["materials"] and {"zh", "en"} <= set(svc["materials"][0])
    w1 = next(w for w in h["windows"] if w["id"] == "1")
    assert w1["status"] == "open" and w1["current"] is None and SERVICE in w1["services"]
    assert h["notices"] and h["last_event"] == 1 and h["recent_calls"] == []
    assert "token" not in json.dumps(h)


def test_issue_returns_the_ticket_with_its_token_and_place(client):
    first = issue(client)
    assert first.status_code == 201
    body = first.json
    t = body["ticket"]
    assert t["number"] == "A001" and t["status"] == "waiting" and t["priority"] == "normal"
    assert len(t["token"]) >= 20 and t["window"] is None and t["called_at"] is None
    assert body["ahead"] == 0 and body["estimated_wait_s"] == 0
    second = issue(client).json
    assert second["ticket"]["number"] == "A002" and second["ahead"] == 1
    assert second["estimated_wait_s"] > 0


def test_numbers_are_per_service(client):
    assert issue(client, "company-name").json["ticket"]["number"] == "A001"
    other = issue(client, "company-setup").json["ticket"]["number"]
    assert other.endswith("001") and not other.startswith("A")


def test_idempotency_key_makes_a_retry_safe(client):
    headers = {**KIOSK, "Idempotency-Key": "kiosk-1-press-42"}
    first = client.post("/api/tickets", json={"service": SERVICE}, headers=headers)
    again = client.post("/api/tickets", json={"service": SERVICE}, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["ticket"]["id"] == first.json["ticket"]["id"]
    assert hall_state(client)["services"][0]["issued_today"] == 1
    clash = client.post("/api/tickets", json={"service": "company-setup"}, headers=headers)
    assert_error(clash, 409, "idempotency_conflict")


def test_an_issue_says_where_its_time_went(client):
    # Server-Timing: the request's whole time, its wait for the turn, its durable commit and,
    # inside that, SQLite's own COMMIT; so a slow answer is told from a slow disk.
    header = issue(client).headers["Server-Timing"]
    spans = {name: float(params.removeprefix("dur=")) for name, params in
             (part.strip().split(";") for part in header.split(","))}
    assert {"app", "lock", "commit", "db"} <= set(spans)
    assert 0 < spans["db"] <= spans["commit"] < spans["app"]
    # A read commits nothing, so it names no commit.
    assert "db" not in client.get("/api/hall").headers["Server-Timing"]


def test_issue_errors_change_nothing(client):
    assert_error(issue(client, "no-such-service"), 404, "not_found")
    assert_error(issue(client, priority="vip"), 400, "bad_request")
    assert_error(issue(client, lang="fr"), 400, "bad_request")
    assert_error(client.post("/api/tickets", json={"service": 7}, headers=KIOSK), 400, "bad_request")
    assert_error(client.post("/api/tickets", json={"servce": SERVICE}, headers=KIOSK), 400, "bad_request")
    assert_error(client.post("/api/tickets", json=[SERVICE], headers=KIOSK), 400, "bad_request")
    assert_error(client.post("/api/tickets", data="{not json", headers=KIOSK), 400, "bad_request")
    assert_error(client.post("/api/tickets", data=b"\xff\xfe", headers=KIOSK), 400, "bad_request")
    assert_error(client.post("/api/tickets", data="x" * 20000, headers=KIOSK), 413, "payload_too_large")
    assert hall_state(client)["last_event"] == 0


def test_auth_missing_wrong_and_insufficient(client):
    assert_error(client.post("/api/tickets", json={"service": SERVICE}), 401, "unauthorized")
    assert_error(issue(client, headers=auth("not-a-token")), 401, "unauthorized")
    assert_error(issue(client, headers={"Authorization": "Basic demo-kiosk"}), 401, "unauthorized")
    assert_error(issue(client, headers=DISPLAY), 403, "forbidden")
    assert_error(issue(client, headers=BUTTONS), 403, "forbidden")
    assert_error(act(client, "1", "call-next", headers=KIOSK), 403, "forbidden")
    assert_error(act(client, "1", "call-next", headers={}), 401, "unauthorized")
    assert issue(client, headers=ADMIN).status_code == 201
    assert hall_state(client)["last_event"] == 1


def test_ticket_status_endpoint_is_public(client):
    token = issue(client).json["ticket"]["token"]
    issue(client)
    body = client.get(f"/api/tickets/{token}").json
    assert body["ticket"]["number"] == "A001" and body["ticket"]["token"] == token
    assert body["ahead"] == 0
    assert_error(client.get("/api/tickets/unknown-token"), 404, "not_found")


def test_call_next_calls_oldest_and_finishes_current(client):
    tokens = [issue(client).json["ticket"]["token"] for _ in range(3)]
    r = act(client, "1", "call-next")
    assert r.status_code == 200
    assert r.json["ticket"]["number"] == "A001" and r.json["ticket"]["status"] == "called"
    assert r.json["ticket"]["window"] == "1" and r.json["ticket"]["called_at"]
    assert r.json["window"]["current"]["number"] == "A001"
    assert "token" not in r.json["ticket"]
    r2 = act(client, "2", "call-next")
    assert r2.json["ticket"]["number"] == "A002"  # parallel approval: no ticket at two windows
    recent = hall_state(client)["recent_calls"]
    assert [(e["ticket"]["number"], e["window"]["id"]) for e in recent] == [("A002", "2"), ("A001", "1")]
    act(client, "1", "call-next")
    assert client.get(f"/api/tickets/{tokens[0]}").json["ticket"]["status"] == "done"
    assert client.get(f"/api/tickets/{tokens[2]}").json["ticket"]["window"] == "1"


def test_call_next_with_nobody_waiting(client):
    r = act(client, "1", "call-next")
    assert r.status_code == 200 and r.json["ticket"] is None and r.json["window"]["current"] is None


def test_green_channel_is_called_first(client):
    issue(client)
    issue(client, priority="green")
    assert act(client, "1", "call-next").json["ticket"]["priority"] == "green"


def test_recall_start_finish_with_rating(client):
    issue(client)
    assert_error(act(client, "1", "recall"), 409, "nothing_called")
    act(client, "1", "call-next")
    r = act(client, "1", "recall")
    assert r.status_code == 200 and r.json["ticket"]["number"] == "A001"
    r = act(client, "1", "start")
    assert r.json["ticket"]["status"] == "serving"
    assert_error(act(client, "1", "start"), 409, "invalid_state")
    assert_error(act(client, "1", "finish", {"rating": "great"}), 400, "bad_request")
    r = act(client, "1", "finish", {"rating": "satisfied"})
    assert r.json["ticket"]["status"] == "done" and r.json["window"]["current"] is None
    assert_error(act(client, "1", "recall"), 409, "nothing_called")
    assert_error(act(client, "1", "finish"), 409, "nothing_called")


def test_rate_is_the_citizens_rating_key(client):
    assert_error(act(client, "1", "rate", {"rating": "satisfied"}), 409, "nothing_called")
    issue(client)
    act(client, "1", "call-next")
    act(client, "1", "finish")
    assert_error(act(client, "1", "rate"), 400, "bad_request")  # which rating?
    assert_error(act(client, "1", "rate", {"rating": "great"}), 400, "bad_request")
    r = act(client, "1", "rate", {"rating": "basic"})
    assert r.status_code == 200
    assert (r.json["ticket"]["number"], r.json["ticket"]["status"]) == ("A001", "done")
    assert_error(act(client, "1", "rate", {"rating": "unsatisfied"}), 409, "already_rated")
    row = next(w for w in client.get("/api/stats", headers=ADMIN).json["windows"] if w["id"] == "1")
    assert row["ratings"] == {"satisfied": 0, "basic": 1, "unsatisfied": 0}
    assert_error(act(client, "2", "rate", {"rating": "basic"}), 409, "nothing_called")


def test_no_show_and_requeue(client):
    issue(client)
    issue(client)
    act(client, "1", "call-next")
    r = act(client, "1", "no-show", {"requeue": True})
    assert r.json["ticket"]["status"] == "waiting" and r.json["window"]["current"] is None
    assert act(client, "1", "call-next").json["ticket"]["number"] == "A002"
    assert_error(act(client, "1", "no-show", {"requeue": "yes"}), 400, "bad_request")
    r = act(client, "1", "no-show")
    assert r.json["ticket"]["status"] == "no_show"
    assert act(client, "1", "call-next").json["ticket"]["number"] == "A001"  # the requeued one


def test_transfer_keeps_number(client):
    issue(client)
    act(client, "1", "call-next")
    assert_error(act(client, "1", "transfer", {}), 400, "bad_request")
    assert_error(act(client, "1", "transfer", {"service": "nope"}), 404, "not_found")
    assert_error(act(client, "1", "transfer", {"service": SERVICE}), 409, "invalid_state")
    hall = hall_state(client)
    target = next(w for w in hall["windows"] if SERVICE not in w["services"])
    r = act(client, "1", "transfer", {"service": target["services"][0]})
    t = r.json["ticket"]
    assert (t["number"], t["status"], t["service"]) == ("A001", "waiting", target["services"][0])
    called = act(client, target["id"], "call-next").json["ticket"]
    assert called["number"] == "A001"


def test_pause_resume_and_closed_windows(client):
    issue(client)
    r = act(client, "1", "pause")
    assert r.status_code == 200 and r.json["window"]["status"] == "paused"
    for action in ("call-next", "recall", "start", "finish", "no-show"):
        assert_error(act(client, "1", action), 409, "window_closed")
    assert act(client, "1", "resume").json["window"]["status"] == "open"
    assert act(client, "1", "call-next").json["ticket"]["number"] == "A001"
    assert_error(act(client, "1", "close"), 409, "invalid_state")  # someone is still at the window


def test_window_errors(client):
    assert_error(act(client, "99", "call-next"), 404, "not_found")
    assert_error(act(client, "1", "dance"), 404, "not_found")
    assert_error(client.get("/api/windows/1/call-next", headers=BUTTONS), 405, "method_not_allowed")
    assert_error(act(client, "1", "call-next", {"extra": 1}), 400, "bad_request")


def test_window_binding(make_app):
    app = make_app(HALL=small_hall())
    c = app.test_client()
    bound = auth("buttons-token-1")  # bound to window 1 only
    c.post("/api/tickets", json={"service": "a"}, headers=auth("kiosk-token-1"))
    assert c.post("/api/windows/1/call-next", headers=bound).status_code == 200
    assert_error(c.post("/api/windows/2/call-next", headers=bound), 403, "forbidden")


def test_rate_limit_per_device(make_app):
    app = make_app(HALL=small_hall())
    c = app.test_client()
    limited = auth("kiosk-token-2")  # 2 per minute
    assert [c.post("/api/tickets", json={"service": "a"}, headers=limited).status_code
            for _ in range(2)] == [201, 201]
    r = c.post("/api/tickets", json={"service": "a"}, headers=limited)
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    assert c.post("/api/tickets", json={"service": "a"}, headers=auth("kiosk-token-1")).status_code == 201


def test_daily_limit_and_closed_service(make_app, clock):
    from datetime import datetime

    from helpers import SHANGHAI
    app = make_app(HALL=small_hall())
    c = app.test_client()
    k = auth("kiosk-token-1")
    clock.set(datetime(2026, 11, 26, 12, 30, tzinfo=SHANGHAI))  # lunch break for service c
    assert_error(c.post("/api/tickets", json={"service": "c"}, headers=k), 409, "service_closed")
    closed = next(s for s in c.get("/api/hall").json["services"] if s["id"] == "c")
    assert closed["open"] is False and closed["hours"] == ["08:30-12:00", "13:30-17:30"]
    assert closed["days"] == ["mon", "tue", "wed", "thu", "fri"]
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI))
    for _ in range(3):
        assert c.post("/api/tickets", json={"service": "c"}, headers=k).status_code == 201
    assert_error(c.post("/api/tickets", json={"service": "c"}, headers=k), 409, "daily_limit_reached")


def test_day_rolls_over_and_numbering_restarts(client, clock):
    token = issue(client).json["ticket"]["token"]
    clock.advance(days=1)
    t = issue(client).json["ticket"]
    assert t["number"] == "A001" and t["day"] != client.get(f"/api/tickets/{token}").json["ticket"]["day"]
    assert client.get(f"/api/tickets/{token}").json["ticket"]["status"] == "cancelled"


def test_citizen_cancels_waiting_ticket(client):
    token = issue(client).json["ticket"]["token"]
    r = client.post(f"/api/tickets/{token}/cancel")
    assert r.status_code == 200 and r.json["ticket"]["status"] == "cancelled"
    assert_error(client.post(f"/api/tickets/{token}/cancel"), 409, "invalid_state")
    assert act(client, "1", "call-next").json["ticket"] is None


def test_stats(client):
    for _ in range(3):
        issue(client)
    act(client, "1", "call-next")
    act(client, "1", "start")
    act(client, "1", "finish", {"rating": "satisfied"})
    act(client, "1", "call-next")
    act(client, "1", "no-show")
    assert_error(client.get("/api/stats"), 401, "unauthorized")
    assert_error(client.get("/api/stats", headers=KIOSK), 403, "forbidden")
    assert_error(client.get("/api/stats?date=26/11/2026", headers=ADMIN), 400, "bad_request")
    s = client.get("/api/stats", headers=DISPLAY).json
    svc = next(r for r in s["services"] if r["id"] == SERVICE)
    assert (svc["issued"], svc["served"], svc["no_show"], svc["waiting"]) == (3, 1, 1, 1)
    assert svc["ratings"]["satisfied"] == 1 and svc["avg_service_s"] > 0 and svc["max_wait_s"] > 0
    w1 = next(r for r in s["windows"] if r["id"] == "1")
    assert (w1["served"], w1["no_show"], w1["called"]) == (1, 1, 2)
    other = client.get("/api/stats?date=2020-01-01", headers=ADMIN).json
    assert other["day"] == "2020-01-01" and other["services"][0]["issued"] == 0


def test_notices(client):
    assert_error(client.put("/api/notices", json={"notices": []}, headers=CONSOLE), 403, "forbidden")
    assert_error(client.put("/api/notices", json={"notices": [{"zh": "只有中文"}]}, headers=ADMIN),
                 400, "bad_request")
    r = client.put("/api/notices", json={"notices": [{"zh": "今日系统维护", "en": "Maintenance today"}]},
                   headers=ADMIN)
    assert r.status_code == 200
    assert hall_state(client)["notices"] == [{"zh": "今日系统维护", "en": "Maintenance today"}]


def test_unknown_api_paths_are_json_404(client):
    for path in ("/api/nothing", "/api/tickets/a/b/c", "/api/"):
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.delete("/api/hall"), 405, "method_not_allowed")


def test_unexpected_failure_is_json_not_a_traceback(app, client, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(app.config["HUB"], "snapshot", boom)
    app.testing = False
    r = client.get("/api/hall")
    assert r.status_code == 500 and r.json["error"]["code"] == "internal_error"
    assert "disk on fire" not in r.get_data(as_text=True)


def test_pages_are_served(client):
    token = issue(client).json["ticket"]["token"]
    for path in ("/", f"/t/{token}"):
        r = client.get(path)
        assert r.status_code == 200 and r.mimetype == "text/html"
    # A token no ticket has: tests/web/test_error_pages.py


def test_day_rolls_over_even_when_the_first_request_of_the_day_is_refused(client, clock):
    token = issue(client).json["ticket"]["token"]
    clock.advance(days=1)
    assert_error(act(client, "1", "recall"), 409, "nothing_called")  # rolled back, roll-over too
    assert issue(client).json["ticket"]["number"] == "A001"
    assert client.get(f"/api/tickets/{token}").json["ticket"]["status"] == "cancelled"


def test_devices_report_their_status_and_staff_see_it(client):
    before = hall_state(client)
    assert {d["id"]: d["status"] for d in before["devices"]}["kiosk-1"] is None
    assert "token" not in json.dumps(before["devices"])
    r = client.post("/api/devices/status", json={"printer": {"paper": "near_end", "online": True}},
                    headers=KIOSK)
    assert r.status_code == 200 and r.json["device"]["status"]["printer"]["paper"] == "near_end"
    kiosk = next(d for d in hall_state(client)["devices"] if d["id"] == "kiosk-1")
    assert kiosk["status"]["printer"] == {"paper": "near_end", "online": True, "detail": ""}
    assert kiosk["updated_at"] and kiosk["role"] == "kiosk"
    last = hall_state(client)["last_event"]
    client.post("/api/devices/status", json={"printer": {"paper": "near_end", "online": True}},
                headers=KIOSK)
    assert hall_state(client)["last_event"] == last  # unchanged status: no event
    client.post("/api/devices/status", json={"printer": {"paper": "out", "online": True}}, headers=KIOSK)
    assert hall_state(client)["last_event"] == last + 1


def test_device_status_errors_change_nothing(client):
    assert_error(client.post("/api/devices/status", json={"printer": {"paper": "low"}}, headers=KIOSK),
                 400, "bad_request")
    assert_error(client.post("/api/devices/status", json={"printer": {"online": "yes"}}, headers=KIOSK),
                 400, "bad_request")
    assert_error(client.post("/api/devices/status", json={"printer": {"ink": 1}}, headers=KIOSK),
                 400, "bad_request")
    assert_error(client.post("/api/devices/status", json={"printer": {}}), 401, "unauthorized")
    assert all(d["status"] is None for d in hall_state(client)["devices"])


def test_a_device_reads_its_own_settings(client):
    me = client.get("/api/devices/self", headers=KIOSK).json["device"]
    assert me == {"id": "kiosk-1", "role": "kiosk", "windows": None, "exit_pin": "2468"}
    buttons = client.get("/api/devices/self", headers=BUTTONS).json["device"]
    assert buttons["exit_pin"] is None
    # A buttons device learns which keys its Pi drives: windows 3 and 4 in the demo hall.
    assert buttons["gpio"]["hold_seconds"] == 2.0 and buttons["gpio"]["pull_up"] is True
    assert [(b["window"], b["pins"]["call"], b["led_pin"]) for b in buttons["gpio"]["buttons"]] == [
        ("3", 17, 22), ("4", 23, 25)]
    assert_error(client.get("/api/devices/self"), 401, "unauthorized")
    assert "2468" not in json.dumps(hall_state(client))


def test_building_the_app_reads_and_writes_nothing(make_hub):
    """create_app only wires routes over a built hub: no store access until a request comes."""
    from hallcall.server.web import create_app

    hub = make_hub()
    touched = []
    real_read, real_write = hub.store.read, hub.store.write
    hub.store.read = lambda *a, **kw: touched.append("read") or real_read(*a, **kw)
    hub.store.write = lambda *a, **kw: touched.append("write") or real_write(*a, **kw)
    app = create_app(hub)
    assert touched == []
    assert app.test_client().get("/api/hall").status_code == 200
    assert touched  # the same hub, reached by the first request
