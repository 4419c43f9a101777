"""Group commit (server/store/group_commit.py): writers that queue while another writes share its
commit, and each still answers only once its own change is durable. On a real SQLite file (and on
PostgreSQL, `store_url`); commits are counted with SQLAlchemy's commit event."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from disk_full_support import small_disk  # noqa: F401  (a fixture)
from helpers import small_hall
from sqlalchemy import event

from hallcall.server.engine.model import DomainError, Event, Outcome
from hallcall.server.hub import Hub
from hallcall.server.store import Store, group_commit
from hallcall.server.store.errors import StorageUnavailable

HALL = small_hall()
DAY = "2026-12-02"


def encode(_config, seq, e) -> str:
    return json.dumps({"seq": seq, "type": e.type, **e.data})


def open_store(url: str) -> Store:
    store = Store(url, encode)
    store.upgrade()
    return store


def count_commits(store: Store, slow_s: float = 0.0) -> list[int]:
    """[write commits so far]; slow_s: each commit first takes that long, as a slow disk's would."""
    commits = [0]

    @event.listens_for(store.engine, "commit")
    def _commit(conn):
        if conn.get_execution_options().get("write"):  # a read transaction commits too
            commits[0] += 1
            if slow_s:
                time.sleep(slow_s)

    return commits


def put(tx, n: int) -> None:
    tx.apply(Outcome(events=[Event("test.put", datetime.now(timezone.utc), data={"n": n})]), DAY)


def kept(store: Store) -> list[int]:
    with store.read(HALL) as tx:
        return [json.loads(e.data)["n"] for e in tx.events_after(0) if e.type == "test.put"]


@pytest.fixture
def patient(monkeypatch):
    """Groups bounded by their size only: on a busy machine the writers of a test may take
    longer than MAX_HELD_S, and these tests are about who shares a commit, not when."""
    monkeypatch.setattr(group_commit, "MAX_HELD_S", 60.0)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


class Writers:
    """A first writer held inside its transaction until `go()`, while the others given to
    `queue` wait for their turn behind it: they then run in its group."""

    def __init__(self, store: Store, first=lambda tx: put(tx, 0)):
        self.store, self.first = store, first
        self.results: dict[int, object] = {}
        self._inside, self._go = threading.Event(), threading.Event()
        self.threads = [threading.Thread(target=self._first)]
        self.threads[0].start()
        assert self._inside.wait(10)

    def _first(self) -> None:
        self._run(0, lambda tx: (self._inside.set(), self._go.wait(10), self.first(tx)))

    def _run(self, n: int, body, via: str = "write") -> None:
        try:
            if via == "run":
                self.results[n] = self.store.run(HALL, lambda tx: (body(tx), "ok")[1])
                return
            with self.store.write(HALL) as tx:
                body(tx)
            self.results[n] = "ok"
        except Exception as exc:  # noqa: BLE001 - the test reads what each writer got
            self.results[n] = exc

    def queue(self, bodies: dict, via: str = "write") -> None:
        """`via`: the writers queue for their turn each (`write`), or hand their work to the
        store's writer thread (`run`), which waits for the turn for all of them."""
        for n, body in bodies.items():
            t = threading.Thread(target=self._run, args=(n, body, via))
            t.start()
            self.threads.append(t)
        if via == "run":
            wait_for(lambda: self.store._write_lock.waiting == 1
                     and self.store._ops.qsize() == len(bodies) - 1)
        else:
            wait_for(lambda: self.store._write_lock.waiting == len(bodies))

    def go(self) -> dict:
        self._go.set()
        for t in self.threads:
            t.join(10)
            assert not t.is_alive(), "a writer never answered"
        return self.results


def refuse(tx):
    put(tx, 99)
    raise DomainError("refused", "refused on purpose", "故意拒绝", status=409)


