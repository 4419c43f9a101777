"""`hallcall serve --workers N`: the hub as N worker processes on one port.

One hub process is bound by Python's interpreter lock to about one core. With `--workers N` the
serve command (after its migration child, as always) starts N processes, each a whole
`hallcall serve` with the same arguments and a hidden `--worker K`, listening on the same address
with SO_REUSEPORT: the kernel spreads new connections over them, and a kept-alive connection
stays with its worker. They share the database as any hub processes sharing a file do: writers
queue on the writer lock beside it (server/store/writer_lock.py), numbering and calling stay
exact, and each worker's follower picks up the others' events at once (server/nudge.py).

The serve process then only supervises, and so first replaces itself (exec, the same pid, which
systemd watches) with a fresh interpreter running this module alone: ~15 MB, not the ~55 MB the
checks and the migration had loaded. SIGTERM or Ctrl-C is passed on to every worker, and it exits
once they have stopped, with status 0 when they stopped cleanly. A worker that dies while it was
not asked to stop makes it stop the others and exit non-zero, so that systemd's Restart brings
the hub back whole. Only worker 1 drives the Pi's own call keys (`--buttons`).
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

log = logging.getLogger(__name__)

MAX_WORKERS = 16
STOP_WAIT_S = 12.0  # before the workers still running are killed (systemd's TimeoutStopSec: 15)
PR_SET_PDEATHSIG = 1


def worker_count(value: str) -> int:
    """argparse's type of --workers: 1 to MAX_WORKERS."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_WORKERS}, not {value!r}")
    return number


def probe_port(host: str, port: int) -> int:
    """Take the address for a moment as a single hub would, without SO_REUSEPORT, so a port
    already in use (by anything, another hub with workers too) is refused here in the one line
    a single hub's refusal has, rather than shared with it. The port (the kernel's choice for 0)."""
    from .wsgi import CannotListen

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as cheroot: TIME_WAIT is no user
            sock.bind(address)
            return sock.getsockname()[1]
    except OSError as exc:
        raise CannotListen(host, port, exc) from None


def worker_command(args, port: int, k: int | None, writer_socket: str | None = None) -> list[str]:
    """`python -m hallcall serve …` for worker k (None: the writer process, server/
    write_service.py): serve's own arguments, the port probed, and the writer's socket if the
    workers write through one."""
    cmd = [sys.executable, "-m", "hallcall"]
    if args.verbose:
        cmd.append("--verbose")
    cmd += ["serve", "--host", args.host, "--port", str(port), "--threads", str(args.threads),
            "--workers", str(args.workers), *(["--writer"] if k is None else ["--worker", str(k)]),
            "--parent", str(os.getpid())]
    if args.db:
        cmd += ["--db", args.db]
    if args.config:
        cmd += ["--config", args.config]
    if args.secure_cookie:
        cmd.append("--secure-cookie")
    if args.allow_demo_tokens:
        cmd.append("--allow-demo-tokens")
    if args.buttons and k == 1:  # the Pi's keys are read by one process
        cmd.append("--buttons")
        if args.pin_factory:
            cmd += ["--pin-factory", args.pin_factory]
    if writer_socket is not None:
        cmd += ["--writer-socket", writer_socket]
    return cmd


def supervise(args) -> None:
    """Become the supervisor of args.workers workers of `serve` (never returns): the port is
    probed here (CannotListen), then this process execs `python -m hallcall.server.workers`.
    On SQLite the workers' issuing and window actions go to one writer process, started first
    (server/write_service.py), over a socket in a folder of this user's alone."""
    from .store.db import is_postgresql

    port = probe_port(args.host, args.port)
    handler = next(iter(logging.getLogger().handlers), None)
    writer, folder, socket_path = None, None, None
    if not is_postgresql(args.db or ""):
        folder = tempfile.mkdtemp(prefix="hallcall-writer-")  # 0700
        socket_path = os.path.join(folder, "socket")
        writer = worker_command(args, port, None, socket_path)
    commands = [worker_command(args, port, k, socket_path) for k in range(1, args.workers + 1)]
    plan = {"commands": commands, "writer": writer, "folder": folder, "port": port,
            "level": logging.getLogger().getEffectiveLevel(),
            "format": getattr(getattr(handler, "formatter", None), "_fmt", None)}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", __name__, json.dumps(plan)])


