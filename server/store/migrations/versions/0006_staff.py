"""Who served a ticket: `tickets.staff`, and who is at a window now: `windows.staff`.

Reports by staff member (API.md "Reports") count a ticket for the member of staff who served it
last. A ticket is served through a window, by a clerk signed in at the console or by the window's
keys: the window remembers the member who last worked it (`windows.staff`) so that the keys'
calls are theirs too. Tickets served before this revision keep NULL: the audit log names a
ticket only by its number of the day, too loosely to rebuild who served it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("staff", sa.String(64)))
    op.add_column("windows", sa.Column("staff", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("staff")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("staff")
