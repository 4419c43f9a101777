"""`hallcall central`: the central's store migrated, then its app on cheroot (as the hub's is
served, server/wsgi.py) until SIGTERM or Ctrl-C."""
from __future__ import annotations

import logging
import signal
import sys
import threading

from ..wsgi import CannotListen, make_server
from .app import create_app
from .store import CentralStore

log = logging.getLogger(__name__)


def serve(url: str, host: str, port: int, threads: int = 16) -> None:
    store = CentralStore(url)
    try:
        store.upgrade()
        server = make_server(create_app(store), host, port, threads)
        sys.setswitchinterval(0.0005)

        def stop(_signum, _frame):
            threading.Thread(target=server.stop, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            server.prepare()
        except OSError as exc:
            raise CannotListen(host, port, server.bind_error) from exc
        where = f"http://{host}:{server.bind_addr[1]}/"
        log.info("hallcall central on %s (%d threads)", where, threads)
        print(f"hallcall central serving on {where}", flush=True)
        server.serve()
    finally:
        store.close()
