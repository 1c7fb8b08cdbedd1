"""outbox: claims for several senders, quiet hours

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00

Existing rows respect quiet hours: every notice queued so far is one about somebody
else's action.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_until", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("respect_quiet_hours", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("held_until", storage.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("held_until")
        batch_op.drop_column("respect_quiet_hours")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
