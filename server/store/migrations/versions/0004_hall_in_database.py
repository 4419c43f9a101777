"""The hall in the database: config versions, the audit log, devices seen, green streaks.

The hall config as numbered versions, the audit log, when each device was last seen, and each
window's run of green calls (green-channel fairness).

From this revision the database, not the TOML file, is the hall's source of truth: the first
start seeds version 1 from the file (see Hub.start), with the notices a running hall had set
through PUT /api/notices, which until now lived in hall_state and silently overrode the file's.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hall_config",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),  # JSON {"kind", "id"}
        sa.Column("data", sa.Text, nullable=False),  # JSON, keyed as in the TOML file
    )
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(80)),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(140)),
        sa.Column("before", sa.Text),  # JSON
        sa.Column("after", sa.Text),
    )
    op.create_table(
        "device_seen",
        sa.Column("device", sa.String(64), primary_key=True),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("online", sa.Integer, nullable=False),  # as last announced by device.status
    )
    op.add_column("windows", sa.Column("green_streak", sa.Integer, nullable=False,
                                       server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("green_streak")
    op.drop_table("device_seen")
    op.drop_table("audit")
    op.drop_table("hall_config")
