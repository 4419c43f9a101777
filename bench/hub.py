"""Benchmark of the hub against the budgets of docs/design.md: issuing, call fan-out to 100 displays, memory.

    python bench/hub.py [--clients 100] [--seconds 20] [--kiosks 5] [--windows 44] [--flat-out]
                        [--workers N]

Starts the real hub (`python -m hallcall serve`, cheroot) on a temporary database file, connects
`--clients` event-stream clients (hallclient.EventStream threads spread over a few worker
processes, so the clients' own parsing does not serialise on one GIL), then for `--seconds` drives
ten times a busy hall's peak: each kiosk issues about one ticket a second (`--flat-out`: as fast
as the hub answers) while every window presses "call next" every few seconds. `--workers N` runs
the hub as `serve --workers N`: its CPU is then the sum over the supervising process, its
workers and (on SQLite) its writer process, and its memory is shown per process.

Times are taken with CLOCK_MONOTONIC, which on Linux is one clock for every process: a call's
latency is the moment a display process read its ticket.called event minus the moment the window
thread sent call-next.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from benchlib import children, is_writer, machine_line, open_for_work  # noqa: E402

from hallcall.hallclient import EventStream, HubClient, HubError  # noqa: E402

KIOSK, BUTTONS = "demo-kiosk", "demo-buttons"
BUDGETS = {"issue_p99": 5.0, "issue_max": 20.0, "call_p99": 20.0, "call_max": 50.0,
           "rss_mb": 60.0, "rss_max_mb": 80.0}


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


T0 = time.monotonic()


def server_timing(headers: dict) -> dict[str, float]:
    """The hub's own account of a request, in seconds: `app` (all of it), `lock` (waiting for
    other writers), `commit` (the durable commit) and `db` (the database's own COMMIT in it),
    from its Server-Timing header."""
    out = {}
    for metric in headers.get("server-timing", "").split(","):
        name, _, params = metric.strip().partition(";")
        if params.strip().startswith("dur="):
            out[name] = float(params.strip()[4:]) / 1000
    return out


def progress(what: str) -> None:
    print(f"[{time.monotonic() - T0:5.1f} s] {what}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process in kB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the displays: event-stream clients in worker processes -------------------------------------

def display_worker(url: str, first: int, count: int, ready, stop, results, nice: int = 0) -> None:
    """`count` EventStream clients in threads; sends back (client, ticket number, receive time)
    of every ticket.called once told to stop."""
    if nice:
        os.nice(nice)  # in a hall the displays are other machines: let the hub have the CPU
    received: list[tuple[int, str, float]] = []
    streams = [EventStream(url, timeout=120, reconnect=False) for _ in range(count)]

    def listen(i: int, stream: EventStream) -> None:
        try:
            stream.connect()
            ready.put(first + i)
            for event in stream.events():
                if event.type == "ticket.called":
                    received.append((first + i, event.data["ticket"]["number"], now()))
        except Exception:  # the hub closed the stream (end of the run)
            pass

    threads = [threading.Thread(target=listen, args=(i, s), daemon=True)
               for i, s in enumerate(streams)]
    for t in threads:
        t.start()
    stop.wait()
    results.put(list(received))
    # The streams end when the hub stops; the daemon threads go with this process.


# -- the hall: kiosks and windows ---------------------------------------------------------------

class Load:
    def __init__(self, url: str, services: list[str], windows: list[str], args):
        self.url, self.services, self.windows, self.args = url, services, windows, args
        self.stop = threading.Event()
        self.issues: list[float] = []  # round trips (s) of the 201s
        self.issues_at_hub: list[dict] = []  # the hub's own account (s), from Server-Timing
        self.calls: dict[str, tuple[float, float]] = {}  # number -> (sent, acknowledged)
        self.empty_calls = 0
        self.errors: list[str] = []

    def kiosk(self, k: int) -> None:
        client = HubClient(self.url, KIOSK)
        rng = random.Random(k)
        interval = 1.0 / self.args.rate
        next_at = now() + rng.uniform(0, interval)
        try:
            while not self.stop.is_set():
                if not self.args.flat_out:
                    delay = next_at - now()
                    if delay > 0 and self.stop.wait(delay):
                        break
                    next_at += interval
                service = rng.choice(self.services)
                t0 = now()
                try:
                    status, _, headers = client.exchange(
                        "POST", "/api/tickets", {"service": service},
                        {"Idempotency-Key": uuid.uuid4().hex})
                except HubError as exc:
                    self.errors.append(f"issue: {exc}")
                    continue
                if status == 201:
                    self.issues.append(now() - t0)
                    self.issues_at_hub.append(server_timing(headers))
        finally:
            client.close()

    def window(self, window_id: str, seed: int) -> None:
        client = HubClient(self.url, BUTTONS)
        rng = random.Random(1000 + seed)
        every = self.args.call_every
        try:
            if self.stop.wait(rng.uniform(0, every)):
                return
            while True:
                t0 = now()
                try:
                    ticket = client.call_next(window_id)["ticket"]
                except HubError as exc:
                    self.errors.append(f"call-next {window_id}: {exc}")
                    ticket = None
                t1 = now()
                if ticket is None:
                    self.empty_calls += 1
                elif ticket["number"] in self.calls:
                    self.errors.append(f"{ticket['number']} called twice")
                else:
                    self.calls[ticket["number"]] = (t0, t1)
                if self.stop.wait(rng.uniform(0.7 * every, 1.3 * every)):
                    return
        finally:
            client.close()

    def run(self, seconds: float) -> float:
        threads = [threading.Thread(target=self.kiosk, args=(k,)) for k in range(self.args.kiosks)]
        threads += [threading.Thread(target=self.window, args=(w, i))
                    for i, w in enumerate(self.windows)]
        start = now()
        for t in threads:
            t.start()
        time.sleep(seconds)
        self.stop.set()
        for t in threads:
            t.join()
        return now() - start


# -- the run ------------------------------------------------------------------------------------

def start_hub(db: Path, port: int, threads: int, log: Path, workers: int = 1) -> subprocess.Popen:
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hallcall", "serve", "--db", str(db),
                                 "--port", str(port), "--threads", str(threads),
                                 "--workers", str(workers)],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    probe = HubClient(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"the hub exited with {proc.returncode}:\n{log.read_text()}")
            try:
                probe.health()
                return proc
            except HubError:
                if time.monotonic() > deadline:
                    proc.kill()
                    sys.exit(f"the hub did not start:\n{log.read_text()}")
                time.sleep(0.05)
    finally:
        probe.close()


def prepare(url: str, backlog: int, window_count: int) -> tuple[list[str], list[str]]:
    """Open every window used, queue `backlog` tickets per service; (services, windows)."""
    kiosk = HubClient(url, KIOSK)
    try:
        hall = kiosk.hall()
        windows = [w["id"] for w in hall["windows"]][:window_count]
        open_for_work(url, [w for w in hall["windows"] if w["id"] in windows])
        # Daily-limited services would start refusing in a long flat-out run.
        services = [s["id"] for s in hall["services"] if s["daily_limit"] is None]
        for service in services:
            for _ in range(backlog):
                kiosk.issue(service)
        return services, windows
    finally:
        kiosk.close()


def row(label: str, values_s: list[float], budget: str) -> str:
    ms = [v * 1000 for v in values_s]
    return (f"  {label:<34}{pct(ms, 50):>9.2f}{pct(ms, 99):>9.2f}{max(ms, default=math.nan):>9.2f}"
            f"   {budget}")


def verdict(value: float, limit: float) -> str:
    return "n/a" if math.isnan(value) else "ok" if value < limit else "OVER"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100, help="event-stream clients (displays)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the load phase")
    parser.add_argument("--kiosks", type=int, default=5)
    parser.add_argument("--windows", type=int, default=44, help="windows calling (the first N)")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="tickets per second per kiosk (1 = ten times a busy hall's peak)")
    parser.add_argument("--flat-out", action="store_true",
                        help="kiosks issue back to back, to measure sustained tickets/s")
    parser.add_argument("--call-every", type=float, default=3.0,
                        help="mean seconds between a window's call-next presses")
    parser.add_argument("--backlog", type=int, default=4, help="tickets queued per service first")
    parser.add_argument("--display-processes", type=int, default=4,
                        help="processes holding the displays (default 4)")
    parser.add_argument("--workers", type=int, default=1,
                        help="the hub's worker processes, `serve --workers N` (default 1)")
    parser.add_argument("--nice-displays", type=int, default=0, metavar="N",
                        help="run the display processes at nice N, as if they were other machines")
    parser.add_argument("--threads", type=int, default=40, help="the hub's worker threads (its default: 40)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hallcall-bench-") as tmp:
        machine = machine_line(tmp)  # before the load, which it would measure instead
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        hub = start_hub(Path(tmp) / "hall.db", port, args.threads, Path(tmp) / "hub.log",
                        args.workers)
        # The hub's processes: the one started and, with --workers, the workers it started.
        hub_pids = [hub.pid] + children(hub.pid)
        writers = [pid for pid in hub_pids[1:] if is_writer(pid)]  # on SQLite, with --workers
        workers = []
        try:
            progress("hub up; opening windows, queueing the backlog")
            services, windows = prepare(url, args.backlog, args.windows)
            progress(f"connecting {args.clients} event-stream clients")

            ctx = mp.get_context("spawn")
            ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
            per = [args.clients // args.display_processes + (i < args.clients % args.display_processes)
                   for i in range(args.display_processes)]
            first = 0
            for count in filter(None, per):
                p = ctx.Process(target=display_worker,
                                args=(url, first, count, ready, stop, results, args.nice_displays))
                p.start()
                workers.append(p)
                first += count
            for _ in range(args.clients):
                ready.get(timeout=60)

            progress(f"load for {args.seconds:g} s")
            load = Load(url, services, windows, args)
            bench_pids = [os.getpid()] + [p.pid for p in workers]
            cpu0, bench0 = sum(map(cpu_seconds, hub_pids)), sum(map(cpu_seconds, bench_pids))
            elapsed = load.run(args.seconds)
            cpu_used = sum(map(cpu_seconds, hub_pids)) - cpu0
            bench_cpu = sum(map(cpu_seconds, bench_pids)) - bench0
            time.sleep(1.0)  # the last calls' events arrive
            memory = {pid: proc_status(pid) for pid in hub_pids}

            progress("collecting the displays' records")
            stop.set()
            received = [r for _ in workers for r in results.get(timeout=60)]
            for p in workers:
                p.join(10)
        finally:
            progress("stopping")
            for p in workers:
                if p.is_alive():
                    p.kill()
                    p.join()
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(10)
            except subprocess.TimeoutExpired:
                hub.kill()
                hub.wait()
            progress("stopped")

    per_delivery: list[float] = []
    slowest: dict[str, float] = {}
    reached: dict[str, int] = {}
    for _client, number, t in received:
        if number in load.calls:
            latency = t - load.calls[number][0]
            per_delivery.append(latency)
            slowest[number] = max(slowest.get(number, 0.0), latency)
            reached[number] = reached.get(number, 0) + 1
    expected = len(load.calls) * args.clients
    call_rtt = [ack - sent for sent, ack in load.calls.values()]

    mode = "flat out" if args.flat_out else f"{args.rate:g} ticket/s each"
    print(f"hallcall hub benchmark: {args.clients} event-stream clients in {len(workers)} "
          f"processes, {args.kiosks} kiosks ({mode}), {len(windows)} windows calling every "
          f"~{args.call_every:g} s, {elapsed:.1f} s, hub with {args.threads} threads"
          f"{f' in each of {args.workers} workers' if args.workers > 1 else ''}, "
          f"{os.cpu_count()} cores")
    print(f"  {machine}")
    print(f"  {'':<34}{'p50':>9}{'p99':>9}{'max':>9}   budget (docs/design.md)")
    at_hub = [t["app"] for t in load.issues_at_hub if "app" in t]
    print(row("issue at the hub, ms", at_hub,
              f"p99 < 5, max < 20: {verdict(pct(at_hub, 99) * 1000, BUDGETS['issue_p99'])}"
              f"/{verdict(max(at_hub, default=math.nan) * 1000, BUDGETS['issue_max'])}"))
    print(row("  of which waiting for the lock", [t.get("lock", 0) for t in load.issues_at_hub],
              "(behind other writers)"))
    print(row("  of which the durable commit", [t.get("commit", 0) for t in load.issues_at_hub],
              "(its group's, and the answer back)"))
    print(row("    of which SQLite's COMMIT", [t.get("db", 0) for t in load.issues_at_hub],
              "(WAL writes and fsync)"))
    print(row("issue round trip, ms", load.issues, "(as the kiosk sees it)"))
    print(row("call -> each client, ms", per_delivery, "(every delivery)"))
    print(row("call -> every client, ms", list(slowest.values()),
              f"p99 < 20, max < 50: {verdict(pct(list(slowest.values()), 99) * 1000, BUDGETS['call_p99'])}"
              f"/{verdict(max(slowest.values(), default=math.nan) * 1000, BUDGETS['call_max'])}"
              " (slowest client per call)"))
    print(row("call-next round trip, ms", call_rtt, ""))
    print(f"  tickets issued: {len(load.issues)} ({len(load.issues) / elapsed:.1f}/s sustained); "
          f"calls: {len(load.calls)} (+{load.empty_calls} with nobody waiting); "
          f"deliveries {len(per_delivery)}/{expected}"
          f"{'' if len(per_delivery) == expected else '  MISSING ' + str(expected - len(per_delivery))}")
    workers_seen = 0
    for i, (pid, status) in enumerate(memory.items()):
        rss, hwm = status.get("VmRSS", 0) / 1024, status.get("VmHWM", 0) / 1024
        if len(memory) == 1:
            which = "hub"
        elif i == 0:  # the budget is each hub process's; the supervisor serves nothing
            which = f"hub's supervisor (pid {pid})"
        elif pid in writers:
            which = f"hub's writer process (pid {pid})"
        else:
            workers_seen += 1
            which = f"hub worker {workers_seen} (pid {pid})"
        print(f"  {which} memory: VmRSS {rss:.1f} MB, peak VmHWM {hwm:.1f} MB   budget < 60 (never > 80): "
              f"{verdict(rss, BUDGETS['rss_mb'])}/{verdict(hwm, BUDGETS['rss_max_mb'])}")
    whose = "" if len(hub_pids) == 1 else f" (its {len(hub_pids)} processes together)"
    print(f"  hub CPU{whose}: {cpu_used:.1f} s over {elapsed:.1f} s = {100 * cpu_used / elapsed:.0f}% of "
          f"one core; the bench's own clients: {100 * bench_cpu / elapsed:.0f}%")
    if load.errors:
        print(f"  errors: {len(load.errors)}, first: {load.errors[:3]}")
    return 1 if load.errors or len(per_delivery) != expected else 0


if __name__ == "__main__":
    sys.exit(main())
