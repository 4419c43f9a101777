"""The hub on PostgreSQL when its server goes away: writes answer 503 storage_unavailable and keep
nothing, the fault is logged once, and the hub recovers by itself when the server is back, with
every acknowledged ticket there and no number skipped (as test_disk_full.py for a full disk)."""
from __future__ import annotations

import logging
import time
import uuid

import pytest
from helpers import KIOSK

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
