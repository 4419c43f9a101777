"""The central's first schema: halls, their forwarded events kept once, tickets and windows.

Revision ID: c0001
Revises:
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "halls",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("info", sa.Text),
        sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_at", sa.BigInteger),
        sa.Column("caught_up_at", sa.BigInteger),
        sa.Column("last_post_at", sa.BigInteger),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
        sa.Column("day", sa.String(10)),
    )
    op.create_table(
        "hall_events",
        sa.Column("hall", sa.String(63), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("day", sa.String(10)),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("hall", sa.String(63), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("number", sa.String(8), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("origin_service", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("called_at", sa.BigInteger),
        sa.Column("first_called_at", sa.BigInteger),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("window", sa.String(64)),
        sa.Column("staff", sa.String(64)),
        sa.Column("rating", sa.String(12)),
        sa.Column("transfers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cancel_reason", sa.String(16)),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_central_tickets_day", "tickets", ["day", "hall"])
    op.create_index("ix_central_tickets_live", "tickets", ["hall", "day", "status"])
    op.create_table(
        "windows",
        sa.Column("hall", sa.String(63), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(8), nullable=False),
    )


def downgrade() -> None:
    for table in ("windows", "tickets", "hall_events", "halls"):
        op.drop_table(table)
