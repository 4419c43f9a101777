"""Opening the database: SQLite in WAL mode with durable commits, through SQLAlchemy."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_URL = "sqlite:///var/hallcall.db"
BUSY_TIMEOUT_MS = 10_000
AUTOCHECKPOINT_PAGES = 20_000


class DatabaseUnavailable(Exception):
    """The database cannot be opened as asked; the message names it (by absolute path) and says
    what to do. `status` is the exit status a command gives for it (2: the command line is wrong)."""

    status = 1


class UnsupportedDatabase(DatabaseUnavailable, ValueError):
    status = 2


class NoDatabase(DatabaseUnavailable):
    pass


class SchemaMismatch(DatabaseUnavailable):
    """The file is there but its schema is not the one this code reads."""

    def __init__(self, path: str | None, found: str | None, head: str, tables: bool):
        self.path, self.found, self.head = path, found, head
        where = path or "the database"
        if found is None:
            what = ("has no hallcall schema (is it the hub's --db?)" if tables else
                    "is empty: no hub has used it yet (is it the hub's --db?)")
            super().__init__(f"{where} {what}")
        elif found < head:  # revisions are zero-padded numbers: 0001, 0002, …
            super().__init__(f"{where} has the schema of an older hallcall ({found}, this one "
                             f"reads {head}): run `hallcall migrate --db {where}` first")
        else:
            super().__init__(f"{where} was made by a newer hallcall (schema {found}; this one "
                             f"knows up to {head}): run the hallcall that made it")


def sqlite_url(value: str) -> str:
    """Accept an SQLAlchemy URL or a plain file path."""
    return value if "://" in value else f"sqlite:///{value}"


def database_file(value: str) -> Path | None:
    """The absolute path of the SQLite file behind a URL or path; None for an in-memory one.
    Raises UnsupportedDatabase for another kind of database or a URL that does not parse."""
    try:
        url = make_url(sqlite_url(value))
    except ArgumentError as exc:
        raise UnsupportedDatabase(f"--db {value!r} is neither a file path nor a database URL") from exc
    if url.get_backend_name() != "sqlite":
        raise UnsupportedDatabase(f"{url.render_as_string()}: only SQLite databases are supported")
    return _file_of(url.database)


def _file_of(database: str | None) -> Path | None:
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # SQLite's URI form, as make_engine opens an existing file
        database = unquote(urlsplit(database).path)
    return Path(os.path.abspath(database))


def make_engine(url: str = DEFAULT_URL, create: bool = True, read_only: bool = False) -> Engine:
    """create: make the file (and its folder) if missing, as the hub and `migrate` do. Without
    it a missing file is NoDatabase, and SQLite is told (mode=rw) not to make one either, so a
    file removed between the check and the connect is not silently recreated empty.

    read_only: the connections refuse every write (query_only) and leave the journal mode as
    the file has it (a backup copy stays a single file). Not SQLite's mode=ro: a read-only
    connection to a WAL database whose hub is stopped creates the -wal and -shm files and
    cannot remove them, so `sudo hallcall stats` would leave root-owned files the hub's user
    then cannot open."""
    path = database_file(url)
    if create:
        if path is not None:
            _make_folder(path.parent)
        url = make_url(sqlite_url(url))
    else:
        if path is None:
            raise NoDatabase(f"{url}: a new in-memory database holds nothing to read")
        if not path.is_file():
            raise NoDatabase(f"no database at {path} (is this the hub's --db?)")
        url = make_url(f"sqlite:///file:{quote(str(path))}?mode=rw&uri=true")
    engine = create_engine(
        url, pool_size=8, max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from the sqlite3 module so that BEGIN IMMEDIATE below is the
        # one that counts (the SQLAlchemy documentation's recipe for pysqlite).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if read_only:
            cur.execute("PRAGMA query_only=ON")
        else:
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


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # FileExistsError here means a file (/etc/passwd in /etc/passwd/hall.db) is in the way.
        reason = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
        raise DatabaseUnavailable(f"cannot make the database's folder {folder}: {reason}") from exc


def database_path(engine: Engine) -> str | None:
    path = _file_of(engine.url.database)
    return str(path) if path else None
