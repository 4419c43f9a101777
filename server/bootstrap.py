"""Where the hub's process is put together: the store, the hub, and for `serve` the event
fan-out, the call keys of the hub's own Pi and cheroot. Everything else is handed what it uses
(`create_app(hub)` does no I/O), so a test builds its hub here too, the same way."""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime

from .config import HallConfig
from .hub import Hub
from .store import DEFAULT_URL, Store
from .store.db import database_name
from .web.serialize import event_json

log = logging.getLogger(__name__)

WORKERS_STOP_S = 10.0  # within the supervisor's 12 s and systemd's 15 s (TimeoutStopSec)


def build_hub(config: HallConfig, db_url: str, clock: Callable[[], datetime] | None = None,
              follow: bool = True, create: bool = True, read_only: bool = False) -> Hub:
    """The hub on the database at db_url. `create`: the file may be new or its schema old
    (it is created or upgraded); else it must exist at this code's schema. `follow`: watch the
    file for other processes' events. `read_only`: never written, so not started (no schema
    upgrade, no day roll-over): for reading it while a running hub owns it; it runs by the
    database's hall when the database holds one (`hub.config.version` > 0), else by `config`."""
    # The events' wire form is the web edge's; the store keeps it as made.
    if create:
        store = Store(db_url, event_json)
    else:
        store = Store.open_existing(db_url, event_json, read_only=read_only)
    if read_only:
        # Not started, so the hub would not load the database's hall itself; a command reading
        # the hall (stats, config export) must see the one the running hub runs, not the file's.
        try:
            with store.read(config) as tx:
                stored = tx.hall_config()
        except BaseException:
            store.close()
            raise
        return Hub(config if stored is None else Hub.stored_hall(*stored), store, clock=clock)
    hub = Hub(config, store, clock=clock)
    try:
        hub.start(follow=follow)
    except BaseException:
        hub.stop()
        raise
    return hub


def serve(config: HallConfig, db_url: str, host: str, port: int, threads: int = 40, *,
          secure_cookie: bool = False, buttons: bool = False, pin_factory: str | None = None,
          allow_demo_tokens: bool = False, seed_file: str | None = None,
          worker: int | None = None, workers: int = 1, writer_socket: str | None = None) -> None:
    """`hallcall serve`: the hub, its web app and its event fan-out under cheroot until SIGTERM
    or Ctrl-C; with `buttons`, also the keys wired to this Pi, through gpiozero's `pin_factory`
    (a name of PIN_FACTORIES; None: gpiozero's choice). `config` seeds a new database;
    `seed_file` is the --config it was read from, if one was given. Raises DemoTokensExposed
    when the hall the hub runs would expose the demo tokens or password beyond loopback.
    `worker`: this process is worker `worker` of `workers` of `serve --workers` (server/
    workers.py), sharing the port with the others; None: the hub's only process.
    `writer_socket`: issuing and window actions are written by the writer process there
    (server/write_service.py)."""
    from .fanout import Fanout
    from .forwarding import Forwarder
    from .web import create_app
    from .web.stream import HEARTBEAT_S
    from .wsgi import check_exposure, run_server

    hub = build_hub(config, db_url)
    try:
        if writer_socket is not None:
            from .write_service import WriterClient

            hub.writer = WriterClient(writer_socket, on_events=hub.take_events)
            hub.writer.connect()  # before this worker serves: its first kiosk is not refused
        # The hall the hub runs is the database's once it holds one, whatever the file says:
        # that is the one whose tokens and passwords must not reach the network.
        check_exposure(hub.config, host, allow_demo_tokens)
        if worker in (None, 1):  # said once, not by every worker
            tell_which_hall(hub, seed_file, db_url)
        app = create_app(hub, {"SESSION_COOKIE_SECURE": secure_cookie,
                               "FANOUT": Fanout(hub.bus, HEARTBEAT_S)})
        agent = None
        if buttons:
            # Only here: without --buttons the hub never imports hallcall.buttons or gpiozero.
            from hallcall.buttons import load_pin_factory, start_local

            agent = start_local(hub, load_pin_factory(pin_factory))
        # The hall's events to the city's central, if its config has [central] now or later.
        forwarder = Forwarder(hub).start()
        try:
            run_server(app, hub, host, port, threads,
                       worker="" if worker is None else f"worker {worker} of {workers}",
                       reuse_port=worker is not None)
        finally:
            forwarder.stop()
            if agent is not None:
                agent.close()
    finally:
        if hub.writer is not None:
            hub.writer.close()
        hub.stop()


def serve_writes(config: HallConfig, db_url: str, socket_path: str) -> None:
    """The writer process of `serve --workers N` (server/write_service.py): the hub without
    HTTP, writing the workers' issuing and window actions, until SIGTERM or Ctrl-C (which its
    supervisor sends once the workers have stopped; systemd sends it to every process at once,
    and then it writes on until the workers are gone, for at most WORKERS_STOP_S)."""
    import signal
    import threading

    from .malloc import freeze_long_lived
    from .write_service import WriterService

    # As in the workers (wsgi.py): the writer thread, back from each SQLite call, gets the
    # interpreter lock sooner from the threads reading the workers' requests.
    sys.setswitchinterval(0.0005)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stopping.set())
    hub = build_hub(config, db_url)
    service = None
    try:
        service = WriterService(hub, socket_path)
        log.info("hallcall hub writer process (pid %d) writing for the workers", os.getpid())
        freeze_long_lived()
        stopping.wait()  # the signal's handler runs in this, the main thread, and sets it
        service.wait_for_workers(WORKERS_STOP_S)
    finally:
        hub.stop()  # its store's writer thread answers what was queued first
        if service is not None:
            service.close()


def tell_which_hall(hub: Hub, seed_file: str | None, db_url: str) -> None:
    """One line in the log: which hall the hub runs, and a warning when the --config file given
    differs from it (a technician who edited the file and restarted expects it applied)."""
    version = hub.config.version
    if not (hub.seed_ignored and seed_file):
        log.info("running the hall of the database, version %d", version)
        return
    # Named as messages name it: a PostgreSQL URL without its password, which the log must not keep.
    db = "" if db_url == DEFAULT_URL else f" --db {database_name(db_url)}"
    log.warning("the database holds the hall (version %d); %s differs and was not applied: "
                "`hallcall config import %s%s` shows the difference and replaces it",
                version, seed_file, seed_file, db)
