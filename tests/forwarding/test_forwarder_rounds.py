"""The forwarder's rounds driven one by one against a stand-in for the central's answers (the
central itself is tested in test_forwarding.py): the lease between hub processes, and a central
that holds more of the hall than its database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from forwarding_support import central_section
from helpers import small_hall_data

from hallcall.server import forwarding
from hallcall.server.config import parse_config
from hallcall.server.forwarding import LEASE_KEY, Forwarder


class Answers:
    """What a central answers: keeps last_seq, takes the consecutive events after it."""

    def __init__(self, last_seq: int = 0):
        self.last_seq, self.posts = last_seq, []

    def __call__(self, url, token, body, timeout):
        self.posts.append(body)
        events = [e for e in body["events"] if e["seq"] > self.last_seq]
        if events and events[0]["seq"] != self.last_seq + 1:
            return 409, {"error": {"code": "out_of_order"}, "last_seq": self.last_seq}
        self.last_seq = events[-1]["seq"] if events else self.last_seq
        return 200, {"hall": body["hall"], "last_seq": self.last_seq}

    def sent(self) -> list[int]:
        return [e["seq"] for p in self.posts for e in p["events"]]


def hall(make_hub, url=None):
    data = small_hall_data()
    data["central"] = central_section("http://central.invalid")
    return make_hub(config=parse_config(data), db=url)


def test_one_forwarder_holds_the_lease_and_another_takes_it_when_it_lapses(
        make_hub, store_url, monkeypatch):
    hub = hall(make_hub, store_url)  # on SQLite and on PostgreSQL
    monkeypatch.setattr(forwarding, "RENEW_S", 0.0)  # every round renews: no waiting here
    central = Answers()
    first, second = (Forwarder(hub, owner=o, post=central) for o in ("hub-a", "hub-b"))
    hub.issue("a")
    first.round()
    assert central.last_seq == hub.events_after(0)[-1].seq
    posts = len(central.posts)
    second.round()  # stands by: the lease is the first's
    assert len(central.posts) == posts

    # The first process dies (kill -9): its lease runs out, and the second takes over.
    with hub.store.write(hub.config) as tx:
        past = datetime.now(timezone.utc) - timedelta(seconds=1)
        tx.set_state(LEASE_KEY, {"owner": "hub-a", "until": past.isoformat()})
    hub.issue("a")
    second.round()
    assert central.last_seq == hub.events_after(0)[-1].seq
    with hub.store.read(hub.config) as tx:
        assert tx.state(LEASE_KEY)["owner"] == "hub-b"
    posts = len(central.posts)
    first.round()  # back from a pause, it finds the lease taken and stands by
    assert len(central.posts) == posts
    assert central.sent() == list(range(1, central.last_seq + 1))  # each once, in order


def test_a_central_ahead_of_the_hall_gets_no_events_and_the_staff_are_told(make_hub):
    hub = hall(make_hub)
    central = Answers(last_seq=1000)  # a hall database restored from an older backup
    forwarder = Forwarder(hub, post=central)
    hub.issue("a")
    forwarder.round()
    assert central.sent() == [] and "1000" in forwarder.error
    for _ in range(3):
        hub.issue("a")
    forwarder.round()
    assert central.sent() == []
    assert "1000" in forwarding.status(hub)["error"]
