"""When the hub checkpoints the WAL (Store.checkpoint_due): in a quiet moment between writes,
and while writes keep coming only after enough of them or long enough, since a checkpoint slows
the commits it overlaps. On a real SQLite file."""
from __future__ import annotations

import time

import pytest
from helpers import small_hall

from hallcall.server.store import Store, repo

HALL = small_hall()


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "hall.db"), lambda _config, _seq, _event: "{}")
    store.upgrade()
    yield store
    store.close()


def write(store, n: int = 1) -> None:
    for i in range(n):
        with store.write(HALL) as tx:
            tx.set_state("test.n", str(i))


def test_right_after_a_write_no_checkpoint_is_due_and_after_a_quiet_moment_one_is(store, monkeypatch):
    monkeypatch.setattr(repo, "CHECKPOINT_QUIET_S", 0.2)
    write(store)
    assert not store.checkpoint_due()
    time.sleep(0.25)
    assert store.checkpoint_due()


def test_writes_that_keep_coming_get_a_checkpoint_after_enough_commits(store, monkeypatch):
    monkeypatch.setattr(repo, "CHECKPOINT_QUIET_S", 60.0)
    monkeypatch.setattr(repo, "CHECKPOINT_AT_MOST_COMMITS", 5)
    write(store, 4)
    assert not store.checkpoint_due()
    write(store)
    assert store.checkpoint_due()
    store.checkpoint()
    assert not store.checkpoint_due()  # counted afresh from the checkpoint


def test_writes_that_keep_coming_get_a_checkpoint_after_long_enough(store, monkeypatch):
    monkeypatch.setattr(repo, "CHECKPOINT_QUIET_S", 60.0)
    monkeypatch.setattr(repo, "CHECKPOINT_AT_MOST_S", 0.3)
    store.checkpoint()
    write(store)
    assert not store.checkpoint_due()
    time.sleep(0.35)
    write(store)
    assert store.checkpoint_due()


def test_the_hubs_follower_checkpoints_once_the_writes_pause(tmp_path, make_hub, monkeypatch):
    """The whole path: a running hub's WAL is copied into the database by its follower once
    nobody writes, without anyone calling checkpoint."""
    import hallcall.server.hub as hub_module

    monkeypatch.setattr(hub_module, "CHECKPOINT_S", 0.1)
    monkeypatch.setattr(repo, "CHECKPOINT_QUIET_S", 0.2)
    db = tmp_path / "hall.db"
    hub = make_hub(db=str(db), follow=True)
    service = next(s.id for s in hub.config.services if not s.retired)
    size = db.stat().st_size
    for _ in range(20):
        hub.issue(service)
    deadline = time.monotonic() + 10
    while db.stat().st_size == size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db.stat().st_size > size, "the tickets never left the WAL for the database"
