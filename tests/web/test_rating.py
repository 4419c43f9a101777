"""The citizen's rating from the phone page, POST /api/tickets/<token>/rating (API.md "The
citizen's rating"): one rating per ticket whichever way it comes, and every refusal."""
from __future__ import annotations

import json

import pytest
from helpers import ADMIN, BUTTONS, CONSOLE, KIOSK

SERVICE = "company-name"  # served by windows 1-4 in the demo hall


def issue(client):
    r = client.post("/api/tickets", json={"service": SERVICE}, headers=KIOSK)
    assert r.status_code == 201
    return r.json["ticket"]["token"]


def act(client, action, body=None, headers=BUTTONS, window="1"):
    return client.post(f"/api/windows/{window}/{action}", json=body, headers=headers)


def rate(client, token, rating="satisfied", **more):
    return client.post(f"/api/tickets/{token}/rating", json={"rating": rating, **more})


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    err = response.json["error"]
    assert err["code"] == code and err["message"] and err["message_zh"]


def served(client):
    """A ticket called and finished at window 1, without a rating."""
    token = issue(client)
    act(client, "call-next")
    assert act(client, "finish").json["ticket"]["status"] == "done"
    return token


def status(client, token):
    return client.get(f"/api/tickets/{token}").json["ticket"]


def rated_events(app):
    hub = app.config["HUB"]
    return [json.loads(e.data) for e in hub.events_after(0) if e.type == "ticket.rated"]


def unsatisfied_rows(client):
    day = client.get("/api/hall").json["hall"]["day"]
    r = client.get(f"/api/reports/unsatisfied?from={day}&to={day}", headers=ADMIN)
    assert r.status_code == 200
    return r.json["tickets"]


def test_the_phone_rates_a_finished_visit_with_a_comment_for_the_staff(app, client):
    token = served(client)
    assert status(client, token)["rating"] is None
    r = rate(client, token, "unsatisfied", comment="  等了很久，窗口没有人  ")
    assert r.status_code == 200
    assert r.json["ticket"]["rating"] == "unsatisfied" and r.json["ticket"]["status"] == "done"
    assert status(client, token)["rating"] == "unsatisfied"
    # Counted where the keys' ratings are, and the comment, trimmed, in the staff's follow-up list.
    row = next(w for w in client.get("/api/stats", headers=ADMIN).json["windows"] if w["id"] == "1")
    assert row["ratings"]["unsatisfied"] == 1
    [follow_up] = unsatisfied_rows(client)
    assert follow_up["comment"] == "等了很久，窗口没有人" and follow_up["window"] == "1"
    # The public stream says it was rated, not what the citizen wrote.
    [event] = rated_events(app)
    assert event["ticket"]["number"] == follow_up["number"] and event["rating"] == "unsatisfied"
    assert event["window"]["id"] == "1"
    assert "等了很久" not in json.dumps(event, ensure_ascii=False)


def test_a_blank_comment_is_no_comment(client):
    token = served(client)
    assert rate(client, token, "unsatisfied", comment="   ").status_code == 200
    assert unsatisfied_rows(client)[0]["comment"] is None


def test_keys_first_then_the_phone_is_already_rated(app, client):
    token = served(client)
    assert act(client, "rate", {"rating": "basic"}).status_code == 200
    assert_error(rate(client, token, "unsatisfied"), 409, "already_rated")
    assert status(client, token)["rating"] == "basic"
    assert len(rated_events(app)) == 1


def test_rated_at_finish_then_the_phone_is_already_rated(client):
    token = issue(client)
    act(client, "call-next")
    act(client, "finish", {"rating": "satisfied"}, headers=CONSOLE)
    assert_error(rate(client, token, "unsatisfied"), 409, "already_rated")


@pytest.mark.parametrize("headers", [BUTTONS, CONSOLE], ids=["keys", "console"])
def test_phone_first_then_the_keys_or_console_are_already_rated(client, headers):
    token = served(client)
    assert rate(client, token, "satisfied").status_code == 200
    assert_error(act(client, "rate", {"rating": "unsatisfied"}, headers=headers), 409,
                 "already_rated")
    assert status(client, token)["rating"] == "satisfied"


