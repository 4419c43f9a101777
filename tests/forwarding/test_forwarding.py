"""Forwarding the hall's events to the real central (server/central, served by cheroot in a thread
over a SQLite file), from a hub on its own file: every event arrives once and in order whatever
happens to the central or the link between them, and the staff see how it stands."""
from __future__ import annotations

import json
import urllib.request

import pytest
from forwarding_support import CutProxy, LiveCentral, central_section, wait_until
from helpers import auth, small_hall_data

from hallcall.server.audit import Actor
from hallcall.server.config import parse_config
from hallcall.server.forwarding import SEQ_KEY, Forwarder, post_json

ADMIN = auth("admin-token-1")
CLERK = Actor("staff", "w1")
DEMO_HASH = ("pbkdf2:sha256:200000$jg7udIb61aN1EqRz$"
             "3c067a214633a9a7eaae676dbae1ddbac9dbccc7754ce10b3cc5a686377420ba")


def hall_config(url: str, **more):
    data = small_hall_data()
    data["staff"] = [{"id": "w1", "name": "Wang", "windows": ["1"],
                      "password_hash": DEMO_HASH}]
    data["central"] = central_section(url, **more)
    return parse_config(data)


@pytest.fixture
def central(tmp_path):
    c = LiveCentral(tmp_path / "central.db").start()
    yield c
    c.stop()


@pytest.fixture
def forward():
    """forward(hub) -> its Forwarder, started; every one stopped at the end (before the hubs)."""
    started = []

    def start(hub):
        started.append(Forwarder(hub).start())
        return started[-1]

    yield start
    for f in started:
        f.stop()


def hall_events(hub) -> list[dict]:
    return [json.loads(e.data) for e in hub.events_after(0, 100_000)]


def synced(central, hub) -> bool:
    return central.last_seq() == hub.events_after(0, 100_000)[-1].seq


def assert_held_as_in_the_hall(central, hub):
    """The central holds every event of the hall once, in order, as the hall stores it, each
    ticket with the staff and rating the hall's database held when it was sent: a ticket's
    latest event has what the hall holds now."""
    held, mine = central.held(), hall_events(hub)
    assert [e["seq"] for e in held] == [e["seq"] for e in mine]
    with hub.store.read(hub.config) as tx:
        now = tx.staff_and_ratings(e["ticket"]["id"] for e in mine if "ticket" in e)
    latest = {}
    for got, want in zip(held, mine, strict=True):
        if "ticket" in want:
            latest[want["ticket"]["id"]] = (got["ticket"].pop("staff"), got["ticket"].pop("rating"))
        assert got == want
    assert latest == now


def serve_one(hub, window="1"):
    hub.issue("a")
    hub.act(window, "call-next", actor=CLERK)
    hub.act(window, "finish", actor=CLERK)
    hub.act(window, "rate", actor=CLERK, rating="satisfied")


def test_the_central_stopped_while_the_hall_issues_gets_everything_once_when_back(
        make_app, central, forward):
    app = make_app(HALL=hall_config(central.url))
    hub, client = app.config["HUB"], app.test_client()
    forwarder = forward(hub)
    serve_one(hub)
    wait_until(lambda: synced(central, hub), what="the first events at the central")
    shown = wait_until(lambda: (s := client.get("/api/admin/central", headers=ADMIN).json)
                       ["pending"] == 0 and s, what="the staff to see it")
    assert shown["error"] is None and shown["url"] == central.url
    assert shown["last_seq"] == central.last_seq()

    central.stop()
    for _ in range(5):  # the hall goes on as if nothing happened
        hub.issue("a")
    serve_one(hub)
    wait_until(lambda: forwarder.error is not None, what="the forwarder to notice")
    # The forwarder knows first; the staff see it once it has written the status down.
    shown = wait_until(lambda: (s := client.get("/api/admin/central", headers=ADMIN).json)
                       ["error"] and s, what="the staff to see the link down")
    assert shown["error"] and shown["pending"] > 0

    central.start()
    wait_until(lambda: synced(central, hub), what="the central to catch up")
    assert_held_as_in_the_hall(central, hub)
    assert any(e["ticket"]["staff"] == "w1" and e["ticket"]["rating"] == "satisfied"
               for e in central.held() if "ticket" in e)
    shown = wait_until(lambda: (s := client.get("/api/admin/central", headers=ADMIN).json)
                       ["pending"] == 0 and s, what="the staff to see it caught up")
    assert (shown["error"], shown["last_seq"]) == (None, central.last_seq())
    halls = {h["id"]: h for h in central_halls(central)}
    assert halls["xuhui-1"]["name"] == {"zh": "测试大厅", "en": "Test hall"}  # the info it sent


def central_halls(central) -> list[dict]:
    with urllib.request.urlopen(central.url + "/api/central/halls", timeout=5) as answer:
        return json.load(answer)["halls"]


