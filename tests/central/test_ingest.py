"""POST /api/central/events: each (hall, seq) kept once across retries, gaps refused with where
to resume, a hall bound to its first token, bad bodies refused whole with the problem named."""
from __future__ import annotations

import threading

import pytest
from central.support import OTHER_TOKEN, TOKEN, auth


def event(seq: int, number: str = "A001", status: str = "waiting") -> dict:
    at = f"2026-12-02T09:{seq // 60:02d}:{seq % 60:02d}+08:00"
    return {"seq": seq, "type": "ticket.issued" if status == "waiting" else "ticket.called",
            "at": at, "ticket": {
                "id": f"t-{number}", "number": number, "service": "a", "origin_service": "a",
                "priority": "normal", "status": status, "issued_at": at, "called_at": None,
                "first_called_at": None, "window": None, "started_at": None, "finished_at": None,
                "day": "2026-12-02", "transfers": 0, "cancel_reason": None, "appointment": None,
                "staff": None, "rating": None}}


def batch(first: int, last: int) -> list[dict]:
    return [event(s, f"A{s:03d}") for s in range(first, last + 1)]


def test_retried_and_overlapping_batches_are_kept_once(any_central):
    c = any_central
    assert c.post("h1", batch(1, 3)).json == {"hall": "h1", "last_seq": 3}
    assert c.post("h1", batch(1, 3)).json == {"hall": "h1", "last_seq": 3}  # the same batch again
    assert c.post("h1", batch(2, 6)).json == {"hall": "h1", "last_seq": 6}  # overlapping the held
    assert c.post("h1", []).json == {"hall": "h1", "last_seq": 6}  # a heartbeat learns where
    assert c.count("SELECT count(*) FROM hall_events") == 6
    assert c.count("SELECT count(*) FROM tickets") == 6
    # Another hall's seq 1 is its own.
    c.post("h2", batch(1, 2), token=OTHER_TOKEN)
    assert {h: v["last_seq"] for h, v in c.halls().items()} == {"h1": 6, "h2": 2}


def test_a_gap_is_409_with_the_last_seq_and_keeps_nothing_of_the_batch(central):
    central.post("h1", batch(1, 3))
    r = central.post("h1", batch(5, 7))
    assert r.status_code == 409
    assert r.json["error"]["code"] == "out_of_order" and r.json["last_seq"] == 3
    assert central.count("SELECT max(seq) FROM hall_events") == 3
    assert central.post("h1", batch(4, 7)).json["last_seq"] == 7


def test_a_hall_is_bound_to_its_first_token(central):
    central.post("h1", batch(1, 1))
    r = central.post("h1", batch(2, 2), token=OTHER_TOKEN)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    for headers in ({}, {"Authorization": "Basic eDp5"}, {"Authorization": "Bearer short"}):
        r = central.client.post("/api/central/events", json={"hall": "h1", "events": []},
                                headers=headers)
        assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert central.count("SELECT last_seq FROM halls WHERE id = 'h1'") == 1


def _broken(change):
    body = {"hall": "h1", "events": batch(1, 3)}
    change(body)
    return body


@pytest.mark.parametrize("body, named", [
    ([1, 2], "JSON object"),
    ({"events": []}, "hall"),
    ({"hall": "Hall One", "events": []}, "hall"),
    ({"hall": "h1"}, "events"),
    (_broken(lambda b: b["events"].pop(1)), "events[1].seq"),
    (_broken(lambda b: b["events"][2].update(at="yesterday")), "events[2].at"),
    (_broken(lambda b: b["events"][0]["ticket"].pop("id")), "events[0].ticket.id"),
    (_broken(lambda b: b["events"][1]["ticket"].update(issued_at="2026-12-02T09:00:00")),
     "events[1].ticket.issued_at"),
    (_broken(lambda b: b.update(pending=-1)), "pending"),
    (_broken(lambda b: b.update(info={"timezone": "Mars/Olympus"})), "info.timezone"),
])
def test_a_bad_body_is_400_naming_the_problem_and_changes_nothing(central, body, named):
    central.post("h1", batch(1, 0))  # registered, nothing held
    r = central.client.post("/api/central/events", json=body, headers=auth())
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    assert named in r.json["error"]["message"]
    assert central.count("SELECT count(*) FROM hall_events") == 0


def test_a_body_that_is_not_json_is_400_and_one_over_8_mb_is_413(central):
    r = central.client.post("/api/central/events", data="hall=h1", headers=auth(),
                            content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    big = b'{"hall": "h1", "events": [], "x": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    r = central.client.post("/api/central/events", data=big, headers=auth(),
                            content_type="application/json")
    assert r.status_code == 413 and r.json["error"]["code"] == "payload_too_large"


def test_a_ticket_token_sent_by_mistake_is_not_kept(central):
    sent = batch(1, 1)
    sent[0]["ticket"]["token"] = "the-citizens-secret-key"
    central.post("h1", sent)
    with central.store.reading() as conn:
        assert "the-citizens-secret-key" not in conn.exec_driver_sql(
            "SELECT data FROM hall_events").scalar()
    assert TOKEN not in central.client.get("/api/central/halls").get_data(as_text=True)


def test_halls_posting_at_once_and_a_hall_posting_twice_at_once_keep_each_event_once(any_central):
    """Four halls, each with two forwarders overlapping (two hub processes for a moment), post
    their batches at once: each answer is 200 or a 409 with where to resume, and each hall
    ends with every event once."""
    c = any_central
    tokens = {f"h{n}": f"token-of-hall-number-{n}" for n in range(4)}
    errors = []

    def forwarder(hall: str) -> None:
        client = c.client.application.test_client()
        last = 0
        while last < 60:
            r = client.post("/api/central/events", headers=auth(tokens[hall]),
                            json={"hall": hall, "events": batch(last + 1, min(60, last + 7))})
            if r.status_code not in (200, 409):
                errors.append((hall, r.status_code, r.json))
                return
            last = r.json["last_seq"]

    threads = [threading.Thread(target=forwarder, args=(hall,)) for hall in tokens for _ in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {h: v["last_seq"] for h, v in c.halls().items()} == dict.fromkeys(tokens, 60)
    assert c.count("SELECT count(*) FROM hall_events") == 4 * 60
    assert c.count("SELECT count(DISTINCT hall || '/' || seq) FROM hall_events") == 4 * 60
