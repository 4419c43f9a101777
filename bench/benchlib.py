"""What the device benchmarks share: a hub in its own process, this process's memory, and
latency figures as p50 / p99 / max. Imported by path-independent name: the benchmarks run as
`python bench/NAME.py`, which puts this folder first on sys.path (hallcall itself is installed)."""
from __future__ import annotations

import ctypes
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hallcall.hallclient import HubClient, HubError

REPO = Path(__file__).resolve().parents[1]


# `python -m hallcall` that first asks the kernel to kill it when the benchmark dies (even by
# kill -9), so no hub outlives a run. Done in the child itself: a preexec_fn is unsafe in a
# benchmark full of threads.
HUB_MAIN = ("import ctypes, runpy, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
            "sys.argv[0] = 'hallcall'; runpy.run_module('hallcall', run_name='__main__', alter_sys=True)")


def children(pid: int) -> list[int]:
    """The child processes of `pid` (a hub's workers), as the kernel lists them."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def is_writer(pid: int) -> bool:
    """Whether `pid` is the writer process of `serve --workers N` (server/write_service.py)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"--writer\0" in f.read()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class HubProcess:
    """The hub (`python -m hallcall serve`) as a child process on loopback, which can be killed
    -9 and started again on the same port and database file. Start it from a thread that lives
    as long as it should (the main one): the kernel's parent-death signal follows the thread."""

    def __init__(self, db: str, config: str | None = None, log: str | None = None,
                 extra_args=()):
        self.db, self.config, self.log, self.extra_args = db, config, log, tuple(extra_args)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, port: int | None = None, timeout: float = 30.0) -> HubProcess:
        """Start it (on `port`, or a free one) and return once /api/health answers; raises
        RuntimeError if it does not."""
        assert self.proc is None, "already running"
        self.port = port or free_port()
        cmd = [sys.executable, "-c", HUB_MAIN, "serve", "--db", self.db, "--host", "127.0.0.1",
               "--port", str(self.port), *self.extra_args]
        if self.config:
            cmd += ["--config", self.config]
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:  # the child keeps its own copy of the log's descriptor
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        finally:
            if self.log:
                out.close()
        probe = HubClient(self.url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    probe.health()
                    return self
                except HubError as err:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        self.kill()
                        see = f"; see {self.log}" if self.log else ""
                        raise RuntimeError("the hub did not start" + see) from err
                    time.sleep(0.05)
        finally:
            probe.close()

    def pids(self) -> list[int]:
        """The hub's processes: the one started and, for `serve --workers N`, its children."""
        if self.proc is None:
            return []
        return [self.proc.pid] + children(self.proc.pid)

    def kill(self) -> None:
        """kill -9: no shutdown code runs; in every process of the hub at once, as a power cut
        (the supervisor first, so that it does not stop the others itself)."""
        pids = self.pids()
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        for pid in pids[1:]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc is not None:
            proc.wait()
        for pid in pids[1:]:  # not ours to wait for: gone once dead (a zombie, or no more)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, as systemd stops it; SIGKILL if it hangs."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_hub(db: str) -> tuple[subprocess.Popen, str]:
    """The hub in its own process, so the RSS measured here is the kiosk's alone."""
    hub = HubProcess(db)
    try:
        hub.start()
    except RuntimeError as exc:
        sys.exit(str(exc))
    return hub.proc, hub.url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """In a child (preexec_fn, or first thing in a worker process): the kernel kills it when the
    benchmark dies, even by kill -9, so no hub or client outlives a run."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def process_memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB, and its open file descriptors."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def pct(values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {values[-1] * 1000:.1f} ms")


def step_until(app, predicate, timeout: float = 8.0) -> None:
    """Run a pygame app's frames until `predicate()` holds (a bench's own loop, not a test's)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {app.__class__.__name__} did not get there in {timeout} s")
        app.step()
        time.sleep(0.005)
    app.step()


def open_for_work(url: str, windows: list[dict]) -> None:
    """Open each of these windows (snapshot entries) that is not open: a closed window stays
    closed for the day until an administrator or supervisor opens it; a paused one its own keys
    resume. Uses the demo hall's public tokens."""
    buttons, admin = HubClient(url, "demo-buttons"), HubClient(url, "demo-admin")
    try:
        for w in windows:
            if w["status"] != "open":
                opener, action = (admin, "open") if w["status"] == "closed" else (buttons, "resume")
                opener.window(w["id"], action)
    finally:
        buttons.close()
        admin.close()


def machine_line(folder: str | Path) -> str:
    """How fast this machine is at what the hub spends its time on, to print beside figures:
    the same benchmark differs some fourfold between machines that both call themselves 2 cores
    (measured: 10 million Python additions in 0.5 s on one, 2.0 s on another). The Python speed
    of one core, and the latency of an fsync in `folder` (where the benchmark's database is)."""
    started = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i
    loop_s = (time.perf_counter() - started) * 5  # as for 10 million
    path = Path(folder) / "fsync-probe"
    syncs = []
    with open(path, "wb") as f:
        for _ in range(50):
            f.write(b"x" * 4096)
            f.flush()
            t = time.perf_counter()
            os.fsync(f.fileno())
            syncs.append((time.perf_counter() - t) * 1000)
    path.unlink()
    return (f"this machine: 10M Python additions {loop_s:.2f} s on one core; fsync of 4 KiB in the "
            f"database's folder p50 {pct(syncs, 50):.2f} ms, p99 {pct(syncs, 99):.2f} ms")

