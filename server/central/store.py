"""The central's database: opened through the hub's make_engine (SQLite in WAL mode with durable
commits, or PostgreSQL), upgraded by the central's own Alembic migrations, written one hall's
post per transaction.

Writers from several halls at once must not collide. On SQLite one lock per process and BEGIN
IMMEDIATE (make_engine's `write` option) order them, as the hub does; on PostgreSQL each post
locks its hall's row (SELECT … FOR UPDATE) and halls write disjoint rows, so they run side by
side.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from importlib import resources

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from ..store.db import DatabaseUnavailable, database_path, make_engine

HEAD_REVISION = "c0001"
VERSION_TABLE = "central_version"


class CentralStore:
    def __init__(self, url: str):
        self.url = url
        # The hub's make_engine: SQLite with its durable settings, or PostgreSQL (an unreachable
        # server or a missing database told in one line).
        self.engine = make_engine(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        # SQLite has one writer at a time anyway: waiting here is cheaper than its busy loop.
        self._write_lock = threading.Lock() if self.sqlite else None

    def close(self) -> None:
        self.engine.dispose()

    def revision(self) -> tuple[str | None, set[str]]:
        with self.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if VERSION_TABLE not in tables:
                return None, tables
            return conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar(), tables

    def upgrade(self) -> None:
        """Create or upgrade the schema to HEAD_REVISION; refuse a database that is not a
        central's (a hub's, say) rather than adding tables to it."""
        found, tables = self.revision()
        if found == HEAD_REVISION:
            return
        if found is None and tables - {VERSION_TABLE}:
            raise DatabaseUnavailable(
                f"{database_path(self.engine)} holds other tables ({', '.join(sorted(tables)[:4])}…) "
                "but no central schema: is it a hub's database? Give the central its own")
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location",
                            str(resources.files("hallcall.server.central").joinpath("migrations")))
        with self.writing() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def writing(self):
        """One write transaction (committed when the block ends without an exception)."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                # Not the hub's write lock (one writer per database: make_engine's `write`),
                # nor its readers' REPEATABLE READ, under which two posts of one hall at once
                # fail to serialize: READ COMMITTED, and the hall's row locked (lock_hall), so
                # the posts of one hall take turns and different halls' run side by side.
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                yield conn
            return
        with self._write_lock, self.engine.connect().execution_options(write=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def reading(self):
        with self.engine.connect() as conn, conn.begin():
            yield conn


def lock_hall(conn: Connection, query):
    """`query` (a select of a hall row) FOR UPDATE on PostgreSQL; SQLite's write lock is held."""
    return conn.execute(query.with_for_update() if conn.dialect.name != "sqlite" else query)
