"""Persistence: SQLite through SQLAlchemy Core, schema managed by Alembic."""
from .db import DEFAULT_URL, make_engine, sqlite_url
from .repo import Store, StoredEvent, Tx

__all__ = ["DEFAULT_URL", "make_engine", "sqlite_url", "Store", "StoredEvent", "Tx"]
