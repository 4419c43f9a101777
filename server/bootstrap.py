"""Where the hub's process is put together: the store, the hub, and for `serve` the event
fan-out, the call keys of the hub's own Pi and cheroot. Everything else is handed what it uses
(`create_app(hub)` does no I/O), so a test builds its hub here too, the same way."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .config import HallConfig
from .hub import Hub
from .store import Store
from .web.serialize import event_json


def build_hub(config: HallConfig, db_url: str, clock: Callable[[], datetime] | None = None,
              follow: bool = True, create: bool = True, read_only: bool = False) -> Hub:
    """The hub on the database at db_url. `create`: the file may be new or its schema old
    (it is created or upgraded); else it must exist at this code's schema. `follow`: watch the
    file for other processes' events. `read_only`: never written, so not started (no schema
    upgrade, no day roll-over): for reading it while a running hub owns it."""
    # The events' wire form is the web edge's; the store keeps it as made.
    if create:
        store = Store(db_url, event_json)
    else:
        store = Store.open_existing(db_url, event_json, read_only=read_only)
    hub = Hub(config, store, clock=clock)
    if read_only:
        return hub
    try:
        hub.start(follow=follow)
    except BaseException:
        hub.stop()
        raise
    return hub


def serve(config: HallConfig, db_url: str, host: str, port: int, threads: int = 40, *,
          secure_cookie: bool = False, buttons: bool = False, pin_factory: str | None = None) -> None:
    """`hallcall serve`: the hub, its web app and its event fan-out under cheroot until SIGTERM
    or Ctrl-C; with `buttons`, also the keys wired to this Pi, through gpiozero's `pin_factory`
    (a name of PIN_FACTORIES; None: gpiozero's choice)."""
    from .fanout import Fanout
    from .web import create_app
    from .web.stream import HEARTBEAT_S
    from .wsgi import run_server

    hub = build_hub(config, db_url)
    try:
        app = create_app(hub, {"SESSION_COOKIE_SECURE": secure_cookie,
                               "FANOUT": Fanout(hub.bus, HEARTBEAT_S)})
        agent = None
        if buttons:
            # Only here: without --buttons the hub never imports hallcall.buttons or gpiozero.
            from hallcall.buttons import load_pin_factory, start_local

            agent = start_local(hub, load_pin_factory(pin_factory))
        try:
            run_server(app, hub, host, port, threads)
        finally:
            if agent is not None:
                agent.close()
    finally:
        hub.stop()
