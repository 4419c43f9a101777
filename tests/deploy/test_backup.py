"""`hallcall backup`: an online copy of a running hub's database, checked, named by time,
written atomically, with the old copies removed."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from real_server import REPO, RealServer

from hallcall.server.store.backup import BackupError, backup, prune

KIOSK = "demo-kiosk"
SERVICES = ["company-name", "company-setup"]


def hallcall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hallcall", *args], capture_output=True,
                          text=True, timeout=60, cwd=REPO)


def check_copy(path: Path) -> dict:
    """Open a backup as a plain SQLite file and check it is one consistent moment of the hall:
    every ticket has its issue event (written in the same transaction), the events are
    numbered without a gap, and each service's numbers run 1..n."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal
        tickets = db.execute("SELECT id, origin_service, seq_no FROM tickets").fetchall()
        issued = {row[0] for row in db.execute(
            "SELECT json_extract(data, '$.ticket.id') FROM events WHERE type = 'ticket.issued'")}
        seqs = [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
    finally:
        db.close()
    assert {t[0] for t in tickets} == issued
    assert seqs == list(range(1, len(seqs) + 1))
    numbers = defaultdict(list)
    for _, service, seq_no in tickets:
        numbers[service].append(seq_no)
    for service, nos in numbers.items():
        assert sorted(nos) == list(range(1, len(nos) + 1)), service
    return {t[0] for t in tickets}


@pytest.mark.slow
def test_backup_of_a_live_hub_while_it_issues(tmp_path):
    db, backups = tmp_path / "hall.db", tmp_path / "backups"
    hub = RealServer(db, tmp_path / "hub.log").start()
    acknowledged: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def kiosk(service):
        client = hub.client(KIOSK)
        try:
            while not stop.is_set():
                status, body = client.request("POST", "/api/tickets", {"service": service},
                                              {"Idempotency-Key": uuid.uuid4().hex})
                assert status == 201
                acknowledged.append(body["ticket"]["id"])
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=kiosk, args=(s,)) for s in SERVICES]
    try:
        for t in threads:
            t.start()
        copies = []
        for _ in range(3):  # each while tickets are being written
            before = len(acknowledged)
            run = hallcall("backup", "--db", f"sqlite:///{db}", "--to", str(backups))
            after = len(acknowledged)
            assert run.returncode == 0, run.stderr
            path = Path(run.stdout.split(" to ", 1)[1].split(" (", 1)[0])
            assert path.parent == backups and path.name.startswith("hallcall-")
            ids = check_copy(path)
            # Everything acknowledged before the copy began is in it; nothing that was never
            # issued is (at most the tickets of the moments around the copy differ).
            assert set(acknowledged[:before]) <= ids
            assert len(ids) <= after + len(SERVICES)
            assert f"backed up {len(ids)} tickets" in run.stdout
            copies.append(path)
        assert len(set(copies)) == 3
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        hub.stop()
    assert not errors, errors
    assert len(acknowledged) > 20  # the hub really was writing
    # Only finished backups in the folder: no temporary files, no -wal or -shm beside them.
    assert sorted(p.name for p in backups.iterdir()) == sorted(p.name for p in copies)
    for path in copies:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # tokens and the session key inside


def test_a_backup_restores_into_a_working_hub(tmp_path, make_app, db_url):
    app = make_app(CLOCK=None)  # the real clock: the CLI's stats count today
    client = app.test_client()
    for _ in range(3):
        client.post("/api/tickets", json={"service": "company-name"},
                    headers={"Authorization": f"Bearer {KIOSK}"})
    result = backup(db_url, tmp_path / "backups", now=datetime(2026, 11, 26, 2, 30))
    assert result.path.name == "hallcall-20261126-023000.db" and result.tickets == 3

    # Restore as the README says: the hub stopped, the copy put in place of its file.
    restored = tmp_path / "restored.db"
    restored.write_bytes(result.path.read_bytes())
    run = hallcall("stats", "--db", str(restored))
    assert run.returncode == 0, run.stderr
    row = next(line for line in run.stdout.splitlines() if ",company-name," in line)
    assert row.split(",")[5] == "3"  # issued


