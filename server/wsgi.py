"""Running the hub under cheroot, a production WSGI server.

Why cheroot: every event-stream client holds a connection (and so a worker thread) for hours, and
cheroot writes each yielded chunk straight to the socket; measured on 2 cores with 100 stream
clients it delivers a call to all of them in 11-29 ms p99, where waitress took 250-430 ms.
"""
from __future__ import annotations

import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading

from cheroot import wsgi

from .config import DEMO_TOKENS, HallConfig
from .config.model import token_sha256
from .malloc import freeze_long_lived
from .web.stream import STREAM_REQUEST

log = logging.getLogger(__name__)


class DemoTokensExposed(Exception):
    pass


class CannotListen(Exception):
    """The hub could not take its address; the message says which and why, in one line."""

    def __init__(self, host: str, port: int, error: OSError | None):
        self.host, self.port, self.error = host, port, error
        code = error.errno if error is not None else None
        where = f"port {port} on {host}"
        if code == errno.EADDRINUSE:
            message = f"{where} is already in use (another hub running?)"
        elif code == errno.EACCES:
            message = (f"{where} is not allowed for this user (ports below 1024 need root or "
                       "CAP_NET_BIND_SERVICE)")
        elif code == errno.EADDRNOTAVAIL:
            message = f"{host} is not an address of this computer (--host)"
        elif isinstance(error, socket.gaierror):
            message = f"{host}: no such host name (--host)"
        else:
            message = f"cannot listen on {where}: {error.strerror if error else 'no socket'}"
        super().__init__(message)


class HubServer(wsgi.Server):
    """cheroot's server, keeping the error of its last bind: cheroot reports a failed bind as a
    bare OSError whose text is all there is, and the reason (errno) is what the user needs."""

    bind_error: OSError | None = None

    def bind(self, family, type, proto=0):
        try:
            return super().bind(family, type, proto)
        except OSError as exc:
            self.bind_error = exc
            raise


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_password_staff(config: HallConfig) -> list[str]:
    """Staff whose password hash is one of the demo hall's, whose password (demo) is public."""
    from .config import demo_config_path, load_config

    demo = {c.password_hash for c in load_config(demo_config_path()).staff}
    return [c.id for c in config.staff if c.password_hash in demo and not c.disabled]


def check_exposure(config: HallConfig, host: str, allow_demo_tokens: bool) -> None:
    """Refuse to serve the well-known demo tokens, or staff with the demo password, beyond this
    machine unless told to. `config` is the hall the hub runs: once the database holds one
    (`config.version` > 0), that one, whatever the --config file says."""
    if is_loopback(host):
        return
    demo_hashes = {token_sha256(t): t for t in DEMO_TOKENS}
    public = sorted(demo_hashes[d.token_sha256] for d in config.devices
                    if d.token_sha256 in demo_hashes)
    clerks = demo_password_staff(config)
    if not public and not clerks:
        return
    named = []
    if public:
        named.append(f"the public demo tokens ({', '.join(public)})")
    if clerks:
        shown = ", ".join(clerks[:5]) + (f" and {len(clerks) - 5} more" if len(clerks) > 5 else "")
        named.append(f"the public demo password for the staff {shown}")
    if not allow_demo_tokens:
        # Editing the file does not change a hall the database already holds: say what does.
        whose, how = ("the hall config", "") if not config.version else (
            f"the hall in the database (version {config.version})",
            " (in /admin on 127.0.0.1, or with `hallcall config import FILE`)")
        raise DemoTokensExposed(
            f"{whose} uses {' and '.join(named)}; anybody on the network could issue and "
            f"call tickets. Listening on {host} is refused: set your own tokens and passwords{how}, "
            "listen on 127.0.0.1, or pass --allow-demo-tokens if you mean it.")
    log.warning("serving on %s with %s: anybody on the network can act as a kiosk, a call "
                "button, a clerk or the admin", host, " and ".join(named).replace("public", "PUBLIC"))


class StreamingGateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, also handing the app the request (for its socket)."""

    def get_environ(self):
        env = super().get_environ()
        env[STREAM_REQUEST] = self.req
        return env


def make_server(app, host: str, port: int, threads: int, reuse_port: bool = False) -> wsgi.Server:
    """`reuse_port`: SO_REUSEPORT, so that the worker processes of `serve --workers N` all
    listen on the one port (the kernel spreads new connections over them)."""
    server = HubServer((host, port), app, numthreads=threads, max=threads,
                       server_name="hallcall", request_queue_size=256, timeout=30,
                       shutdown_timeout=2, reuse_port=reuse_port)
    server.gateway = StreamingGateway
    # Nagle's algorithm would hold back the small event frames.
    server.nodelay = True
    # How long the connection loop waits for a socket before it looks again: a stop waits for
    # the current wait to end (0.5 s by default, on every restart and upgrade). Ten looks a
    # second while idle cost nothing measurable.
    server.expiration_interval = 0.1
    return server


def run_server(app, hub, host: str, port: int, threads: int = 40, worker: str = "",
               reuse_port: bool = False) -> None:
    """Serve `app` (the hub's) until SIGTERM or Ctrl-C; raises CannotListen for an address it
    cannot take. Stopping the hub is its builder's (server/bootstrap.py). `worker`: which of
    `serve --workers N` this process is ("worker 2 of 4"), for its lines; `reuse_port`: share
    the port with the other workers."""
    # hub.bus.close() lets the stream threads end so the server can stop promptly.
    which = f" ({worker}, pid {os.getpid()})" if worker else ""
    serve_until_stopped(app, host, port, threads, f"hallcall hub{which}",
                        f"hallcall hub serving {hub.config.name.en}{which}", on_stop=hub.bus.close,
                        reuse_port=reuse_port)


def serve_until_stopped(app, host: str, port: int, threads: int, name: str, serving: str,
                        on_stop=None, reuse_port: bool = False) -> None:
    """Serve `app` on the hub's server (make_server) until SIGTERM or Ctrl-C, logging `name` and
    printing `serving` with the address once listening (the hub's and the central's way)."""
    # A request waiting for the interpreter lock gets it sooner (the default slice is 5 ms).
    sys.setswitchinterval(0.0005)
    server = make_server(app, host, port, threads, reuse_port)
    stopping = threading.Event()

    def stop(_signum, _frame):
        # Once: a worker of `serve --workers` may hear SIGTERM from systemd and from its parent.
        if stopping.is_set():
            return
        stopping.set()
        if on_stop is not None:
            on_stop()
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.prepare()
    except OSError as exc:
        raise CannotListen(host, port, server.bind_error) from exc
    where = f"http://{host}:{server.bind_addr[1]}/"
    log.info("%s on %s (%d threads)", name, where, threads)
    # One write with its newline: print's two let the workers of `serve --workers` mangle each
    # other's line (seen in CI: one line with both, then two empty ones).
    sys.stdout.write(f"{serving} on {where}\n")
    sys.stdout.flush()
    freeze_long_lived()
    server.serve()
