"""The first call kept: `tickets.first_called_at`, which waits are measured to.

A recall, a requeued no-show called again or a transfer called at another window moves
`called_at` to the latest call; the first one is kept from this revision on. Tickets called
before it get the time of their earliest `ticket.called` event (microseconds, like every time
here); tickets never called, or whose events were pruned, keep NULL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("first_called_at", sa.BigInteger))
    # Exports and reports read tickets by issue time over a range of days.
    op.create_index("ix_tickets_issued", "tickets", ["issued_at"])
    # A service's latest service times (the wait estimate of every ticket issued): without it
    # SQLite walks all of the service's history and sorts it, slower each day a hall runs.
    op.create_index("ix_tickets_done", "tickets", ["service", "status", "finished_at"])
    # One pass over the call events (a subquery per ticket would rescan them for each one).
    ticket_id = ("data::json #>> '{ticket,id}'" if op.get_bind().dialect.name == "postgresql"
                 else "json_extract(data, '$.ticket.id')")
    op.execute(f"""
        UPDATE tickets SET first_called_at = calls.first_at
        FROM (SELECT {ticket_id} AS ticket_id, min(at) AS first_at
              FROM events WHERE type = 'ticket.called' GROUP BY {ticket_id}) AS calls
        WHERE tickets.id = calls.ticket_id
    """)


def downgrade() -> None:
    op.drop_index("ix_tickets_done", "tickets")
    op.drop_index("ix_tickets_issued", "tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("first_called_at")
