"""The hub on PostgreSQL when its server goes away: writes answer 503 storage_unavailable and keep
nothing, the fault is logged once, and the hub recovers by itself when the server is back, with
every acknowledged ticket there and no number skipped (as test_disk_full.py for a full disk).
And a hub process frozen in the middle of a write does not hold the others back for good."""
from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
from helpers import KIOSK, small_hall

from hallcall.server.store import Store, db
from hallcall.server.store.errors import StorageUnavailable
from hallcall.server.web.serialize import event_json

pytestmark = pytest.mark.slow  # the tests' cluster is stopped and started again


@pytest.fixture
def own_server(pg_server):
    """The session's cluster, which this test stops and starts (so not a given server)."""
    if not pg_server.can_halt:
        pytest.skip("stopping the server needs the cluster the tests start, not $HALLCALL_TEST_PG")
    yield pg_server
    pg_server.resume()  # for the tests after this one, whatever happened in it


def issue(client):
    return client.post("/api/tickets", json={"service": "company-name"},
                       headers={**KIOSK, "Idempotency-Key": uuid.uuid4().hex})


def test_the_server_gone_is_a_503_then_the_hub_recovers_by_itself(own_server, make_app, caplog):
    caplog.set_level(logging.INFO, logger="hallcall.server.store")
    app = make_app(DATABASE=own_server.new_database(), FOLLOW=True)
    client = app.test_client()
    assert issue(client).json["ticket"]["number"] == "A001"

    own_server.halt()
    for _ in range(3):
        refused = issue(client)
        assert refused.status_code == 503, refused.get_data(as_text=True)
        assert refused.json["error"]["code"] == "storage_unavailable"
    time.sleep(0.5)  # the follower meets the fault too, and keeps quiet about it
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "storage unavailable" in errors[0].getMessage()

    own_server.resume()
    # The pooled connections died with the server: each is replaced at checkout, so the first
    # write after the server's return already works.
    assert issue(client).json["ticket"]["number"] == "A002"
    assert client.get("/api/hall").json["services"][0]["issued_today"] == 2
    assert any("available again" in r.getMessage() for r in caplog.records)


def test_a_writer_frozen_holding_the_lock_is_ended_and_the_others_go_on(pg_url, monkeypatch):
    """A hub process stopped (or its machine gone) inside a write transaction: the server ends
    that transaction once idle, so the other processes' writers are not held back for good."""
    monkeypatch.setattr(db, "PG_WRITER_IDLE_S", 1)
    hall = small_hall()
    frozen, other = Store(pg_url, event_json), Store(pg_url, event_json)
    frozen.upgrade()
    went_on = threading.Event()

    def write_elsewhere():
        with other.write(hall) as tx:
            tx.set_state("other", "went on")
        went_on.set()

    try:
        with pytest.raises(StorageUnavailable):  # its commit finds the session ended
            with frozen.write(hall) as tx:
                tx.set_state("frozen", "never kept")
                threading.Thread(target=write_elsewhere, daemon=True).start()
                assert went_on.wait(15), "the other writer waited for the frozen one"
        with other.read(hall) as tx:
            assert (tx.state("frozen"), tx.state("other")) == (None, "went on")
    finally:
        frozen.close()
        other.close()
