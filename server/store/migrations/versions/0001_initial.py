"""The first schema: tickets, window states, the event log, idempotency keys, hall state.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("number", sa.String(8), nullable=False),
        sa.Column("seq_no", sa.Integer, nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("origin_service", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("queued_at", sa.BigInteger, nullable=False),
        sa.Column("called_at", sa.BigInteger),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("window", sa.String(64)),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("rating", sa.String(12)),
        sa.Column("lang", sa.String(8)),
        sa.Column("device", sa.String(64)),
        sa.Column("transfers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("uq_tickets_number", "tickets", ["day", "origin_service", "seq_no"], unique=True)
    op.create_index("ix_tickets_queue", "tickets", ["status", "service", "day", "priority", "queued_at"])
    op.create_table(
        "windows",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("current", sa.String(32)),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_events_day_type", "events", ["day", "type", "seq"])
    op.create_table(
        "idempotency",
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "hall_state",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("hall_state", "idempotency", "events", "windows", "tickets"):
        op.drop_table(name)