@pytest.mark.parametrize("via", ["write", "run"])
def test_queued_writers_share_one_commit_and_a_refused_one_undoes_only_itself(store_url, patient, via):
    store = open_store(store_url)
    try:
        commits = count_commits(store)
        published = []
        store.on_commit = lambda written: published.append([e.seq for e in written])
        writers = Writers(store)
        writers.queue({1: lambda tx: put(tx, 1), 2: refuse, 3: lambda tx: put(tx, 3)}, via)
        results = writers.go()
        assert results[0] == results[1] == results[3] == "ok"
        assert isinstance(results[2], DomainError) and results[2].code == "refused"
        assert commits[0] == 1  # four writers, one commit
        assert sorted(kept(store)) == [0, 1, 3]  # the refused one's event is nowhere
        # The group's events reached the listener once, in sequence order, with no gap.
        assert published == [[1, 2, 3]]
    finally:
        store.close()


@pytest.mark.parametrize("via", ["write", "run"])
def test_a_failed_commit_answers_every_writer_of_the_group_503_and_keeps_nothing(
        small_disk, patient, via):  # noqa: F811
    store = open_store(f"sqlite:///{small_disk.path}/hall.db")
    try:
        with store.write(HALL) as tx:
            put(tx, 0)  # committed before the disk fills
        published = []
        store.on_commit = published.append
        writers = Writers(store)
        writers.queue({1: lambda tx: put(tx, 1), 2: lambda tx: put(tx, 2)}, via)
        small_disk.fill()
        results = writers.go()
        assert all(isinstance(r, StorageUnavailable) for r in results.values()), results
        assert published == []  # nothing of the group was told to anyone
        small_disk.free()
        assert kept(store) == [0]
        with store.write(HALL) as tx:  # and writing works again once there is space
            put(tx, 4)
        assert kept(store) == [0, 4]
    finally:
        small_disk.free()
        store.close()


def test_holding_writers_back_commits_an_open_group_first(db_url):
    """The follower's `locked()` (merging other processes' events) neither deadlocks with a group
    whose members wait for its commit nor runs before that group's events are told."""
    store = open_store(db_url)
    try:
        told = []
        store.on_commit = lambda written: told.extend(e.seq for e in written)
        writers = Writers(store)
        seen_inside = []

        def hold_back():
            with store.locked():
                seen_inside.append(list(told))

        holder = threading.Thread(target=hold_back)
        holder.start()
        wait_for(lambda: store._write_lock.waiting == 1)
        assert writers.go() == {0: "ok"}
        holder.join(10)
        assert not holder.is_alive()
        assert seen_inside == [[1]] and kept(store) == [0]
    finally:
        store.close()


