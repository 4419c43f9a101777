"""The real hub as a process: `python -m hallcall serve` on a free port, its log in a file.
Used by the real-server, browser and whole-hall tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from hallcall.demo.processes import stop_process
from hallcall.hallclient import HubClient, HubError

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealServer:
    """One hub process. `start()` returns once /api/health answers; the log is kept in a file."""

    def __init__(self, db: Path, log: Path, host: str = "127.0.0.1", extra_args=()):
        self.db, self.log, self.host, self.extra_args = db, log, host, tuple(extra_args)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = None) -> HubClient:
        return HubClient(self.url, token)

    def _spawn(self, port: int | None = None) -> subprocess.Popen:
        self.port = port or free_port()
        cmd = [sys.executable, "-m", "hallcall", "serve", "--db", str(self.db),
               "--host", self.host, "--port", str(self.port), *self.extra_args]
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                    env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def run_to_exit(self, timeout: float = 30.0) -> int:
        """Run `serve` expecting it to refuse: its exit code (the log holds what it said)."""
        proc = self._spawn()
        try:
            return proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def start(self, port: int | None = None) -> RealServer:
        """`port`: listen there (e.g. `self.port` after `kill()`, so clients reconnect to the
        address they know); a free one by default."""
        assert self.proc is None, "already running"
        self.proc = self._spawn(port)
        probe = self.client()
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    self.proc = None
                    raise RuntimeError(f"hub exited with {code} before answering:\n{self.log_text()}")
                try:
                    probe.health()
                    return self
                except HubError as err:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(f"hub did not answer /api/health:\n{self.log_text()}") from err
                    time.sleep(0.05)
        finally:
            probe.close()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (a clean shutdown), then SIGKILL if it hangs. Returns the exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        return stop_process(proc, timeout)

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.kill()
        proc.wait()

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""
