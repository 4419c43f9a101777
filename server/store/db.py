"""Opening the database: SQLite in WAL mode with durable commits, through SQLAlchemy."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

DEFAULT_URL = "sqlite:///var/hallcall.db"
BUSY_TIMEOUT_MS = 10_000
AUTOCHECKPOINT_PAGES = 20_000


def sqlite_url(value: str) -> str:
    """Accept an SQLAlchemy URL or a plain file path."""
    return value if "://" in value else f"sqlite:///{value}"


def make_engine(url: str = DEFAULT_URL) -> Engine:
    url = make_url(sqlite_url(url))
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"{url.render_as_string()}: only SQLite databases are supported")
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, pool_size=8, max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from the sqlite3 module so that BEGIN IMMEDIATE below is the
        # one that counts (the SQLAlchemy documentation's recipe for pysqlite).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: each commit is fsynced before the API answers, so an acknowledged ticket
        # survives kill -9 and a power cut (NORMAL could lose the last commits on power loss).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        # A hall's day is a few thousand rows; SQLite's default 2 MB cache per connection would
        # be most of the hub's memory budget across the pool.
        cur.execute("PRAGMA cache_size=-512")
        # SQLite checkpoints the WAL inside whichever commit crosses 1000 pages, and that commit
        # then takes milliseconds more. The hub checkpoints from a background thread instead
        # (Store.checkpoint); this higher limit is only the backstop for other programs.
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take SQLite's write lock at BEGIN: their reads and writes then form one atomic
        # step across threads and processes, with no upgrade deadlocks.
        mode = "IMMEDIATE" if conn.get_execution_options().get("write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def database_path(engine: Engine) -> str | None:
    db = engine.url.database
    return os.path.abspath(db) if db and db != ":memory:" else None
