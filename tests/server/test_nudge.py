"""The nudge (server/nudge.py): a hub process that commits wakes the other hub processes on the
same SQLite file, so their displays get the event at once rather than at their follower's next
look. Two hubs on one file in this process stand for two processes; their followers look only
every 30 s here, so within the test only a nudge can bring one hub's event to the other's bus."""
from __future__ import annotations

import logging
import os
import socket
import time

import pytest

from hallcall.server.hub import Hub
from hallcall.server.nudge import SUFFIX


@pytest.fixture
def slow_followers(monkeypatch):
    monkeypatch.setattr(Hub, "follow_interval_s", 30.0)


def issue(hub: Hub) -> int:
    """A ticket issued through `hub`; the seq of its event."""
    hub.issue("company-name")
    return hub.bus.last_seq


def reaches(hub: Hub, seq: int, within_s: float) -> bool:
    """Whether `hub`'s bus (what its displays are sent) gets to `seq` within `within_s`."""
    deadline = time.monotonic() + within_s
    while hub.bus.last_seq < seq and time.monotonic() < deadline:
        hub.bus.wait_after(hub.bus.last_seq, 0.05)
    return hub.bus.last_seq >= seq


def test_what_one_hub_commits_reaches_the_other_hubs_displays_at_once(make_hub, slow_followers):
    a, b = make_hub(follow=True), make_hub(follow=True)
    seq = issue(a)
    assert reaches(b, seq, 5), "the other hub did not hear of the ticket"
    seq = issue(b)  # and the other way
    assert reaches(a, seq, 5)
    assert [e.seq for e in a.bus.events_after(0)] == [e.seq for e in b.bus.events_after(0)]


def test_without_the_nudge_the_other_hub_hears_only_at_its_next_look(make_hub, slow_followers,
                                                                      monkeypatch):
    a, b = make_hub(follow=True), make_hub(follow=True)
    monkeypatch.setattr(a._nudge, "ring", lambda quiet=(): None)
    silent = issue(a)
    assert not reaches(b, silent, 1.0)  # its next look is 30 s away
    monkeypatch.undo()
    seq = issue(a)
    assert reaches(b, seq, 5)  # the nudge: both tickets at once, in order
    assert [e.seq for e in b.bus.events_after(silent - 1)] == [silent, seq]


def test_a_gone_processs_socket_is_removed_and_the_others_still_woken(make_hub, slow_followers,
                                                                       db_url):
    a, b = make_hub(follow=True), make_hub(follow=True)
    folder = a.store.file.with_name(a.store.file.name + SUFFIX)
    gone = folder / "999999999"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(str(gone))  # closed without removing it: a process killed with -9
    seq = issue(a)
    assert reaches(b, seq, 5)
    assert not gone.exists()
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(h._nudge.path) for h in (a, b))


def test_a_path_too_long_for_a_socket_leaves_the_hub_polling_as_before(make_hub, tmp_path, caplog):
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    url = f"sqlite:///{deep}/hall.db"
    caplog.set_level(logging.WARNING, "hallcall.server.nudge")
    a, b = make_hub(db=url, follow=True), make_hub(db=url, follow=True)  # default 100 ms looks
    said = [r.getMessage() for r in caplog.records if r.name == "hallcall.server.nudge"]
    assert len(said) == 2 and all("longer than a UNIX socket's path" in s for s in said), said
    seq = issue(a)
    assert reaches(b, seq, 5)


def test_a_stopped_hub_takes_its_socket_with_it(make_hub):
    hub = make_hub(follow=True)
    path = hub._nudge.path
    assert os.path.exists(path)
    hub.stop()
    assert not os.path.exists(path)


def test_processes_told_otherwise_are_not_nudged(tmp_path):
    # The writer process hands its events to its workers itself (server/write_service.py).
    from hallcall.server.nudge import Nudge

    database = tmp_path / "hall.db"
    ringer, worker = Nudge(database), Nudge(database)
    try:
        ringer.ring(quiet={os.getpid()})  # both sockets are this process's
        assert not worker.wait(0.3)
        ringer.ring()
        assert worker.wait(2)
    finally:
        ringer.close()
        worker.close()