def test_the_phone_rates_once(app, client):
    token = served(client)
    assert rate(client, token, "basic").status_code == 200
    assert_error(rate(client, token, "satisfied", comment="改个好评"), 409, "already_rated")
    assert status(client, token)["rating"] == "basic" and len(rated_events(app)) == 1


def test_only_a_finished_visit_is_rated(app, client):
    token = issue(client)
    assert_error(rate(client, token), 409, "invalid_state")  # waiting
    act(client, "call-next")
    assert_error(rate(client, token), 409, "invalid_state")  # called
    act(client, "start")
    assert_error(rate(client, token), 409, "invalid_state")  # being served
    missed = issue(client)
    act(client, "call-next")  # finishes the first one, calls `missed`
    act(client, "no-show")
    assert_error(rate(client, missed), 409, "invalid_state")
    cancelled = issue(client)
    client.post(f"/api/tickets/{cancelled}/cancel")
    assert_error(rate(client, cancelled), 409, "invalid_state")
    assert rated_events(app) == [] and status(client, missed)["rating"] is None


def test_a_day_later_it_is_too_late(client, clock):
    token = served(client)
    clock.advance(hours=23, minutes=59)
    assert rate(client, served(client)).status_code == 200  # the second, finished just now
    clock.advance(minutes=2)  # the first was finished just over 24 h ago
    assert_error(rate(client, token), 409, "invalid_state")
    assert status(client, token)["rating"] is None


def test_within_the_day_it_still_counts(client, clock):
    token = served(client)
    clock.advance(hours=23, minutes=50)
    assert rate(client, token, "basic").status_code == 200


def test_bad_input_changes_nothing(app, client):
    token = served(client)
    assert_error(rate(client, token, "great"), 400, "bad_request")
    assert_error(client.post(f"/api/tickets/{token}/rating", json={}), 400, "bad_request")
    assert_error(client.post(f"/api/tickets/{token}/rating", json={"rating": 1}), 400, "bad_request")
    assert_error(rate(client, token, "basic", stars=5), 400, "bad_request")
    assert_error(rate(client, token, "basic", comment=["x"]), 400, "bad_request")
    too_long = rate(client, token, "unsatisfied", comment="慢" * 501)
    assert_error(too_long, 400, "bad_request")
    assert "500" in too_long.json["error"]["message"] and "500" in too_long.json["error"]["message_zh"]
    assert status(client, token)["rating"] is None and rated_events(app) == []
    # 500 characters, once trimmed, are fine.
    assert rate(client, token, "unsatisfied", comment=" " + "慢" * 500 + " ").status_code == 200
    assert unsatisfied_rows(client)[0]["comment"] == "慢" * 500


def test_unknown_token(client):
    assert_error(rate(client, "no-such-ticket-token"), 404, "not_found")


def race(*actions) -> list[str]:
    """Run `actions` at the same moment, each in its own thread: what each ended with."""
    import threading

    from hallcall.server.engine.model import DomainError

    start, results = threading.Barrier(len(actions)), []

    def run(action):
        start.wait()
        try:
            action()
            results.append("rated")
        except DomainError as e:
            results.append(e.code)

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


def test_keys_and_phone_at_the_same_moment_rate_it_once(app, client):
    """The keys' press and the phone's rating race for the same ticket: the store's write
    transaction lets exactly one of them rate it, and the other is told already_rated."""
    hub = app.config["HUB"]
    for _ in range(5):
        token = served(client)
        assert race(lambda: hub.act("1", "rate", rating="basic"),
                    lambda t=token: hub.rate_ticket(t, "unsatisfied", "慢")) == ["already_rated", "rated"]
        assert status(client, token)["rating"] in ("basic", "unsatisfied")
    assert len(rated_events(app)) == 5
