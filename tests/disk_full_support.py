"""A real small file system for the disk-full tests: a 4 MB tmpfs mounted for one test (CI runs
as root), filled with a file until the kernel answers ENOSPC, then freed again."""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

SIZE = "4m"


class SmallDisk:
    def __init__(self, path: Path):
        self.path = path
        self.filler = path / "filler"

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Take all the space there is, then give back `leave` bytes (tmpfs counts whole 4 KB
        pages, so a few KB is a page or two for SQLite to grow into before the wall)."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            chunk = 1 << 20
            while chunk:  # halving down to one byte: every last block is taken
                try:
                    os.write(fd, b"\xff" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    chunk //= 2
        finally:
            os.close(fd)
        assert self.free_bytes() == 0
        if leave:
            os.truncate(self.filler, max(0, self.filler.stat().st_size - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path):
    path = tmp_path / "small-disk"
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"the disk-full tests mount a {SIZE} tmpfs, which needs root (CI runs as "
                    f"root): {done.stderr.strip() or done.returncode}")
    try:
        yield SmallDisk(path)
    finally:
        # Lazily if something still holds a file there, so a failed test leaves no mount behind.
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)
