"""The real hub process (cheroot, its follower thread and WAL checkpoints) on a full 4 MB tmpfs:
kiosks are told 503 storage_unavailable, displays keep their stream, and once space is free
the hub takes tickets again by itself, numbering on from the last acknowledged one."""
from __future__ import annotations

import time
import uuid

import pytest
from disk_full_support import small_disk  # noqa: F401  (a fixture)

from hallcall.hallclient import EventStream, HubError

pytestmark = pytest.mark.slow

KIOSK, SERVICE = "demo-kiosk", "company-name"
MOST_TICKETS = 100
RECOVERY_WAIT_S = 30.0  # the follower probes each second; generous for a busy machine


def test_the_hub_process_survives_a_full_disk(small_disk, make_server):  # noqa: F811
    server = make_server(db=small_disk.path / "hall.db").start()
    kiosk = server.client(KIOSK)
    acknowledged = {}

    def issue(key):
        ticket = kiosk.issue(SERVICE, idempotency_key=key)["ticket"]
        acknowledged[ticket["number"]] = ticket["token"]
        return ticket

    for _ in range(3):
        issue(uuid.uuid4().hex)
    small_disk.fill(0)
    for _ in range(MOST_TICKETS):
        key = uuid.uuid4().hex
        try:
            issue(key)
        except HubError as exc:
            refused = exc
            break
    else:
        pytest.fail(f"{MOST_TICKETS} tickets issued on a full disk: it never refused")
    assert (refused.status, refused.code) == (503, "storage_unavailable"), refused
    assert refused.message and refused.message_zh

    # Reads go on: the snapshot, and a display (re)connecting to the stream from the start.
    hall = kiosk.hall()
    assert next(s for s in hall["services"] if s["id"] == SERVICE)["issued_today"] == len(acknowledged)
    health = kiosk.health()
    assert (health["status"], health["storage"]) == ("ok", "unavailable")
    stream = EventStream(server.url, after=0, timeout=5, reconnect=False)
    try:
        stream.connect()
        seen = []
        for event in stream:
            seen.append(event)
            if event.seq >= hall["last_event"]:
                break
    finally:
        stream.close()
    issued = [e.data["ticket"]["number"] for e in seen if e.type == "ticket.issued"]
    assert issued == list(acknowledged)

    small_disk.free()
    deadline = time.monotonic() + RECOVERY_WAIT_S
    while kiosk.health()["storage"] != "ok":  # nobody writes: the follower's probe finds out
        assert time.monotonic() < deadline, server.log_text()
        time.sleep(0.2)
    # The kiosk's retry of the refused touch, with its key: a new ticket, the next number.
    ticket = kiosk.issue(SERVICE, idempotency_key=key)["ticket"]
    assert ticket["number"] == f"A{len(acknowledged) + 1:03d}"
    for number, token in acknowledged.items():
        assert kiosk.ticket(token)["ticket"]["number"] == number
    kiosk.close()

    assert server.stop() == 0
    log = server.log_text()
    assert log.count("storage unavailable: a write failed") == 1, log
    assert log.count("storage available again: a write works") == 1, log
    assert "Traceback" not in log, log
