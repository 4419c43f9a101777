"""The real hub in a subprocess, over real sockets: what a display, a kiosk and a clerk notice.

The event stream through cheroot, resuming after a gap, two hub processes on one database file,
kill -9 while kiosks issue, the refusal to expose the demo tokens, and `serve --workers 2`
(server/workers.py). The two-process and kill -9 tests run on a SQLite file and on PostgreSQL
(`store_url`, tests/pg_support.py).
"""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
import uuid
from collections import defaultdict

import pytest

from hallcall.hallclient import EventStream, HubError
from tests.helpers import run_threads

pytestmark = pytest.mark.slow

KIOSK, BUTTONS = "demo-kiosk", "demo-buttons"
PREFIX = {"company-name": "A", "company-setup": "B", "individual-business": "E"}


def issue(client, service: str) -> tuple[int, dict]:
    """POST /api/tickets as a kiosk does it: with an idempotency key, returning the status too."""
    return client.request("POST", "/api/tickets", {"service": service},
                          {"Idempotency-Key": uuid.uuid4().hex})


def test_stream_answers_at_once_and_a_call_reaches_the_display(real_server):
    kiosk, buttons = real_server.client(KIOSK), real_server.client(BUTTONS)
    # A short timeout: if the hub held its headers back until the first event, connect() would
    # block here and fail, since nothing happens in the hall yet.
    stream = EventStream(real_server.url, timeout=3, reconnect=False)
    try:
        stream.connect()
        assert stream.connected  # connect() raises unless the answer is 200
        frames = stream.events(heartbeats=True)
        assert next(frames) is None  # the ": connected" comment, before any event

        issued = issue(kiosk, "company-name")[1]["ticket"]
        called = buttons.call_next("1")["ticket"]
        assert called["number"] == issued["number"] == "A001"

        got = [next(frames), next(frames)]
        assert [e.type for e in got] == ["ticket.issued", "ticket.called"]
        event = got[1].data
        assert event["ticket"]["number"] == "A001" and event["ticket"]["id"] == issued["id"]
        assert event["window"]["id"] == "1" and event["ticket"]["window"] == "1"
        assert "token" not in event["ticket"]
        assert got[1].seq == event["seq"] == got[0].seq + 1
    finally:
        stream.close()
        kiosk.close()
        buttons.close()


def test_reconnecting_display_gets_exactly_the_missed_events_then_live_ones(real_server):
    kiosk, buttons = real_server.client(KIOSK), real_server.client(BUTTONS)
    stream = EventStream(real_server.url, timeout=5, reconnect=False)
    try:
        stream.connect()
        it = stream.events()
        for _ in range(3):
            issue(kiosk, "company-name")
        before = [next(it) for _ in range(3)]
        stream.close()  # the display loses its link

        for _ in range(2):
            issue(kiosk, "company-name")
        buttons.call_next("1")
        buttons.call_next("2")
        assert stream.last_id == before[-1].seq

        stream.connect()  # sends Last-Event-ID: <the last seq it saw>
        it = stream.events()
        missed = [next(it) for _ in range(4)]
        buttons.call_next("1")  # finishes A001, calls A003
        live = [next(it) for _ in range(2)]

        seqs = [e.seq for e in before + missed + live]
        assert seqs == list(range(seqs[0], seqs[0] + 9))  # nothing skipped or repeated
        assert [e.type for e in missed] == ["ticket.issued"] * 2 + ["ticket.called"] * 2
        assert [(e.data["ticket"]["number"], e.data["window"]["id"]) for e in missed[2:]] == [
            ("A001", "1"), ("A002", "2")]
        assert [e.type for e in live] == ["ticket.finished", "ticket.called"]
        assert live[1].data["ticket"]["number"] == "A003"
        assert kiosk.hall()["last_event"] == seqs[-1]
    finally:
        stream.close()
        kiosk.close()
        buttons.close()


