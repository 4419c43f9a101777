"""`hallcall central`: the central's store migrated, then its app on cheroot (as the hub's is
served, server/wsgi.py) until SIGTERM or Ctrl-C."""
from __future__ import annotations

from ..wsgi import serve_until_stopped
from .app import create_app
from .store import CentralStore


def serve(url: str, host: str, port: int, threads: int = 16) -> None:
    store = CentralStore(url)
    try:
        store.upgrade()
        serve_until_stopped(create_app(store), host, port, threads, "hallcall central",
                            "hallcall central serving")
    finally:
        store.close()