def main(argv: list[str]) -> int:
    """The supervisor, as `supervise` execs it: argv[0] is its plan (JSON)."""
    plan = json.loads(argv[0])
    logging.basicConfig(level=plan["level"], format=plan["format"] or logging.BASIC_FORMAT)
    try:
        return run_workers(plan["commands"], plan["port"], plan.get("writer"))
    except Exception as exc:  # noqa: BLE001 - one line, as every hallcall command fails
        print(f"hallcall serve: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if plan.get("folder"):
            shutil.rmtree(plan["folder"], ignore_errors=True)


def run_workers(commands: list[list[str]], port: int, writer: list[str] | None = None) -> int:
    """Run one worker per command (and first the writer process, given its command) until they
    stop; the exit status. The writer is asked to stop once every worker has: their last
    requests still write through it."""
    EXIT_RUNTIME = 1  # hallcall.command's, not imported: this process stays small
    procs: list[subprocess.Popen] = []  # the workers, in order
    names: dict[int, str] = {}  # pid: how the log names it
    writer_proc: list[subprocess.Popen] = []
    stopping: list[int] = []  # the signal that asked us to stop, once one did

    signalled: set[int] = set()  # each process is asked once (a second SIGTERM would kill it
    # outright while it stops)

    def signal_all(signum: int, which: list[subprocess.Popen]) -> None:
        for proc in which:
            if proc.poll() is None and proc.pid not in signalled:
                signalled.add(proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signum)

    def stop_all(signum: int) -> None:
        signal_all(signum, procs)
        if not any(proc.poll() is None for proc in procs):
            signal_all(signum, writer_proc)

    def on_signal(signum, _frame):
        if not stopping:
            stopping.append(signum)
            stop_all(signum)

    def start(command: list[str], name: str) -> subprocess.Popen:
        # In a process group of its own: Ctrl-C at a terminal reaches this process only,
        # which passes it on once.
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, process_group=0)
        names[proc.pid] = name
        return proc

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        if writer is not None and not stopping:
            writer_proc.append(start(writer, "the writer process"))
        for k, command in enumerate(commands, 1):
            if stopping:
                break
            procs.append(start(command, f"worker {k}"))
        log.info("hallcall hub: %d worker processes on port %d (pids %s)%s", len(procs), port,
                 ", ".join(str(p.pid) for p in procs),
                 f", writing through the writer process (pid {writer_proc[0].pid})"
                 if writer_proc else "")
        everyone = writer_proc + procs
        status, deadline, ended = 0, None, set()
        while len(ended) < len(everyone):
            for proc in everyone:
                code = proc.poll()
                if code is None or proc.pid in ended:
                    continue
                ended.add(proc.pid)
                if stopping and code == -stopping[0]:
                    # Asked to stop, it stopped: the signal came again (systemd's, besides
                    # ours) while its interpreter was exiting, with Python's handler gone.
                    code = 0
                if code != 0 and status == 0:
                    status = code if code > 0 else EXIT_RUNTIME  # a signal's death: -signum
                if code != 0 and stopping:
                    log.error("%s (pid %d) ended with status %d while stopping",
                              names[proc.pid], proc.pid, code)
                if not stopping:
                    # A process asked to stop by someone else (exit 0) stops the hub with it;
                    # one that failed (not 0) stops it failed, for systemd to restart whole.
                    if code != 0:
                        log.error("%s (pid %d) ended with status %d; stopping the others",
                                  names[proc.pid], proc.pid, code)
                    stopping.append(signal.SIGTERM)
                if stopping:
                    stop_all(stopping[0])  # once the workers are gone, the writer's turn
            if stopping and deadline is None:
                deadline = time.monotonic() + STOP_WAIT_S
            if deadline is not None and time.monotonic() > deadline:
                for proc in everyone:
                    if proc.poll() is None:
                        log.error("%s (pid %d) did not stop within %.0f s; killed",
                                  names[proc.pid], proc.pid, STOP_WAIT_S)
                        proc.kill()
                        proc.wait()
                        status = status or EXIT_RUNTIME
                deadline = time.monotonic() + STOP_WAIT_S
            time.sleep(0.05)
        return status
    finally:
        for proc in writer_proc + procs:  # this process failing: no worker is left behind
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)


def die_with_parent(parent: int) -> None:
    """In a worker: be sent SIGTERM when the supervising process dies (kill -9 of it at a
    terminal), so no worker is left holding the port; Linux only, else nothing."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def name_worker_in_log(k: int | None, workers: int) -> None:
    """Every log line of worker k says so (`INFO [worker 2/4] hallcall.server…`); k None: the
    writer process (`[writer]`)."""
    for handler in logging.getLogger().handlers:
        fmt = getattr(handler.formatter, "_fmt", None) or "%(levelname)s %(name)s: %(message)s"
        tag = "[writer]" if k is None else f"[worker {k}/{workers}]"
        fmt = (fmt.replace("%(levelname)s", f"%(levelname)s {tag}", 1) if "%(levelname)s" in fmt
               else f"{tag} {fmt}")
        handler.setFormatter(logging.Formatter(fmt))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
