"""The central's tables, as SQLAlchemy Core sees them. Created and changed only by the central's
own Alembic migrations (migrations/); this module describes their head.

`tickets` has the hub's ticket columns that the reports read (server/store/schema.py, times as
integer microseconds UTC), under the same names, plus `hall`: the hub's report SQL then runs on it
unchanged (server/reports/query.py takes the table).
"""
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

halls = Table(
    "halls", metadata,
    Column("id", String(63), primary_key=True),
    Column("token_sha256", String(64), nullable=False),  # bound at the first post; never the token
    Column("name", Text),  # JSON {"zh", "en"}, from the latest `info`
    Column("info", Text),  # JSON, the latest `info` the hall sent (services, windows, ...)
    Column("last_seq", BigInteger, nullable=False, default=0),  # consecutive from 1
    Column("last_at", BigInteger),  # `at` of the newest event held
    Column("caught_up_at", BigInteger),  # receive time of the latest post that left pending 0
    Column("last_post_at", BigInteger),  # receive time of the latest accepted post
    Column("registered_at", BigInteger, nullable=False),
    Column("day", String(10)),  # the hall's current hall day, from its newest events
)

hall_events = Table(
    "hall_events", metadata,
    Column("hall", String(63), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("day", String(10)),
    Column("data", Text, nullable=False),  # the event's JSON as received
)

tickets = Table(
    "tickets", metadata,
    Column("hall", String(63), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("number", String(8), nullable=False),
    Column("service", String(64), nullable=False),
    Column("origin_service", String(64), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("called_at", BigInteger),
    Column("first_called_at", BigInteger),
    Column("started_at", BigInteger),
    Column("finished_at", BigInteger),
    Column("window", String(64)),
    Column("staff", String(64)),
    Column("rating", String(12)),
    Column("transfers", Integer, nullable=False, default=0),
    Column("cancel_reason", String(16)),
    Column("seq", BigInteger, nullable=False),  # the event that last set this state
    Index("ix_central_tickets_day", "day", "hall"),  # reports over a range of days
    Index("ix_central_tickets_live", "hall", "day", "status"),  # the halls' waiting counts
)

windows = Table(
    "windows", metadata,
    Column("hall", String(63), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("status", String(8), nullable=False),  # open | paused | closed, its last window.status
)
