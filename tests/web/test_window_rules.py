"""The window rules of the second round through the API: calling a chosen ticket, a window closed
for the day (refusals, who reopens it), the console's `may` and `allowed_actions`, and the audit
log's entries of window actions."""
from __future__ import annotations

import json
import re

import pytest
from helpers import ADMIN, BUTTONS, DISPLAY, KIOSK, small_hall_data

from hallcall.server.config import parse_config

SERVICE = "company-name"  # served by windows 1-4 in the demo hall
OTHER = "foreign-trade"  # served by window 5, not window 1


def issue(client, service=SERVICE, **body):
    r = client.post("/api/tickets", json={"service": service, **body}, headers=KIOSK)
    assert r.status_code == 201, r.json
    return r.json["ticket"]


def act(client, window, action, body=None, headers=BUTTONS):
    return client.post(f"/api/windows/{window}/{action}", json=body, headers=headers)


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    err = response.json["error"]
    assert err["code"] == code and err["message"] and err["message_zh"]
    return err


def status_of(client, ticket) -> tuple[str, str | None]:
    t = client.get(f"/api/tickets/{ticket['token']}").json["ticket"]
    return t["status"], t["window"]


def audit(client, after=0) -> list[dict]:
    r = client.get(f"/api/admin/audit?after={after}&limit=500", headers=ADMIN)
    assert r.status_code == 200, r.json
    return r.json["entries"]


def window_entries(client) -> list[tuple]:
    return [(e["actor"]["kind"], e["actor"]["id"], e["action"], e["target"], e["before"], e["after"])
            for e in audit(client) if e["action"].startswith("window.")]


def sign_in(client, staff_id: str) -> dict:
    """Sign a member of staff in (password `demo`); the headers their page sends with a change."""
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/console/login", data={"csrf_token": token, "clerk": staff_id, "password": "demo"})
    assert r.status_code == 303, r.get_data(as_text=True)
    page = client.get("/console/1").get_data(as_text=True)
    return {"X-CSRF-Token": re.search(r'data-csrf="([^"]+)"', page).group(1)}


# -- calling a chosen ticket ------------------------------------------------------------------------


def test_a_supervisor_calls_a_chosen_ticket_and_the_log_names_them(client):
    first, second, third = issue(client), issue(client), issue(client)
    assert act(client, "1", "call-next").json["ticket"]["number"] == first["number"]
    lead = sign_in(client, "lead")
    r = act(client, "1", "call", {"number": third["number"]}, headers=lead)
    assert r.status_code == 200, r.json
    assert (r.json["ticket"]["number"], r.json["ticket"]["status"]) == (third["number"], "called")
    assert r.json["window"]["current"]["number"] == third["number"]
    # What was at the window is finished first, as call-next does; the one passed over waits.
    assert status_of(client, first) == ("done", "1")
    assert status_of(client, second) == ("waiting", None)
    assert window_entries(client)[-1] == (
        "staff", "lead", "window.call", "window:1",
        {"status": "open", "ticket": first["number"]}, {"status": "open", "ticket": third["number"]})


def test_a_chosen_number_is_read_as_the_ticket_says_it(client):
    ticket = issue(client)
    r = act(client, "1", "call", {"number": " " + ticket["number"].lower()}, headers=ADMIN)
    assert r.status_code == 200 and r.json["ticket"]["id"] == ticket["id"]


def test_calling_a_ticket_that_does_not_wait_for_the_window_is_refused_and_changes_nothing(client):
    waiting, elsewhere, called = issue(client), issue(client, OTHER), issue(client)
    act(client, "2", "call", {"number": called["number"]})  # window 2 has it now
    entries = len(audit(client))
    for number in (called["number"], elsewhere["number"], "A999"):
        err = assert_error(act(client, "1", "call", {"number": number}), 409, "invalid_state")
        assert number in err["message"] and number in err["message_zh"]
    assert_error(act(client, "1", "call", {"number": "hello"}), 400, "bad_request")
    assert_error(act(client, "1", "call", {}), 400, "bad_request")
    assert_error(act(client, "1", "call", {"number": 23}), 400, "bad_request")
    assert_error(act(client, "99", "call", {"number": waiting["number"]}), 404, "not_found")
    assert status_of(client, waiting) == ("waiting", None)
    assert status_of(client, elsewhere) == ("waiting", None)
    assert status_of(client, called) == ("called", "2")
    assert client.get("/api/windows/1", headers=BUTTONS).json["window"]["current"] is None
    assert len(audit(client)) == entries