def test_prune_removes_only_old_backups(tmp_path):
    now = datetime(2026, 11, 26, 2, 30)
    names = {
        "hallcall-20261118-023000.db": "old",      # 8 days
        "hallcall-20261119-022959-2.db": "old",    # 7 days and a second (the second that second)
        "hallcall-20261119-023000.db": "kept",     # 7 days exactly
        "hallcall-20261120-023000.db": "kept",     # 6 days
        "hallcall-20261125-023000.db": "kept",
        "hallcall-old.db": "kept",                 # not a name this program writes
        "notes.txt": "kept",
        "hallcall-20200101-000000.db.bak": "kept",
    }
    for name in names:
        (tmp_path / name).write_text("x")
    (tmp_path / "hallcall-20200101-000000.db").mkdir()  # a folder is never removed
    stale = tmp_path / ".hallcall-20261001-000000.db.partial"
    stale.write_text("x")
    os.utime(stale, (0, 0))  # an interrupted copy from long ago
    fresh = tmp_path / ".hallcall-20261126-022959.db.partial"
    fresh.write_text("x")  # perhaps another backup at work right now

    removed = prune(tmp_path, 7, now)
    assert sorted(p.name for p in removed) == sorted(
        ["hallcall-20261118-023000.db", "hallcall-20261119-022959-2.db", stale.name])
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {n for n, v in names.items() if v == "kept"} | {
        "hallcall-20200101-000000.db", fresh.name}


def test_backup_cli_prunes_and_keeps_the_new_copy(tmp_path, make_app, db_url):
    app = make_app()
    app.config["HUB"].stop()
    db = db_url
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / (datetime.now() - timedelta(days=3)).strftime("hallcall-%Y%m%d-%H%M%S.db")
    older = backups / (datetime.now() - timedelta(days=40)).strftime("hallcall-%Y%m%d-%H%M%S.db")
    old.write_text("x")
    older.write_text("x")
    run = hallcall("backup", "--db", db, "--to", str(backups), "--keep-days", "2")
    assert run.returncode == 0, run.stderr
    assert f"removed {old}" in run.stdout and f"removed {older}" in run.stdout
    (made,) = backups.iterdir()
    check_copy(made)


@pytest.mark.parametrize("case, message", [
    ("missing", "no database there"),
    ("not-sqlite", "file is not a database"),
    ("other-db", "has no tickets table"),
    ("to-is-a-file", "cannot create the backup folder"),
    ("postgres", "a PostgreSQL database is backed up with PostgreSQL's own tools, e.g. `pg_dump"),
])
def test_backup_errors_clearly(tmp_path, case, message):
    db, to = tmp_path / "hall.db", tmp_path / "backups"
    args = ["--db", str(db), "--to", str(to)]
    if case == "not-sqlite":
        db.write_text("this is a text file, not a database\n" * 100)
    elif case == "other-db":
        sqlite3.connect(db).execute("CREATE TABLE notes (x)").connection.close()
    elif case == "to-is-a-file":
        sqlite3.connect(db).close()
        to = tmp_path / "a-file"
        to.write_text("x")
        args = ["--db", str(db), "--to", str(to / "backups")]
    elif case == "postgres":
        args[1] = "postgresql://hub@localhost/hall"
    run = hallcall("backup", *args)
    assert run.returncode == 1
    assert run.stderr.startswith("hallcall backup: ") and message in run.stderr, run.stderr
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
    if case == "missing":
        assert not db.exists()  # no empty database made in its place
        assert str(db) in run.stderr  # named by its absolute path
    if to.is_dir():
        assert list(to.iterdir()) == []  # nothing half-written left behind


def test_backup_refuses_a_keep_days_below_one_as_a_usage_mistake(tmp_path):
    run = hallcall("backup", "--db", str(tmp_path / "hall.db"), "--to", str(tmp_path), "--keep-days", "0")
    assert run.returncode == 2 and "--keep-days" in run.stderr and "Traceback" not in run.stderr
    with pytest.raises(BackupError, match="at least 1"):  # and called directly, the same rule
        backup(str(tmp_path / "hall.db"), tmp_path, keep_days=0)


def test_backup_names_a_relative_database_by_its_absolute_path(tmp_path):
    run = subprocess.run([sys.executable, "-m", "hallcall", "backup", "--db", "var/hallcall.db",
                          "--to", "backups"], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path)
    assert run.returncode == 1 and f"{tmp_path}/var/hallcall.db" in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no backup folder made


def test_backup_refuses_an_in_memory_database(tmp_path):
    with pytest.raises(BackupError, match="in-memory"):
        backup("sqlite:///:memory:", tmp_path)

