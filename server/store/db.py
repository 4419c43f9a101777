"""Opening the database through SQLAlchemy: SQLite in WAL mode with durable commits, or
PostgreSQL (psycopg 3) with the same guarantees (docs/postgresql.md).

Either way a write transaction first takes the database's one writer lock (BEGIN IMMEDIATE on
SQLite, a transaction-level advisory lock on PostgreSQL), so writers of every hub process run one
at a time and each reads what the previous one committed: numbering, calls and the event and
audit sequences are the same max+1 on both engines.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

DEFAULT_URL = "sqlite:///var/hallcall.db"
BUSY_TIMEOUT_MS = 10_000
AUTOCHECKPOINT_PAGES = 20_000
# The key of the writers' advisory lock on PostgreSQL: "hallcall" in ASCII, so that another
# program sharing the database is unlikely to take the same one by chance.
PG_WRITE_LOCK = int.from_bytes(b"hallcall", "big")
PG_CONNECT_TIMEOUT_S = 10
# A writer's transaction idle this long holds the lock for no one: the server ends it (on SQLite
# the busy timeout bounds a wait for the lock alike). A hub's writes take milliseconds.
PG_WRITER_IDLE_S = 10
SUPPORTED = "an SQLite file or a PostgreSQL URL (postgresql+psycopg://USER@HOST/DB)"


class DatabaseUnavailable(Exception):
    """The database cannot be opened as asked; the message names it (a file by its absolute
    path, a PostgreSQL database by its URL without the password) and says what to do.
    `status` is the exit status a command gives for it (2: the command line is wrong)."""

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


def database_url(value: str) -> URL:
    """The SQLAlchemy URL of --db: an SQLite URL or file path, or PostgreSQL's (plain
    postgresql:// and postgres:// mean psycopg 3, the driver the `pg` extra installs).
    Raises UnsupportedDatabase for another kind of database or a URL that does not parse."""
    try:
        url = make_url(sqlite_url(value))
    except ArgumentError as exc:
        raise UnsupportedDatabase(f"--db {value!r} is neither a file path nor a database URL") from exc
    # From the name itself: SQLAlchemy would load the dialect to tell a default driver.
    backend, _, driver = url.drivername.partition("+")
    if backend == "postgres":  # libpq's own spelling, which SQLAlchemy no longer reads
        backend, driver = "postgresql", "psycopg"
    if backend == "postgresql" and driver in ("psycopg", "psycopg2", ""):
        if not url.database:
            raise UnsupportedDatabase(f"{_shown(url)}: name the database (…/DBNAME)")
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("pysqlite", ""):
        return url
    raise UnsupportedDatabase(f"{_shown(url)}: the hub's database must be {SUPPORTED}")


def is_postgresql(value: str) -> bool:
    """Whether --db names a PostgreSQL database (False for SQLite; UnsupportedDatabase else)."""
    return database_url(value).get_backend_name() == "postgresql"


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def database_name(value: str) -> str:
    """How messages name the database: an SQLite file by its absolute path, PostgreSQL's by
    its URL without the password."""
    url = database_url(value)
    if url.get_backend_name() == "postgresql":
        return _shown(url)
    return str(_file_of(url.database) or "in memory")


def database_file(value: str) -> Path | None:
    """The absolute path of the SQLite file behind a URL or path; None for an in-memory one.
    Raises UnsupportedDatabase for a PostgreSQL database (what is done with a file, as a backup
    by copy, is not done so there) or any other kind, and for a URL that does not parse."""
    url = database_url(value)
    if url.get_backend_name() != "sqlite":
        raise UnsupportedDatabase(f"{_shown(url)} is a PostgreSQL database, not an SQLite file")
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
    then cannot open.

    On PostgreSQL the database itself must exist (its administrator makes it: docs/postgresql.md);
    `create` only allows making the tables in it. The server is asked at once, so an unreachable
    one or a missing database is told as DatabaseUnavailable, as a missing SQLite file is."""
    if is_postgresql(url):
        return _postgresql_engine(database_url(url), read_only)
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


def _postgresql_engine(url: URL, read_only: bool) -> Engine:
    try:
        import psycopg  # noqa: F401 - the `pg` extra's driver
    except ImportError:
        raise UnsupportedDatabase(f"{_shown(url)}: PostgreSQL needs the psycopg driver: "
                                  "pip install 'hallcall[pg]'") from None
    # Every transaction is REPEATABLE READ unless it says otherwise: a reader then sees one
    # snapshot for all its statements (as SQLite's readers do), so a view of the hall is never
    # half of one commit and half of the next; it takes no lock and never waits for writers.
    # Set for the session, so a read costs no statement of its own.
    options = ["-c default_transaction_isolation=repeatable\\ read"]
    if read_only:  # every transaction of every connection refuses writes (SQLite's query_only)
        options.append("-c default_transaction_read_only=on")
    # pool_pre_ping: after the server restarts, a pooled connection is found dead at checkout
    # and replaced, instead of failing the request that drew it. TCP keepalives and a user
    # timeout: a server (or its network) gone without a word is noticed in about half a minute,
    # not after the kernel's quarter of an hour.
    engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True, connect_args={
        "connect_timeout": PG_CONNECT_TIMEOUT_S, "application_name": "hallcall",
        "options": " ".join(options), "keepalives": 1, "keepalives_idle": 15,
        "keepalives_interval": 5, "keepalives_count": 3, "tcp_user_timeout": 30_000})

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get("write"):
            # Before any read: the writers of every hub process on this database then run one
            # at a time, and READ COMMITTED (a new snapshot per statement, the first taken once
            # the lock is held) shows each the state the previous one committed, as BEGIN
            # IMMEDIATE does on SQLite. The lock goes with the COMMIT or ROLLBACK, once the
            # commit is durable and visible. A writer's transaction left idle (its hub process
            # frozen, or its machine gone without closing the connection) is ended by the
            # server after PG_WRITER_IDLE_S, so the lock is never held for good. One round trip.
            conn.exec_driver_sql(
                "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; "
                f"SET LOCAL idle_in_transaction_session_timeout = '{PG_WRITER_IDLE_S}s'; "
                f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")

    try:  # ask now: a server that is not there is told in one line, not at the first request
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        engine.dispose()
        raise _unreachable(url, exc) from None
    return engine


def _unreachable(url: URL, exc: DBAPIError) -> DatabaseUnavailable:
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    # invalid_catalog_name; libpq's failures at connect carry no SQLSTATE, only its words
    if getattr(exc.orig, "sqlstate", None) == "3D000" or \
            f'database "{url.database}" does not exist' in detail:
        return NoDatabase(f"no database {url.database!r} on the PostgreSQL server of "
                          f"{_shown(url)}: its administrator makes it first "
                          "(createdb; see docs/postgresql.md)")
    return DatabaseUnavailable(f"cannot open the PostgreSQL database {_shown(url)}: {detail}")


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # FileExistsError here means a file (/etc/passwd in /etc/passwd/hall.db) is in the way.
        reason = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
        raise DatabaseUnavailable(f"cannot make the database's folder {folder}: {reason}") from exc


def database_path(engine: Engine) -> str | None:
    """How messages name the engine's database (see database_name); None for in-memory."""
    if engine.dialect.name == "postgresql":
        return _shown(engine.url)
    path = _file_of(engine.url.database)
    return str(path) if path else None
