"""Why a cancelled ticket was cancelled: by its citizen, or still waiting when the hall day closed.

The citizen's phone page says which. Tickets cancelled before this revision get the reason their
`ticket.cancelled` event recorded (every such event has one); any other keeps NULL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("cancel_reason", sa.String(16)))
    # One pass over the cancel events (a subquery per ticket would rescan them for each one);
    # the newest event of a ticket wins, though a ticket is cancelled only once.
    if op.get_bind().dialect.name == "postgresql":  # its JSON operators, and DISTINCT ON
        op.execute("""
            UPDATE tickets SET cancel_reason = cancels.reason
            FROM (SELECT DISTINCT ON (data::json #>> '{ticket,id}')
                         data::json #>> '{ticket,id}' AS ticket_id, data::json ->> 'reason' AS reason
                  FROM events WHERE type = 'ticket.cancelled'
                  ORDER BY data::json #>> '{ticket,id}', seq DESC) AS cancels
            WHERE tickets.id = cancels.ticket_id AND tickets.status = 'cancelled'
        """)
        return
    op.execute("""
        UPDATE tickets SET cancel_reason = cancels.reason
        FROM (SELECT json_extract(data, '$.ticket.id') AS ticket_id,
                     json_extract(data, '$.reason') AS reason, max(seq)
              FROM events WHERE type = 'ticket.cancelled' GROUP BY ticket_id) AS cancels
        WHERE tickets.id = cancels.ticket_id AND tickets.status = 'cancelled'
    """)


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("cancel_reason")
