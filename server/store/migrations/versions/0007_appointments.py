"""Appointments (预约) and the citizen's own rating.

- `appointments`: one row per booking of a service's slot: its 6-digit code (what the citizen
  types or scans at the kiosk), its token (the citizen's key to cancel it), the slot, its status
  (booked | checked_in | cancelled) and, once checked in, its ticket. A slot's places are counted
  from these rows inside the booking's write transaction, so no slot takes more than its places.
- `tickets.appointment_code`, `slot_start`, `slot_late`: a ticket issued by a check-in. The call
  order puts a checked-in appointment whose slot has begun after the green channel and before
  walk-ins; a late one (`slot_late`) queues as a walk-in but still says it was booked.
- `tickets.rating_comment`: what the citizen wrote with their rating on the phone page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("code", sa.String(6), nullable=False, unique=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("slot_start", sa.BigInteger, nullable=False),
        sa.Column("slot_end", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("lang", sa.String(8)),
        sa.Column("ticket_id", sa.String(32)),
    )
    # A slot's booked places, counted on every booking.
    op.create_index("ix_appointments_slot", "appointments", ["service", "slot_start", "status"])
    op.create_index("ix_appointments_day", "appointments", ["day", "service"])
    op.add_column("tickets", sa.Column("appointment_code", sa.String(6)))
    op.add_column("tickets", sa.Column("slot_start", sa.BigInteger))
    op.add_column("tickets", sa.Column("slot_late", sa.Integer, nullable=False, server_default="0"))
    op.add_column("tickets", sa.Column("rating_comment", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for column in ("rating_comment", "slot_late", "slot_start", "appointment_code"):
            batch.drop_column(column)
    op.drop_index("ix_appointments_day", "appointments")
    op.drop_index("ix_appointments_slot", "appointments")
    op.drop_table("appointments")
