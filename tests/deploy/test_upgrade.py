"""An upgrade stops the hub with SIGTERM, migrates, and starts it again. Kiosks issuing all along
must lose no acknowledged ticket and get none twice: the claim deploy/upgrade.sh rests on. Then
what deploy/upgrade.sh does, in order, as its dry run shows it."""
from __future__ import annotations

import queue
import sqlite3
import threading
import time
import uuid
from collections import defaultdict

import pytest
import real_server
from deploy_support import REPO, installed_here, upgrade
from helpers import migrated_copy
from real_server import RealServer

from hallcall.cli import main
from hallcall.hallclient import HubClient
from hallcall.kiosk.printing import Printing
from hallcall.kiosk.workers import IssueJob

KIOSK = "demo-kiosk"
SERVICES = {"company-name": "A", "company-setup": "B", "individual-business": "E"}


@pytest.mark.slow
def test_restart_for_an_upgrade_loses_no_ticket_and_makes_none_twice(tmp_path, monkeypatch):
    # The hub comes back on the same port, as its systemd unit does.
    port = real_server.free_port()
    monkeypatch.setattr(real_server, "free_port", lambda: port)
    db = tmp_path / "hall.db"
    migrated_copy(f"sqlite:///{db}")  # a hall database, as a first start leaves it
    hub = RealServer(db, tmp_path / "hub.log").start()
    probe = hub.client(KIOSK)
    hall = probe.hall()
    probe.close()

    done: list[tuple[str, dict]] = []  # (Idempotency-Key, ticket) of every acknowledged issue
    retried: set[str] = set()  # keys the kiosk had to send again
    problems: list[object] = []
    stop = threading.Event()

    def kiosk(service: str) -> None:
        # The kiosk's own code: one touch is one IssueJob, one key, retried for 20 s.
        client = HubClient(hub.url, KIOSK, timeout=2)
        printing = Printing("dummy:", client)
        try:
            while not stop.is_set():
                key, inbox = uuid.uuid4().hex, queue.Queue()
                IssueJob(client, printing, hub.url, {"id": service}, "zh", key, hall, inbox).run()
                messages = []
                while not inbox.empty():
                    messages.append(inbox.get())
                kinds = [m[0] for m in messages]
                if "retrying" in kinds:
                    retried.add(key)
                if "issued" not in kinds:
                    problems.append(messages)
                    return
                done.append((key, next(m[2] for m in messages if m[0] == "issued")["ticket"]))
        except BaseException as exc:
            problems.append(exc)

    def wait_for(count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(done) < count and not problems:
            assert time.monotonic() < deadline, f"only {len(done)} tickets"
            time.sleep(0.02)

    threads = [threading.Thread(target=kiosk, args=(s,)) for s in SERVICES]
    try:
        for t in threads:
            t.start()
        wait_for(15)
        assert hub.stop() == 0  # SIGTERM, and a clean exit (no SIGKILL needed)
        during = len(done)
        assert main(["migrate", "--db", str(db)]) == 0  # `hallcall migrate`, in this process
        hub.start()
        wait_for(len(done) + 15)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        hub.stop()
    assert not problems, problems
    assert retried, "no kiosk was caught by the restart: the test proved nothing"
    assert len(done) > during

    keys = [key for key, _ in done]
    ids = [ticket["id"] for _, ticket in done]
    assert len(set(keys)) == len(keys) and len(set(ids)) == len(ids)  # one ticket per touch
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT id, number, origin_service, seq_no FROM tickets").fetchall()
    finally:
        con.close()
    assert sorted(r[0] for r in rows) == sorted(ids)  # every ticket acknowledged, none extra
    by_service = defaultdict(list)
    for _, number, service, seq_no in rows:
        by_service[service].append((seq_no, number))
    for service, prefix in SERVICES.items():
        numbers = sorted(by_service[service])
        assert [n for n, _ in numbers] == list(range(1, len(numbers) + 1))  # no gap, no repeat
        assert [number for _, number in numbers] == [f"{prefix}{n:03d}" for n in range(1, len(numbers) + 1)]
    acknowledged = {ticket["id"]: ticket["number"] for _, ticket in done}
    assert acknowledged == {r[0]: r[1] for r in rows}  # each kiosk was told the stored number


fresh = pytest.mark.skipif(bool(installed_here()), reason=(
    "hallcall is installed on this machine: these dry runs describe one where it is not"))


@fresh
def test_upgrade_dry_run_backs_up_first_and_restarts_the_hub_before_the_rest(tmp_path):
    settings = tmp_path / "hallcall.env"
    settings.write_text('HALLCALL_ROLES="hub,buttons"\nHALLCALL_EXTRAS="buttons"\n'
                        'HALLCALL_PYGAME="none"\nHALLCALL_SCREEN=""\nHALLCALL_LISTEN="0.0.0.0"\n'
                        'HALLCALL_PORT="8090"\nHALLCALL_BACKUP_KEEP_DAYS="14"\n')
    run = upgrade(["--dry-run", "--settings", str(settings)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.changes == []
    venv = "/opt/hallcall/venv/bin"
    expected = [
        f"runuser -u hallcall -- {venv}/hallcall backup --db /var/lib/hallcall/hallcall.db "
        "--to /var/backups/hallcall --keep-days 14",
        f"{venv}/python -m pip install '<copy of {REPO}>[buttons]'",
        "systemctl stop hallcall-hub.service",
        f"runuser -u hallcall -- {venv}/hallcall migrate --config /etc/hallcall/hall.toml "
        "--db /var/lib/hallcall/hallcall.db",
        "systemctl start hallcall-hub.service",
        "wait until http://127.0.0.1:8090/api/health answers with version",
    ]
    at = [next(i for i, line in enumerate(run.dry_lines) if line.startswith(step)) for step in expected]
    assert at == sorted(at), run.stdout
    assert not any("buttons.service" in line for line in run.dry_lines)  # the hub drives them


@fresh
def test_upgrade_dry_run_of_a_kiosk_restarts_only_the_kiosk(tmp_path):
    settings = tmp_path / "hallcall.env"
    settings.write_text('HALLCALL_ROLES="kiosk"\nHALLCALL_EXTRAS="kiosk"\nHALLCALL_PYGAME="source"\n'
                        'HALLCALL_SCREEN="kms"\nHALLCALL_HUB_URL="http://192.168.1.10:8080"\n'
                        'HALLCALL_KIOSK_TOKEN="secret-secret"\n')
    run = upgrade(["--dry-run", "--settings", str(settings)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.changes == []
    assert not any("backup" in line or "hallcall-hub" in line or "migrate" in line
                   for line in run.dry_lines)
    assert run.dry_lines[-1] == "systemctl restart hallcall-kiosk.service"
    assert "secret-secret" not in run.stdout


def test_upgrade_refuses_a_pi_that_was_never_installed(tmp_path):
    run = upgrade(["--dry-run", "--settings", str(tmp_path / "missing.env")], tmp_path)
    assert run.returncode == 1 and "install with deploy/install.sh first" in run.stderr
    run = upgrade(["--dry-run", str(tmp_path)], tmp_path)
    assert run.returncode == 2 and "not a hallcall source folder" in run.stderr
    assert run.changes == []
