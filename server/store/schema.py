"""The tables, as SQLAlchemy Core sees them for queries.

The schema itself is created and changed only by the Alembic migrations in `migrations/`; this
module must describe the head revision.
"""
from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

# ix_tickets_waiting (0008): the waiting tickets alone, with every column their order in line is
# decided by. On SQLite its condition has a unary plus (`+status`), which keeps SQLite from using
# the status term for ix_tickets_queue instead: a query that counts in it spells the term the same
# way (repo.py's _SAME_QUEUE), and SQLite then takes this index, and reads nothing but it.
WAITING_ORDER = ("day", "service", "priority", "queued_at", "seq_no", "id", "appointment_code",
                 "slot_start", "slot_late", "calls", "status")
WAITING_ONLY = {"sqlite": "+status = 'waiting'", "postgresql": "status = 'waiting'"}

tickets = Table(
    "tickets", metadata,
    Column("id", String(32), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("number", String(8), nullable=False),
    Column("seq_no", Integer, nullable=False),
    Column("service", String(64), nullable=False),
    Column("origin_service", String(64), nullable=False),
    Column("priority", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    # Times are whole microseconds since the epoch (UTC): exact, so they compare and tie exactly
    # after a round trip, and they sort and subtract without time-zone care. BigInteger: on
    # PostgreSQL an Integer is 32 bits (the counts and sequence numbers here fit one).
    Column("issued_at", BigInteger, nullable=False),
    Column("queued_at", BigInteger, nullable=False),
    Column("called_at", BigInteger),  # the latest call (a recall, a requeue or a transfer moves it)
    Column("started_at", BigInteger),
    Column("finished_at", BigInteger),
    Column("window", String(64)),
    Column("token", String(64), nullable=False, unique=True),
    Column("rating", String(12)),
    Column("lang", String(8)),
    Column("device", String(64)),
    Column("transfers", Integer, nullable=False, default=0),
    Column("calls", Integer, nullable=False, default=0),
    Column("cancel_reason", String(16)),  # citizen | day_closed, for a cancelled ticket
    # The first call, set once (0005): waits are measured to it, not to called_at.
    Column("first_called_at", BigInteger),
    # The member of staff ([[staff]] id) who served it last, with `window` (0006).
    Column("staff", String(64)),
    # Issued by an appointment's check-in (0007): its code and slot; late: queued as a walk-in.
    Column("appointment_code", String(6)),
    Column("slot_start", BigInteger),
    Column("slot_late", Integer, nullable=False, default=0),
    Column("rating_comment", Text),  # what the citizen wrote with their rating (0007)
    # The last resort against a duplicate number, whatever happens above it.
    Index("uq_tickets_number", "day", "origin_service", "seq_no", unique=True),
    Index("ix_tickets_queue", "status", "service", "day", "priority", "queued_at"),
    Index("ix_tickets_issued", "issued_at"),  # exports by issue time (0005)
    Index("ix_tickets_done", "service", "status", "finished_at"),  # recent service times (0005)
    # A ticket's place in line is counted in this small index, not in the table's rows (0008).
    Index("ix_tickets_waiting", *WAITING_ORDER, sqlite_where=text(WAITING_ONLY["sqlite"]),
          postgresql_where=text(WAITING_ONLY["postgresql"])),
)

windows = Table(
    "windows", metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("current", String(32)),
    # Green calls in a row at this window ([queue] green_ratio), reset by a normal call.
    Column("green_streak", Integer, nullable=False, default=0),
    # The member of staff who last worked this window in person (0006): its keys act for them.
    Column("staff", String(64)),
)

events = Table(
    "events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("day", String(10), nullable=False),
    Column("data", Text, nullable=False),  # the JSON the event stream sends, seq included
    Index("ix_events_day_type", "day", "type", "seq"),
)

idempotency = Table(
    "idempotency", metadata,
    Column("device", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request", Text, nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

hall_state = Table(
    "hall_state", metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

device_status = Table(
    "device_status", metadata,
    Column("device", String(64), primary_key=True),
    Column("status", Text, nullable=False),  # JSON as the device reported it (validated)
    Column("updated_at", BigInteger, nullable=False),
)

hall_config = Table(
    "hall_config", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),  # JSON {"kind", "id"}: who made this version
    Column("data", Text, nullable=False),  # the hall as JSON, keyed as in the TOML (config/dump.py)
)

audit = Table(
    "audit", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("actor_kind", String(16), nullable=False),  # admin | staff | device | citizen | cli
    Column("actor_id", String(80)),
    Column("action", String(48), nullable=False),
    Column("target", String(140)),
    Column("before", Text),  # JSON, or NULL
    Column("after", Text),
)

device_seen = Table(
    "device_seen", metadata,
    Column("device", String(64), primary_key=True),
    Column("last_seen", BigInteger, nullable=False),
    Column("online", Integer, nullable=False),  # 1/0 as last announced (device.status)
)

appointments = Table(
    "appointments", metadata,
    Column("id", String(32), primary_key=True),
    Column("code", String(6), nullable=False, unique=True),  # typed or scanned at the kiosk
    Column("token", String(64), nullable=False, unique=True),  # the citizen's key to cancel it
    Column("service", String(64), nullable=False),
    Column("day", String(10), nullable=False),  # the hall day of the slot
    Column("slot_start", BigInteger, nullable=False),
    Column("slot_end", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # booked | checked_in | cancelled
    Column("created_at", BigInteger, nullable=False),
    Column("phone", String(32)),
    Column("lang", String(8)),
    Column("ticket_id", String(32)),  # the ticket its check-in issued
    Index("ix_appointments_slot", "service", "slot_start", "status"),
    Index("ix_appointments_day", "day", "service"),
)