def test_two_hub_processes_on_one_file_number_and_call_correctly(start_server, store_url):
    hubs = [start_server(store_url), start_server(store_url)]  # one database, different ports
    services = ["company-name", "company-setup"]
    issued: list[tuple[str, dict]] = []  # (service, ticket) of every 201

    def kiosk(server, k):
        client = server.client(KIOSK)
        try:
            for i in range(25):
                service = services[(k + i) % 2]
                status, body = issue(client, service)
                assert status == 201
                issued.append((service, body["ticket"]))
        finally:
            client.close()

    errors = run_threads(kiosk, [(hub, k) for hub in hubs for k in range(4)])
    assert not errors, errors
    assert len(issued) == 2 * 4 * 25
    assert len({t["number"] for _, t in issued}) == len(issued)
    assert len({t["id"] for _, t in issued}) == len(issued)
    per_service = defaultdict(list)
    for service, ticket in issued:
        assert ticket["service"] == service
        per_service[service].append(ticket["number"])
    for service, numbers in per_service.items():
        n = len(numbers)
        assert sorted(numbers) == [f"{PREFIX[service]}{i:03d}" for i in range(1, n + 1)]
        for hub in hubs:  # both processes report the same counts
            client = hub.client()
            try:
                row = next(s for s in client.hall()["services"] if s["id"] == service)
            finally:
                client.close()
            assert row["issued_today"] == row["waiting"] == n

    # Windows 1 and 3 press "call next" on one hub, 2 and 4 on the other, all at once; every
    # window serves company-name, 1-3 also company-setup.
    called: list[tuple[str, str]] = []  # (window, ticket id)

    def window(server, window_id):
        client = server.client(BUTTONS)
        try:
            while (ticket := client.call_next(window_id)["ticket"]) is not None:
                assert ticket["window"] == window_id and ticket["status"] == "called"
                called.append((window_id, ticket["id"]))
                # A clerk's pace (still far quicker than a clerk), not a loop's: back to back,
                # or 2 ms apart, one process's two windows kept SQLite's write lock from the
                # other's sleeping busy handler for the whole run (seen in CI), and the test
                # would prove less.
                time.sleep(0.02)
        finally:
            client.close()

    errors = run_threads(window, [(hubs[0], "1"), (hubs[1], "2"), (hubs[0], "3"), (hubs[1], "4")])
    assert not errors, errors
    ids = [ticket_id for _, ticket_id in called]
    assert len(ids) == len(set(ids)), "a ticket was handed to two windows"
    assert set(ids) == {t["id"] for _, t in issued}
    windows = {w for w, _ in called}
    assert windows & {"1", "3"} and windows & {"2", "4"}  # both processes really called