def test_who_may_call_out_of_order(client, app):
    tickets = [issue(client) for _ in range(3)]
    # The window's own keys and consoles may (they are the staff's); a clerk signed in may not.
    assert act(client, "1", "call", {"number": tickets[2]["number"]}).status_code == 200
    clerk = app.test_client()
    err = assert_error(act(clerk, "1", "call", {"number": tickets[1]["number"]},
                           headers=sign_in(clerk, "w1")), 403, "forbidden")
    assert err["message"] == "Only a supervisor may call out of order"
    assert_error(act(client, "1", "call", {"number": tickets[1]["number"]}, headers=DISPLAY),
                 403, "forbidden")
    assert_error(act(client, "1", "call", {"number": tickets[1]["number"]}, headers={}),
                 401, "unauthorized")
    # A supervisor's page must send its CSRF token like any change.
    lead = app.test_client()
    sign_in(lead, "lead")
    assert_error(act(lead, "1", "call", {"number": tickets[1]["number"]}, headers={}), 403, "forbidden")
    assert status_of(client, tickets[1]) == ("waiting", None)


def test_a_chosen_green_call_counts_toward_the_windows_green_ratio(make_app):
    data = small_hall_data()
    data["queue"] = {"green_ratio": 1}
    c = make_app(HALL=parse_config(data)).test_client()
    kiosk = {"Authorization": "Bearer kiosk-token-1"}
    admin = {"Authorization": "Bearer admin-token-1"}
    normal = c.post("/api/tickets", json={"service": "a"}, headers=kiosk).json["ticket"]
    greens = [c.post("/api/tickets", json={"service": "a", "priority": "green"}, headers=kiosk)
              .json["ticket"] for _ in range(2)]
    c.post("/api/windows/1/call", json={"number": greens[1]["number"]}, headers=admin)
    # One green call in a row: the normal ticket's turn, then the other green one.
    assert [t["number"] for t in c.get("/api/windows/1", headers=admin).json["queue"]] == [
        normal["number"], greens[0]["number"]]
    assert c.post("/api/windows/1/call-next", headers=admin).json["ticket"]["id"] == normal["id"]


# -- closed means closed ----------------------------------------------------------------------------


def test_a_closed_window_stays_closed_until_a_supervisor_reopens_it(client, app):
    ticket = issue(client)
    r = act(client, "1", "close")
    assert r.status_code == 200 and r.json["window"]["status"] == "closed"
    for action, body in (("resume", None), ("pause", None), ("call-next", None),
                         ("call", {"number": ticket["number"]})):
        err = assert_error(act(client, "1", action, body), 409, "window_closed")
        assert err["message"] == "Window 1 is closed for today; a supervisor can reopen it"
        assert err["message_zh"] == "1号窗口今日已关闭，可由值班主任重新开启"
    # Neither the window's keys nor its clerk reopen it.
    assert_error(act(client, "1", "open"), 403, "forbidden")
    clerk = app.test_client()
    assert_error(act(clerk, "1", "open", headers=sign_in(clerk, "w1")), 403, "forbidden")
    assert client.get("/api/hall").json["windows"][0]["status"] == "closed"
    assert status_of(client, ticket) == ("waiting", None)

    lead = app.test_client()
    r = act(lead, "1", "open", headers=sign_in(lead, "lead"))
    assert r.status_code == 200 and r.json["window"]["status"] == "open"
    assert act(client, "1", "call-next").json["ticket"]["id"] == ticket["id"]
    assert [e[1:4] for e in window_entries(client)] == [
        ("buttons-1", "window.close", "window:1"), ("lead", "window.open", "window:1"),
        ("buttons-1", "window.call-next", "window:1")]


