"""Online backups of the hub's database, for the nightly timer and before an upgrade.

SQLite's backup API copies the file page by page inside one read transaction. In WAL mode a
reader never blocks the writers, so the hub goes on issuing and calling while the copy is made,
and the copy is the database as it was at one commit: never half of a transaction.

A copy is written under a temporary name, checked with `PRAGMA integrity_check`, flushed to disk
and only then renamed to its final name, so a file named like a backup is always a whole one
(a power cut mid-copy leaves only a temporary file, removed by a later run).
"""
from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from .db import BUSY_TIMEOUT_MS, UnsupportedDatabase, database_name, is_postgresql, sqlite_url

PREFIX = "hallcall-"
SUFFIX = ".db"
STAMP = "%Y%m%d-%H%M%S"
# hallcall-20250601-023000.db, or hallcall-20250601-023000-2.db for a second one in that second.
NAME = re.compile(r"^hallcall-(\d{8}-\d{6})(?:-\d+)?\.db$")
PARTIAL = re.compile(r"^\.hallcall-.*\.partial$")
STALE_PARTIAL_S = 24 * 3600  # an unfinished copy this old belongs to no running backup


class BackupError(Exception):
    """What went wrong, in words for the person who runs the backup."""


@dataclass
class BackupResult:
    path: Path
    size: int
    tickets: int
    removed: list[Path] = field(default_factory=list)


def database_file(db: str) -> Path:
    """The file behind an SQLAlchemy URL (sqlite:////var/lib/hallcall/hallcall.db) or a path."""
    try:
        postgresql = is_postgresql(db)
    except UnsupportedDatabase as exc:
        raise BackupError(str(exc)) from None
    if postgresql:
        raise BackupError(
            f"{database_name(db)}: `hallcall backup` copies an SQLite file; a PostgreSQL "
            "database is backed up with PostgreSQL's own tools, e.g. `pg_dump -Fc -f FILE DBNAME` "
            "(see docs/postgresql.md)")
    url = make_url(sqlite_url(db))
    if not url.database or url.database == ":memory:":
        raise BackupError(f"{db}: an in-memory database has nothing to back up")
    return Path(url.database).absolute()  # the messages name the file wherever it was run


def backup(db: str, to_dir: str | Path, keep_days: int = 7, now: datetime | None = None) -> BackupResult:
    """Copy the live database `db` into `to_dir`, check the copy, then remove the backups in
    `to_dir` older than `keep_days` (never the one just made, never files it did not write)."""
    if keep_days < 1:
        raise BackupError("--keep-days must be at least 1")
    source = database_file(db)
    if not source.is_file():
        raise BackupError(f"{source}: no database there (is this the hub's --db?)")
    to_dir = Path(to_dir).absolute()
    try:
        to_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"{to_dir}: cannot create the backup folder: {exc.strerror}") from exc
    if not to_dir.is_dir():
        raise BackupError(f"{to_dir}: not a folder")
    now = now or datetime.now()
    final = _free_name(to_dir, now)
    partial = to_dir / f".{final.name}.partial"
    try:
        # O_EXCL: never write through a file or link someone left under this name. 0600: the
        # database holds ticket tokens and the console's session key.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except OSError as exc:
        raise BackupError(f"{to_dir}: cannot write there: {exc.strerror}") from exc
    try:
        tickets = _copy(source, partial)
        _fsync(partial)
        os.replace(partial, final)
        _fsync(to_dir)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    removed = prune(to_dir, keep_days, now, keep=final)
    return BackupResult(final, final.stat().st_size, tickets, removed)


def _copy(source: Path, target: Path) -> int:
    """The backup itself; returns the number of tickets in the copy."""
    try:
        # mode=rw: open the existing file, never create an empty database in its place.
        src = sqlite3.connect(f"file:{_uri_path(source)}?mode=rw", uri=True,
                              timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open the database: {exc}") from exc
    try:
        dst = sqlite3.connect(target)
        try:
            # All pages in one step: one read transaction, so one consistent snapshot. Stepping
            # in slices would restart the copy whenever the hub commits in between.
            src.backup(dst, pages=-1)
            # A single self-contained file: the copy is not left in WAL mode (its header says
            # so after the page copy), so no -wal or -shm file is needed beside it. The hub
            # switches a restored file back to WAL when it opens it.
            dst.execute("PRAGMA journal_mode=DELETE").fetchall()
            result = [row[0] for row in dst.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                raise BackupError("the copy failed its integrity check: " + "; ".join(result[:5]))
            try:
                tickets = dst.execute("SELECT count(*) FROM tickets").fetchone()[0]
            except sqlite3.OperationalError as exc:
                raise BackupError(f"{source}: has no tickets table: is it the hub's database?") from exc
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: the backup failed: {exc}") from exc
    finally:
        src.close()
    return tickets


def prune(to_dir: Path, keep_days: int, now: datetime, keep: Path | None = None) -> list[Path]:
    """Remove backups named for a time more than `keep_days` before `now`, and unfinished copies
    a day old. Only files named as this module names them are touched."""
    limit = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(to_dir.iterdir()):
        if path == keep or not path.is_file() or path.is_symlink():
            continue
        match = NAME.match(path.name)
        if match:
            if datetime.strptime(match.group(1), STAMP) < limit:
                path.unlink()
                removed.append(path)
        elif PARTIAL.match(path.name) and time.time() - path.stat().st_mtime > STALE_PARTIAL_S:
            path.unlink()
            removed.append(path)
    return removed


def _free_name(to_dir: Path, now: datetime) -> Path:
    stamp = now.strftime(STAMP)
    path, n = to_dir / f"{PREFIX}{stamp}{SUFFIX}", 1
    while path.exists():
        n += 1
        path = to_dir / f"{PREFIX}{stamp}-{n}{SUFFIX}"
    return path


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.resolve()))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
