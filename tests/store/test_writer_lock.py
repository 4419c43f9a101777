"""The writer lock (server/store/writer_lock.py): hub processes sharing a file queue for writing
on a flock of `<database>-writer`. Here another process holds it, as another worker in its
write would: this process's write waits for it, and goes through once it is let go."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timezone

from helpers import small_hall

from hallcall.server.engine.model import Event, Outcome
from hallcall.server.store import Store
from hallcall.server.store.writer_lock import SUFFIX

HALL = small_hall()

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()  # until told to let go
"""


def encode(_config, seq, e) -> str:
    return json.dumps({"seq": seq, "type": e.type, **e.data})


def test_a_write_waits_for_another_process_holding_the_lock_then_goes_through(tmp_path):
    db = tmp_path / "hall.db"
    store = Store(f"sqlite:///{db}", encode)
    store.upgrade()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db) + SUFFIX],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    done = threading.Event()

    def write():
        with store.write(HALL) as tx:
            tx.apply(Outcome(events=[Event("test.put", datetime.now(timezone.utc), data={})]),
                     "2026-12-02")
        done.set()

    try:
        assert holder.stdout.readline() == "held\n"
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert not done.wait(0.5), "wrote while another process held the writer lock"
        with store.read(HALL) as tx:
            assert tx.last_seq() == 0
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert done.wait(10), "the write did not go through once the lock was let go"
        writer.join(5)
        with store.read(HALL) as tx:
            assert [e.type for e in tx.events_after(0)] == ["test.put"]
    finally:
        holder.kill()
        holder.communicate()  # and its pipes closed
        store.close()
