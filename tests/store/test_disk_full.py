"""A full disk under the hub's database, through Flask's test client on a real 4 MB tmpfs: every
write answers 503 storage_unavailable and keeps nothing, reads go on, and the hub recovers by
itself once space is free, with every acknowledged ticket still there and no number skipped."""
from __future__ import annotations

import json
import logging
import sqlite3
import uuid

import pytest
from disk_full_support import small_disk  # noqa: F401  (a fixture)
from helpers import ADMIN, BUTTONS, KIOSK

from hallcall.server.store.errors import StorageHealth, StorageUnavailable, storage_failure

SERVICE, PREFIX = "company-name", "A"  # served by windows 1-4 in the demo hall
MOST_TICKETS = 80  # far more than fit in a WAL that cannot grow: the wall is met well before


@pytest.fixture
def disk_app(small_disk, make_app):  # noqa: F811
    return make_app(DATABASE=f"sqlite:///{small_disk.path}/hall.db")


def issue(client, key=None):
    return client.post("/api/tickets", json={"service": SERVICE}, headers={
        **KIOSK, "Idempotency-Key": key or uuid.uuid4().hex})


def assert_unavailable(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    err = response.json["error"]
    assert err["code"] == "storage_unavailable"
    assert err["message"] == "The hub cannot save tickets right now; staff have been alerted"
    assert err["message_zh"] == "系统暂时无法保存，请稍候或联系工作人员"


def stored(path):
    """What is in the file, read by a connection of its own: ticket numbers in issuing order and
    the events, each checked to be whole."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        numbers = [r[0] for r in con.execute("SELECT number FROM tickets ORDER BY issued_at")]
        events = [(seq, kind, json.loads(data)) for seq, kind, data in
                  con.execute("SELECT seq, type, data FROM events ORDER BY seq")]
    finally:
        con.close()
    assert [e[0] for e in events] == list(range(1, len(events) + 1)), "a gap in the events"
    assert all(e[2]["seq"] == e[0] and e[2]["type"] == e[1] for e in events)
    issued = [e[2]["ticket"]["number"] for e in events if e[1] == "ticket.issued"]
    assert issued == numbers, "a ticket without its event, or an event without its ticket"
    return numbers, events


def issue_until_refused(client, acknowledged: dict) -> tuple[str, object]:
    """Issue until the disk refuses; every 201 before that is an acknowledged ticket."""
    for _ in range(MOST_TICKETS):
        key = uuid.uuid4().hex
        r = issue(client, key)
        if r.status_code != 201:
            return key, r
        acknowledged[r.json["ticket"]["number"]] = r.json["ticket"]["token"]
    pytest.fail(f"{MOST_TICKETS} tickets issued on a full disk: it never refused")


# Where SQLite meets the wall: a WAL that must grow from its first write (no checkpoint yet),
# with nothing or a few pages left; or a WAL reset by a checkpoint, whose old pages are written
# over first, so some writes still fit before it must grow (and the checkpoint itself needs the
# database file to grow).
@pytest.mark.parametrize("leave, checkpoint_first", [(0, False), (12 * 1024, False),
                                                     (0, True), (40 * 1024, True)],
                         ids=["wal-grows-0KB", "wal-grows-12KB", "wal-reused-0KB", "wal-reused-40KB"])
def test_issuing_on_a_full_disk_is_refused_and_recovers_without_a_restart(
        disk_app, small_disk, leave, checkpoint_first):  # noqa: F811
    client, hub = disk_app.test_client(), disk_app.config["HUB"]
    acknowledged = {}
    for _ in range(3):
        r = issue(client)
        assert r.status_code == 201
        acknowledged[r.json["ticket"]["number"]] = r.json["ticket"]["token"]
    if checkpoint_first:
        hub.store.checkpoint()
    small_disk.fill(leave)

    key, refused = issue_until_refused(client, acknowledged)
    assert_unavailable(refused)
    # Reads go on, and show what was acknowledged, nothing of what was refused.
    hall = client.get("/api/hall")
    assert hall.status_code == 200
    assert next(s for s in hall.json["services"] if s["id"] == SERVICE)["issued_today"] == len(acknowledged)
    assert hall.json["last_event"] == hub.bus.last_seq  # the bus heard of no event never stored
    assert client.get("/api/health").json["storage"] == "unavailable"
    assert client.get("/api/health").json["status"] == "ok"  # the process serves: reads work
    with hub.store.read(hub.config) as tx:
        assert tx.last_seq() == hub.bus.last_seq

    small_disk.free()
    # The refused request, sent again with its key, is issued now, as a new ticket (201): nothing
    # of it had been kept. Its number follows the last acknowledged one.
    again = issue(client, key)
    assert again.status_code == 201, again.get_data(as_text=True)
    numbers = [f"{PREFIX}{n:03d}" for n in range(1, len(acknowledged) + 2)]
    assert again.json["ticket"]["number"] == numbers[-1]
    assert issue(client, key).status_code == 200  # and it is a replay from now on
    assert client.get("/api/health").json["storage"] == "ok"
    for number, token in acknowledged.items():
        assert client.get(f"/api/tickets/{token}").json["ticket"]["number"] == number
    assert stored(small_disk.path / "hall.db")[0] == numbers
    assert hub.bus.last_seq == client.get("/api/hall").json["last_event"]


def test_every_write_is_refused_alike_and_changes_nothing(disk_app, small_disk, caplog):  # noqa: F811
    client, hub = disk_app.test_client(), disk_app.config["HUB"]
    first = issue(client).json["ticket"]
    waiting = issue(client).json["ticket"]
    called = client.post("/api/windows/1/call-next", headers=BUTTONS).json["ticket"]
    assert called["number"] == first["number"]
    before = client.get("/api/hall").json
    small_disk.fill(0)

    caplog.set_level(logging.INFO, logger="hallcall.server.store")
    writes = {
        "issue": lambda: issue(client),
        "call-next": lambda: client.post("/api/windows/1/call-next", headers=BUTTONS),
        "pause": lambda: client.post("/api/windows/2/pause", headers=BUTTONS),
        "cancel": lambda: client.post(f"/api/tickets/{waiting['token']}/cancel"),
        "notices": lambda: client.put("/api/notices", headers=ADMIN, json={
            "notices": [{"zh": "今日系统维护", "en": "Maintenance today"}]}),
        "device status": lambda: client.post("/api/devices/status", headers=KIOSK, json={
            "printer": {"paper": "out", "online": True}}),
    }
    for write in writes.values():
        assert_unavailable(write())
    with pytest.raises(StorageUnavailable):  # a clerk signing out of the console
        hub.end_session("session-1", hub.now().timestamp() + 3600)
    after = client.get("/api/hall").json
    for moving in ("time",):
        before["hall"].pop(moving), after["hall"].pop(moving)
    # A refused request is still a sighting of its device (kept in memory, written later).
    for snap in (before, after):
        for device in snap["devices"]:
            device.pop("last_seen"), device.pop("online")
    assert after == before
    # Seven refused writes, one line at ERROR for the staff.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "SQLITE_FULL" in errors[0].getMessage()

    small_disk.free()
    r = client.post("/api/windows/1/call-next", headers=BUTTONS)
    assert r.status_code == 200 and r.json["ticket"]["number"] == waiting["number"]
    cleared = [r for r in caplog.records if "available again" in r.getMessage()]
    assert len(cleared) == 1 and cleared[0].levelno == logging.WARNING
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


def test_a_checkpoint_on_a_full_disk_fails_and_catches_up_once_space_is_free(disk_app, small_disk):  # noqa: F811
    client, store = disk_app.test_client(), disk_app.config["HUB"].store
    for _ in range(5):
        assert issue(client).status_code == 201
    db = small_disk.path / "hall.db"
    size = db.stat().st_size  # everything so far is in the WAL, which the checkpoint copies in
    small_disk.fill(0)
    with pytest.raises(StorageUnavailable):
        store.checkpoint()
    assert not store.checkpoint_health.available
    assert store.write_health.available  # a checkpoint failing is not a refused write
    assert client.get("/api/health").json["storage"] == "ok"
    small_disk.free()
    store.checkpoint()
    assert store.checkpoint_health.available and db.stat().st_size > size
    assert issue(client).json["ticket"]["number"] == "A006"


def test_the_probe_sees_the_fault_clear_while_no_one_writes(disk_app, small_disk):  # noqa: F811
    client, hub = disk_app.test_client(), disk_app.config["HUB"]
    store = hub.store
    issue(client)
    small_disk.fill(0)
    issue_until_refused(client, {})
    with pytest.raises(StorageUnavailable):
        store.probe(hub.config)
    assert client.get("/api/health").json["storage"] == "unavailable"
    small_disk.free()
    store.probe(hub.config)
    assert client.get("/api/health").json["storage"] == "ok"


def real_sqlite_error(tmp_path, kind: str) -> sqlite3.Error:
    """The error SQLite itself raises for each kind of trouble."""
    try:
        if kind == "readonly":
            sqlite3.connect(tmp_path / "ro.db").execute("CREATE TABLE t (x)").connection.commit()
            sqlite3.connect(f"file:{tmp_path}/ro.db?mode=ro", uri=True).execute("INSERT INTO t VALUES (1)")
        elif kind == "cantopen":
            sqlite3.connect(tmp_path / "no-such-folder" / "hall.db")
        elif kind == "constraint":
            con = sqlite3.connect(":memory:")
            con.execute("CREATE TABLE t (x PRIMARY KEY)")
            con.executemany("INSERT INTO t VALUES (?)", [(1,), (1,)])
        elif kind == "busy":
            holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            sqlite3.connect(tmp_path / "busy.db", timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        return exc
    raise AssertionError(f"SQLite raised nothing for {kind}")


@pytest.mark.parametrize("kind, name", [("readonly", "SQLITE_READONLY"), ("cantopen", "SQLITE_CANTOPEN"),
                                        ("constraint", None), ("busy", None)])
def test_which_sqlite_errors_are_storage_failures(tmp_path, kind, name):
    # Storage failures become 503; a broken constraint is a bug and a locked database is waited
    # for, so neither may pass for a full disk.
    assert storage_failure(real_sqlite_error(tmp_path, kind)) == name


def test_a_lasting_fault_is_logged_once_then_reminded_then_cleared(caplog):
    now = [0.0]
    health = StorageHealth("a write", "writes answer 503", remind_every_s=300, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="hallcall.server.store")
    for _ in range(50):  # a busy minute of kiosks on a full disk
        now[0] += 1
        health.failed("SQLITE_FULL", sqlite3.OperationalError("database or disk is full"))
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    now[0] += 300
    health.failed("SQLITE_FULL", sqlite3.OperationalError("database or disk is full"))
    assert len(caplog.records) == 2 and "a write failed 51 times" in caplog.records[1].getMessage()
    health.succeeded()
    health.succeeded()
    assert len(caplog.records) == 3 and caplog.records[2].levelno == logging.WARNING
    assert health.available
