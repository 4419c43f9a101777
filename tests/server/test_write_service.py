"""The writer process of `serve --workers N` (server/write_service.py): a worker's issuing and
window actions are written by another process's store and answered as if written here. Two hubs
on one SQLite file in this process stand for the writer process and a worker (their followers
never look within a test: only what the writer hands over can reach the worker's displays); the
real processes are tests/server/test_real_server.py's."""
from __future__ import annotations

import pickle
import socket
import threading
import time

import pytest

from hallcall.server import timing
from hallcall.server.engine.model import DomainError
from hallcall.server.hub import Hub
from hallcall.server.store.errors import StorageUnavailable
from hallcall.server.write_service import WriterClient, WriterService
from tests.helpers import run_threads


@pytest.fixture
def writer_and_worker(make_hub, tmp_path, monkeypatch):
    """(the writer process's hub, a worker's hub writing through it)."""
    monkeypatch.setattr(Hub, "follow_interval_s", 30.0)
    writer = make_hub(follow=True)
    service = WriterService(writer, str(tmp_path / "writer.sock"))
    worker = make_hub(follow=True)
    worker.writer = WriterClient(service.path, on_events=worker.take_events)
    worker.writer.connect(wait=5)
    yield writer, worker
    worker.writer.close()
    service.close()


def test_tickets_issued_through_the_writer_are_numbered_once_and_reach_the_workers_displays(
        writer_and_worker):
    writer, worker = writer_and_worker
    issued: list[dict] = []

    def kiosk(k: int) -> None:
        for _ in range(10):
            view, created = worker.issue("company-name", device=f"kiosk-{k}",
                                         idempotency_key=f"{k}-{len(issued)}-{time.monotonic()}")
            assert created and view.ticket.status == "waiting"
            issued.append({"number": view.ticket.number, "ahead": view.ahead})

    assert not run_threads(kiosk, [(k,) for k in range(8)])
    numbers = sorted(t["number"] for t in issued)
    assert numbers == [f"A{i:03d}" for i in range(1, 81)]  # none twice, none skipped
    # Each was answered with its place in line, counted when it was written.
    assert sorted(t["ahead"] for t in issued) == list(range(80))
    # The worker's displays have every event, in order, with no read of the worker's own.
    seqs = [e.seq for e in worker.bus.events_after(0)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert sum(e.type == "ticket.issued" for e in worker.bus.events_after(0)) == 80
    assert worker.bus.last_seq == writer.bus.last_seq


def test_a_refusal_reaches_the_worker_as_the_same_error(writer_and_worker):
    _writer, worker = writer_and_worker
    with pytest.raises(DomainError) as unknown:  # refused before writing
        worker.issue("no-such-service", device="kiosk-1")
    assert (unknown.value.status, unknown.value.code) == (404, "not_found")
    assert unknown.value.message_zh == "没有该业务"
    worker.issue("company-name", device="kiosk-1", idempotency_key="k1")
    with pytest.raises(DomainError) as conflict:  # refused by the work, in the writer's group
        worker.issue("company-setup", device="kiosk-1", idempotency_key="k1")
    assert (conflict.value.status, conflict.value.code) == (409, "idempotency_conflict")
    # The replay of the same request is answered with the same ticket, not a second one.
    again, created = worker.issue("company-name", device="kiosk-1", idempotency_key="k1")
    assert not created and again.ticket.number == "A001"


def test_window_actions_go_through_the_writer_and_say_how_long_they_waited(writer_and_worker):
    _writer, worker = writer_and_worker
    worker.act("1", "open")
    view, _ = worker.issue("company-name", device="kiosk-1")
    timing.start()
    called = worker.act("1", "call-next")
    assert called.ticket.number == view.ticket.number and called.ticket.status == "called"
    # Server-Timing's lock, commit and db (SQLite's COMMIT) are the writer's account of it.
    header = timing.header(0.001)
    assert "lock;dur=" in header and "commit;dur=" in header and "db;dur=" in header


def test_storage_errors_cross_whole():
    error = pickle.loads(pickle.dumps(StorageUnavailable("SQLITE_FULL")))
    assert isinstance(error, StorageUnavailable)
    assert (error.status, error.code, error.reason) == (503, "storage_unavailable", "SQLITE_FULL")


def test_writes_waiting_for_a_writer_that_is_gone_answer_503_and_nothing_hangs(tmp_path):
    # A writer that takes requests and never answers, then dies.
    path = str(tmp_path / "stuck.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    client = WriterClient(path)
    client.connect(wait=5)
    failures: list[BaseException] = []

    def kiosk() -> None:
        try:
            client.call("issue", "company-name", "normal", None, "kiosk-1", None)
        except BaseException as exc:  # noqa: BLE001 - what the request would answer
            failures.append(exc)

    threads = [threading.Thread(target=kiosk) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    assert not failures  # all three wait for their answers
    accepted[0].close()  # the writer process dies
    listener.close()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    assert len(failures) == 3 and all(isinstance(f, StorageUnavailable) for f in failures)
    # The next write tries to connect again, and says so when it cannot.
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        client.call("issue", "company-name", "normal", None, "kiosk-1", None)
    assert time.monotonic() - started < 5
    client.close()


def test_a_stopping_worker_writes_its_last_requests_itself(writer_and_worker):
    # Its server drains the requests under way after the link is closed (bootstrap.serve).
    _writer, worker = writer_and_worker
    first, _ = worker.issue("company-name", device="kiosk-1")
    worker.writer.close()
    last, created = worker.issue("company-name", device="kiosk-1")
    assert created and (first.ticket.number, last.ticket.number) == ("A001", "A002")
