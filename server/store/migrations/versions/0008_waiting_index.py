"""The waiting tickets indexed apart, with what their order in line is decided by.

A ticket's place in line (the number ahead of it, on every ticket issued) was counted over the
table's rows of its queue, each row looked up in the table; a flat-out hall's long queues made that
a third of its writer's time. This index holds only the waiting tickets, and every column the
count reads, so the count never leaves it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As in schema.py (WAITING_ORDER, WAITING_ONLY, and why the plus) when this revision was made.
COLUMNS = ["day", "service", "priority", "queued_at", "seq_no", "id", "appointment_code",
           "slot_start", "slot_late", "calls", "status"]


def upgrade() -> None:
    op.create_index("ix_tickets_waiting", "tickets", COLUMNS,
                    sqlite_where=sa.text("+status = 'waiting'"),
                    postgresql_where=sa.text("status = 'waiting'"))


def downgrade() -> None:
    op.drop_index("ix_tickets_waiting", "tickets")
