"""Persistence: SQLite through SQLAlchemy Core, schema managed by Alembic; an in-memory twin."""
from .db import DEFAULT_URL, make_engine, sqlite_url
from .events import EventEncoder, StoredEvent
from .interface import HallStore, HallTx
from .repo import Store, Tx

__all__ = ["DEFAULT_URL", "make_engine", "sqlite_url", "EventEncoder", "HallStore", "HallTx",
           "Store", "StoredEvent", "Tx"]
