"""The demo's parts as child processes (`python -m hallcall …`), each logging to its own file
and stopped together with SIGTERM, as systemd stops them on a Pi."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from hallcall.hallclient import HubClient, HubError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Children:
    def __init__(self, logs: Path, headless: bool):
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if headless:
            self.env.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen([sys.executable, "-m", "hallcall", *args], stdout=log,
                                    stderr=subprocess.STDOUT, env=self.env)
        self.procs.append((name, proc))
        return proc

    def start_hub(self, db: str, port: int, timeout: float = 30.0) -> str:
        """The hub on loopback; returns its URL once /api/health answers."""
        proc = self.start("hub", "serve", "--db", db, "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        probe = HubClient(url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    probe.health()
                    return url
                except HubError as err:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the hub did not start; see {self.logs / 'hub.log'}") from err
                    time.sleep(0.1)
        finally:
            probe.close()

    def dead(self) -> list[str]:
        """The children that have exited (a demo part that crashed)."""
        return [name for name, proc in self.procs if proc.poll() is not None]

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to each, newest first, so the hub (the first) goes last."""
        for _name, proc in reversed(self.procs):
            stop_process(proc, timeout)


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """SIGTERM (a clean shutdown, as systemd does), then SIGKILL if it hangs; the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