def test_acknowledged_tickets_survive_kill_9(start_server, store_url):
    real_server = start_server(store_url)
    services = ["company-name", "company-setup", "individual-business"]
    acked: list[tuple[str, str, str]] = []  # (service, number, token) of every 201
    unreachable = []

    def kiosk(k):
        client = real_server.client(KIOSK)
        try:
            for i in range(10_000):
                try:
                    status, body = issue(client, services[(k + i) % 3])
                except HubError as exc:
                    if exc.status == 0:  # the hub is gone: this kiosk stops
                        unreachable.append(k)
                        return
                    raise
                assert status == 201
                t = body["ticket"]
                acked.append((t["service"], t["number"], t["token"]))
        finally:
            client.close()

    threads = [threading.Thread(target=kiosk, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    real_server.kill()  # SIGKILL while the kiosks keep issuing
    for t in threads:
        t.join(30)
    assert sorted(unreachable) == [0, 1, 2, 3], "every kiosk saw the hub go away"
    assert len(acked) >= 60
    assert len({number for _, number, _ in acked}) == len(acked)

    real_server.start()  # the same database
    client = real_server.client(KIOSK)
    try:
        for service, number, token in acked:
            ticket = client.ticket(token)["ticket"]
            assert (ticket["number"], ticket["service"], ticket["status"]) == (number, service, "waiting")
        issued_today = {s["id"]: s["issued_today"] for s in client.hall()["services"]}
        for service in services:
            numbers = [int(n[1:]) for s, n, _ in acked if s == service]
            assert max(numbers) <= issued_today[service]
            status, body = issue(client, service)
            # Numbering goes on after the last ticket committed, reusing none.
            assert status == 201
            assert body["ticket"]["number"] == f"{PREFIX[service]}{issued_today[service] + 1:03d}"
    finally:
        client.close()


def test_demo_tokens_stay_on_loopback_unless_allowed(make_server, hub_db):
    refused = make_server(host="0.0.0.0")
    assert refused.run_to_exit() != 0
    said = refused.log_text()
    assert "demo tokens" in said and "--allow-demo-tokens" in said
    assert not hub_db.exists()  # refused before touching anything

    server = make_server(host="0.0.0.0", extra_args=["--allow-demo-tokens"]).start()
    client = server.client()
    try:
        assert client.health()["status"] == "ok"
    finally:
        client.close()
    log = server.log_text()
    assert "WARNING" in log and "PUBLIC demo tokens" in log


# -- serve --workers 2 -----------------------------------------------------------------------------

def children_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def is_writer(pid: int) -> bool:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return b"--writer\0" in f.read()


def workers_of(pid: int) -> list[int]:
    """The worker processes of `serve --workers`, without its writer process."""
    return [p for p in children_of(pid) if not is_writer(p)]


def writer_of(pid: int) -> int:
    """The writer process of `serve --workers` on SQLite (server/write_service.py)."""
    [writer] = [p for p in children_of(pid) if is_writer(p)]
    return writer


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start_workers(start_server, n: int = 2):
    """`serve --workers n` once every worker listens: /api/health answers as soon as the first
    does, and until the others do the kernel hands every connection to it."""
    server = start_server(extra_args=["--workers", str(n)])
    deadline = time.monotonic() + 20
    while len(re.findall(rf"hallcall hub serving .*? \(worker \d+ of {n},", server.log_text())) < n:
        assert time.monotonic() < deadline, server.log_text()
        time.sleep(0.05)
    return server


def served(log: str, request: str) -> set[str]:
    """Which workers' access lines show `request` (e.g. "POST /api/tickets 201")."""
    return set(re.findall(r"\[worker (\d+)/2\] hallcall\.access: " + re.escape(request), log))


def test_two_workers_share_the_port_number_and_call_as_one_hub_and_stop_together(start_server,
                                                                                  hub_db):
    server = start_workers(start_server)
    pids = workers_of(server.proc.pid)
    assert len(pids) == 2
    writer = writer_of(server.proc.pid)  # the workers' issuing and calling are written there
    display = EventStream(server.url, timeout=10, reconnect=False)
    display.connect()  # on one of the two workers, whichever the kernel chose
    frames = display.events()
    try:
        # Sixteen kiosks at once, each on its own kept-alive connection: the kernel spreads
        # the connections over the workers.
        services = ["company-name", "company-setup"]
        issued: list[tuple[str, dict]] = []

        def kiosk(k):
            client = server.client(KIOSK)
            try:
                for i in range(5):
                    status, body = issue(client, services[(k + i) % 2])
                    assert status == 201
                    issued.append((services[(k + i) % 2], body["ticket"]))
            finally:
                client.close()

        assert not run_threads(kiosk, [(k,) for k in range(16)])
        assert served(server.log_text(), "POST /api/tickets 201") == {"1", "2"}
        per_service = defaultdict(list)
        for service, ticket in issued:
            per_service[service].append(ticket["number"])
        for service, numbers in per_service.items():
            assert sorted(numbers) == [f"{PREFIX[service]}{i:03d}" for i in range(1, len(numbers) + 1)]

        # Windows call, each press on a new connection, until both workers have called.
        called = []
        for i in range(60):
            client = server.client(BUTTONS)
            try:
                called.append(client.call_next(str(1 + i % 4))["ticket"]["id"])
            finally:
                client.close()
            if i >= 3 and served(server.log_text(), "POST /api/windows/") == {"1", "2"}:
                break
        assert served(server.log_text(), "POST /api/windows/") == {"1", "2"}
        # The display sees every call, whichever worker it was made on.
        missing = set(called)
        while missing:
            event = next(frames)  # the stream's 10 s timeout fails the test if one never comes
            if event.type == "ticket.called":
                missing.discard(event.data["ticket"]["id"])
    finally:
        display.close()

    assert server.stop() == 0  # SIGTERM: both workers stop cleanly, then the writer
    assert not any(alive(pid) for pid in [*pids, writer])
    log = server.log_text()
    assert f"writing through the writer process (pid {writer})" in log
    with sqlite3.connect(hub_db) as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == len(issued) == 80


def test_a_worker_that_dies_stops_the_hub_with_a_failure(start_server):
    server = start_workers(start_server)
    proc = server.proc
    first, second = workers_of(proc.pid)
    os.kill(second, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() not in (None, 0)  # for systemd to restart the hub whole
    assert not alive(first)
    assert f"worker 2 (pid {second}) ended" in server.log_text()


def test_when_the_writer_process_dies_writes_answer_503_and_the_hub_stops_for_a_restart(
        start_server, hub_db):
    server = start_workers(start_server)
    proc = server.proc
    workers, writer = workers_of(proc.pid), writer_of(proc.pid)
    kiosk = server.client(KIOSK)
    try:
        assert issue(kiosk, "company-name")[0] == 201
        os.kill(writer, signal.SIGKILL)
        # Until the supervisor has stopped the workers, a kiosk is told to try again (the
        # ticket is not issued), never answered with a ticket that was not written.
        try:
            status, body = issue(kiosk, "company-name")
            assert status == 201  # written before the writer died: then it is in the file
        except HubError as exc:
            assert exc.status in (0, 503), exc
    finally:
        kiosk.close()
    deadline = time.monotonic() + 20
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() not in (None, 0)  # for systemd to restart the hub whole
    assert not any(alive(pid) for pid in workers)
    assert f"the writer process (pid {writer}) ended" in server.log_text()
    with sqlite3.connect(hub_db) as db:
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] >= 1


def test_systemd_stopping_every_process_at_once_loses_no_answered_ticket(start_server, hub_db):
    # systemd's SIGTERM reaches every process of the service at once (KillMode=control-group):
    # the writer process must go on writing until the workers have answered their last kiosks.
    server = start_workers(start_server)
    proc = server.proc
    everyone = [proc.pid, *children_of(proc.pid)]
    answered: list[str] = []
    refused: list[HubError] = []
    stop = threading.Event()

    def kiosk() -> None:
        client = server.client(KIOSK)
        try:
            while not stop.is_set():
                try:
                    status, body = issue(client, "company-name")
                except HubError as exc:
                    if exc.status != 0:  # a 503, not the hub gone away
                        refused.append(exc)
                    return
                assert status == 201
                answered.append(body["ticket"]["id"])
        finally:
            client.close()

    threads = [threading.Thread(target=kiosk) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    for pid in everyone:
        os.kill(pid, signal.SIGTERM)
    assert proc.wait(20) == 0, server.log_text()
    stop.set()
    for t in threads:
        t.join(10)
    assert answered and not refused, refused[:3]
    with sqlite3.connect(hub_db) as db:
        kept = {row[0] for row in db.execute("SELECT id FROM tickets")}
    assert set(answered) <= kept
