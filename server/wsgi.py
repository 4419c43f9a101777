"""Running the hub under cheroot, a production WSGI server.

Why cheroot: every event-stream client holds a connection (and so a worker thread) for hours, and
cheroot writes each yielded chunk straight to the socket; measured on 2 cores with 100 stream
clients it delivers a call to all of them in 11-29 ms p99, where waitress took 250-430 ms.
"""
from __future__ import annotations

import ipaddress
import logging
import signal
import threading

from cheroot import wsgi

from .config import DEMO_TOKENS, HallConfig

log = logging.getLogger(__name__)


class DemoTokensExposed(Exception):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(config: HallConfig, host: str, allow_demo_tokens: bool) -> None:
    """Refuse to serve the well-known demo tokens beyond this machine unless told to."""
    public = sorted(d.token for d in config.devices if d.token in DEMO_TOKENS)
    if not public or is_loopback(host):
        return
    if not allow_demo_tokens:
        raise DemoTokensExposed(
            f"the hall config uses the public demo tokens ({', '.join(public)}); anybody on the "
            f"network could issue and call tickets. Listening on {host} is refused: set your own "
            "tokens, listen on 127.0.0.1, or pass --allow-demo-tokens if you mean it.")
    log.warning("serving on %s with the PUBLIC demo tokens %s: anybody on the network can act "
                "as a kiosk, a call button or the admin", host, ", ".join(public))


def make_server(app, host: str, port: int, threads: int) -> wsgi.Server:
    server = wsgi.Server((host, port), app, numthreads=threads, max=threads,
                         server_name="hallcall", request_queue_size=256, timeout=30,
                         shutdown_timeout=2)
    # Nagle's algorithm would hold back the small event frames.
    server.nodelay = True
    return server


def serve(app, host: str, port: int, threads: int = 200) -> None:
    server = make_server(app, host, port, threads)
    hub = app.config["HUB"]

    def stop(_signum, _frame):
        hub.bus.close()  # lets the stream threads end so the server can stop promptly
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.prepare()
    log.info("hallcall hub on http://%s:%d/ (%d threads)", host, server.bind_addr[1], threads)
    print(f"hallcall hub serving {app.config['HALL'].name.en} on http://{host}:{server.bind_addr[1]}/",
          flush=True)
    try:
        server.serve()
    finally:
        hub.stop()