def test_many_kiosks_at_once_get_unique_consecutive_numbers_with_fewer_commits(store_url, patient):
    hub = Hub(HALL, Store(store_url, encode))
    hub.start(follow=False)
    try:
        # A commit that takes 2 ms, as a busy disk's fsync does: writers queue behind it.
        commits = count_commits(hub.store, slow_s=0.002)
        published = []
        inner = hub.store.on_commit
        hub.store.on_commit = lambda written: (published.extend(e.seq for e in written),
                                               inner(written))
        threads, per_thread = 8, 15
        numbers: list[str] = []

        def kiosk(k: int):
            for i in range(per_thread):
                view, _ = hub.issue("a" if (k + i) % 2 else "b", device="k",
                                    idempotency_key=f"{k}-{i}")
                numbers.append(view.ticket.number)

        workers = [threading.Thread(target=kiosk, args=(k,)) for k in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join(60)
        total = threads * per_thread
        assert len(numbers) == total
        for prefix, count in Counter(n[0] for n in numbers).items():
            assert sorted(int(n[1:]) for n in numbers if n[0] == prefix) == list(range(1, count + 1))
        assert commits[0] < total * 0.8, f"{commits[0]} commits for {total} tickets"
        # Every event told once, in sequence order, and as the store holds them.
        assert published == sorted(published) == list(range(published[0], published[-1] + 1))
        with hub.store.read(HALL) as tx:
            assert [e.seq for e in tx.events_after(published[0] - 1, 10_000)] == published
    finally:
        hub.stop()


@pytest.mark.parametrize("via", ["write", "run"])
def test_a_refused_writer_alone_or_first_undoes_only_itself(db_url, patient, via):
    store = open_store(db_url)
    try:
        commits = count_commits(store)
        # Alone in its group: nothing is committed.
        writers = Writers(store, first=refuse)
        assert isinstance(writers.go()[0], DomainError) and commits[0] == 0
        # First of a group (it has no savepoint: its whole transaction goes), the writers
        # behind it start a new one.
        writers = Writers(store, first=refuse)
        writers.queue({1: lambda tx: put(tx, 1), 2: lambda tx: put(tx, 2)}, via)
        results = writers.go()
        assert isinstance(results[0], DomainError) and results[1] == results[2] == "ok"
        assert sorted(kept(store)) == [1, 2] and commits[0] == 1
    finally:
        store.close()


@pytest.mark.parametrize("via", ["write", "run"])
def test_a_group_is_bounded_so_nobody_waits_behind_a_big_one(db_url, patient, monkeypatch, via):
    monkeypatch.setattr(group_commit, "MAX_MEMBERS", 3)
    store = open_store(db_url)
    try:
        commits = count_commits(store)
        writers = Writers(store)
        writers.queue({n: lambda tx, n=n: put(tx, n) for n in range(1, 6)}, via)
        assert set(writers.go().values()) == {"ok"}
        assert commits[0] == 2 and sorted(kept(store)) == [0, 1, 2, 3, 4, 5]
    finally:
        store.close()


@pytest.mark.parametrize("via", ["write", "run"])
def test_closing_the_store_waits_for_the_writes_under_way(db_url, patient, via):
    """A hub that stops while requests still write (a restart for an upgrade): the store's
    close waits for them, and each is kept, instead of the connection being closed under a
    statement (which failed the request and could crash the process in SQLite's C code)."""
    store = open_store(db_url)
    writers = Writers(store)  # the first writer is inside its transaction
    writers.queue({1: lambda tx: put(tx, 1), 2: lambda tx: put(tx, 2)}, via)
    closer = threading.Thread(target=store.close)
    closer.start()
    time.sleep(0.05)
    assert closer.is_alive(), "closed while a writer was inside its transaction"
    assert writers.go() == {0: "ok", 1: "ok", 2: "ok"}
    closer.join(10)
    assert not closer.is_alive()
    again = open_store(db_url)
    try:
        assert kept(again) == [0, 1, 2]
    finally:
        again.close()


def test_a_window_closed_inside_a_group_counts_as_closed_for_its_next_writers(db_url, patient):
    """What a group's writers share (the open windows, for a ticket's estimated wait) is
    forgotten when one of them changes it: the next writer counts the window as closed."""
    from hallcall.server.engine.model import WindowState

    store = open_store(db_url)
    with store.write(HALL) as tx:
        tx.add_windows(HALL.windows)
    seen = {}

    def close_window_1(tx):
        assert tx.open_windows(["1", "2"]) == 2  # read, and kept for the group
        tx.apply(Outcome(windows=[WindowState("1", "closed", None, 0, None)]), DAY)

    writers = Writers(store, first=close_window_1)
    writers.queue({1: lambda tx: seen.setdefault("open", tx.open_windows(["1", "2"]))})
    assert writers.go() == {0: "ok", 1: "ok"}
    assert seen["open"] == 1
    store.close()


def test_a_write_handed_to_the_writer_thread_answers_its_result_even_while_the_store_closes(
        db_url):
    store = open_store(db_url)
    try:
        assert store.run(HALL, lambda tx: (put(tx, 7), "seven")[1]) == "seven"
        with pytest.raises(DomainError):
            store.run(HALL, refuse)
        assert kept(store) == [7]  # the refused one's event is nowhere
    finally:
        store.close()
    # A request still under way while the hub stops is written all the same, as by `write`
    # (a restart for an upgrade refuses no kiosk).
    assert store.run(HALL, lambda tx: (put(tx, 8), "eight")[1]) == "eight"
    again = open_store(db_url)
    try:
        assert kept(again) == [7, 8]
    finally:
        again.close()
