"""broadcasts: many notices queued at once, and the progress line their sender watches

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_A_BROADCAST = sa.text("broadcast_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("shown", sa.Text(), nullable=True),
        sa.Column("shown_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.add_column("outbox", sa.Column("broadcast_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_outbox_broadcast",
        "outbox",
        ["broadcast_id", "status"],
        sqlite_where=IN_A_BROADCAST,
        postgresql_where=IN_A_BROADCAST,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_broadcast", table_name="outbox")
    op.drop_column("outbox", "broadcast_id")
    op.drop_table("broadcasts")