def test_a_link_cut_mid_batch_loses_and_doubles_nothing(make_app, central, forward):
    proxy = CutProxy(("127.0.0.1", central.port))
    try:
        app = make_app(HALL=hall_config(central.url, batch=4))
        hub, client = app.config["HUB"], app.test_client()
        forwarder = forward(hub)
        hub.issue("a")
        wait_until(lambda: synced(central, hub))
        # The hall moves to the proxy by a live change of [central]: no restart.
        config = client.get("/api/admin/config", headers=ADMIN).json["config"]
        config["central"]["url"] = proxy.url
        assert client.put("/api/admin/config", json=config, headers=ADMIN).status_code == 200
        before = central.last_seq()

        proxy.cut_request(300)  # the next post dies inside its body
        for _ in range(9):
            hub.issue("a")
        wait_until(lambda: proxy.cuts == 1 and forwarder.error, what="the cut request")
        assert central.last_seq() == before  # nothing of a half-received batch is kept

        proxy.cut_answer(10)  # the central keeps the next batch, its answer is lost
        wait_until(lambda: proxy.cuts == 2, what="the cut answer")
        wait_until(lambda: central.last_seq() > before, what="the batch whose answer was lost")
        wait_until(lambda: synced(central, hub), what="the forwarder to resume")
        assert_held_as_in_the_hall(central, hub)
        assert proxy.connections >= 4  # the retries went through the proxy
    finally:
        proxy.close()


def test_a_restarted_hall_resumes_and_a_central_restored_from_a_backup_is_refilled(
        make_hub, central, forward, tmp_path):
    config = hall_config(central.url, batch=3)
    first = make_hub(config=config)
    forwarder = forward(first)
    serve_one(first)
    wait_until(lambda: synced(central, first))
    central.backup_to(tmp_path / "backup.db")
    backed_up = central.last_seq()
    serve_one(first)
    wait_until(lambda: synced(central, first))
    forwarder.stop()
    first.stop()

    again = make_hub(config=config)  # the same hall database: the hall restarted
    with again.store.read(again.config) as tx:
        assert tx.state(SEQ_KEY) == central.last_seq()  # where it stood, kept for the staff
    forward(again)
    serve_one(again)
    wait_until(lambda: synced(central, again))
    assert_held_as_in_the_hall(central, again)  # resumed where the central was: nothing twice

    central.restore_from(tmp_path / "backup.db")
    assert central.last_seq() == backed_up
    again.issue("b")
    wait_until(lambda: synced(central, again), what="the restored central to be refilled")
    assert_held_as_in_the_hall(central, again)


def test_the_hall_never_waits_for_a_central_it_cannot_reach(make_app, forward):
    blackhole = CutProxy(("127.0.0.1", 9))
    blackhole.blackhole = True  # connections taken, never answered: each post hangs to its timeout
    try:
        app = make_app(HALL=hall_config(blackhole.url))
        hub, client = app.config["HUB"], app.test_client()
        forward(hub)
        wait_until(lambda: blackhole.connections >= 1, what="the forwarder's first post")
        kiosk, keys = auth("kiosk-token-1"), auth("buttons-token-1")
        numbers = [client.post("/api/tickets", json={"service": "a"}, headers=kiosk)
                   .json["ticket"]["number"] for _ in range(5)]
        called = [client.post("/api/windows/1/call-next", headers=keys).json["ticket"]["number"]
                  for _ in range(2)]
        assert called == numbers[:2]  # answered while the post to the central hangs
        shown = client.get("/api/admin/central", headers=ADMIN).json
        assert shown["url"] == blackhole.url and shown["pending"] >= 7
        assert shown["last_seq"] is None  # the central never answered
    finally:
        blackhole.close()


def test_a_refused_token_is_shown_and_a_corrected_one_applies_without_a_restart(
        make_app, central, forward):
    city_token = "the-token-the-city-gave-1"
    status, _ = post_json(central.url + "/api/central/events", city_token,
                          {"hall": "xuhui-1", "events": []}, 5)
    assert status == 200  # the hall id is now bound to the city's token
    app = make_app(HALL=hall_config(central.url))  # a mistyped token
    hub, client = app.config["HUB"], app.test_client()
    forward(hub)
    hub.issue("a")
    # Until the forwarder holds its lease the status says nobody forwards: wait for the refusal.
    wait_until(lambda: "403" in (client.get("/api/admin/central", headers=ADMIN).json["error"] or ""),
               what="the refusal shown")
    assert central.last_seq() == 0

    config = client.get("/api/admin/config", headers=ADMIN).json["config"]
    config["central"]["token"] = city_token
    assert client.put("/api/admin/config", json=config, headers=ADMIN).status_code == 200
    wait_until(lambda: synced(central, hub), what="forwarding with the corrected token")
    assert_held_as_in_the_hall(central, hub)