def test_opening_a_window_that_is_not_closed_changes_nothing(client):
    act(client, "2", "pause")
    last = client.get("/api/hall").json["last_event"]
    for window, status in (("1", "open"), ("2", "paused")):
        r = act(client, window, "open", headers=ADMIN)
        assert r.status_code == 200 and r.json["window"]["status"] == status
    assert client.get("/api/hall").json["last_event"] == last
    assert_error(act(client, "1", "open", {"now": True}, headers=ADMIN), 400, "bad_request")
    assert_error(act(client, "99", "open", headers=ADMIN), 404, "not_found")


def test_a_new_hall_day_reopens_a_closed_window_and_says_so(client, app):
    act(client, "1", "close")
    act(client, "2", "pause")
    last = client.get("/api/hall").json["last_event"]
    app.config["HUB"].close_day()  # as `hallcall close-day` does
    windows = {w["id"]: w["status"] for w in client.get("/api/hall").json["windows"]}
    assert (windows["1"], windows["2"]) == ("open", "paused")
    events = [json.loads(e.data) for e in app.config["HUB"].events_after(last)
              if e.type == "window.status"]
    assert [(e["window"]["id"], e["status"]) for e in events] == [("1", "open")]


# -- what the console is told ------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "may"), [
    ("buttons", {"call_chosen": True, "open": False}),
    ("admin", {"call_chosen": True, "open": True}),
    ("w1", {"call_chosen": False, "open": False}),
    ("lead", {"call_chosen": True, "open": True}),
])
def test_the_window_view_says_what_the_asker_may_do(app, who, may):
    c = app.test_client()
    headers = {"buttons": BUTTONS, "admin": ADMIN}.get(who) or sign_in(c, who)
    assert act(c, "1", "close", headers=headers).status_code == 200
    view = c.get("/api/windows/1", headers=headers).json
    assert view["may"] == may
    # Closed: nothing to do at the window but reopen it, for who may.
    assert view["allowed_actions"] == (["open"] if may["open"] else [])


def test_allowed_actions_on_an_open_window_leave_open_out(client):
    issue(client)
    assert client.get("/api/windows/1", headers=ADMIN).json["allowed_actions"] == [
        "call-next", "pause", "close"]


# -- the audit log of window actions ---------------------------------------------------------------


def test_every_accepted_window_action_is_logged_once_and_a_refused_one_not_at_all(client):
    a, b = issue(client), issue(client)
    for action, body in (("call-next", None), ("recall", None), ("start", None),
                         ("finish", {"rating": "satisfied"}), ("call-next", None),
                         ("no-show", {"requeue": True}), ("call-next", None),
                         ("transfer", {"service": "company-setup"}), ("pause", None), ("resume", None)):
        r = act(client, "1", action, body)
        assert r.status_code == 200, (action, r.json)
    logged = window_entries(client)
    assert [e[2] for e in logged] == ["window.call-next", "window.recall", "window.start",
                                      "window.finish", "window.call-next", "window.no-show",
                                      "window.call-next", "window.transfer", "window.pause",
                                      "window.resume"]
    assert {e[:2] for e in logged} == {("device", "buttons-1")}
    assert logged[0][4:] == ({"status": "open", "ticket": None}, {"status": "open", "ticket": a["number"]})
    assert logged[3][4:] == ({"status": "open", "ticket": a["number"]}, {"status": "open", "ticket": None})
    assert logged[8][4:] == ({"status": "open", "ticket": None}, {"status": "paused", "ticket": None})
    assert b["number"] in {e[5]["ticket"] for e in logged if e[5]["ticket"]}

    # Refused, or changing nothing: nothing is written.
    assert_error(act(client, "1", "recall"), 409, "nothing_called")
    assert_error(act(client, "1", "transfer", {"service": "nope"}), 404, "not_found")
    assert act(client, "1", "resume").status_code == 200  # already open
    assert act(client, "5", "call-next").json["ticket"] is None  # nobody waits there
    assert window_entries(client) == logged


def test_the_admin_token_is_logged_as_the_admin(client):
    issue(client)
    act(client, "1", "call-next", headers=ADMIN)
    assert window_entries(client)[-1][:4] == ("admin", "admin", "window.call-next", "window:1")
