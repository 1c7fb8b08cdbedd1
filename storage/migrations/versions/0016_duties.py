"""duties: recurring reminders an admin sets for a role, their occurrences and marks

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("local_branch_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duties")),
    )
    op.create_table(
        "duty_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("wall", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duty_id"],
            ["duties.id"],
            name=op.f("fk_duty_occurrences_duty_id_duties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_occurrences")),
        sa.UniqueConstraint("duty_id", "wall", name=op.f("uq_duty_occurrences_duty_id")),
    )
    op.create_index(
        op.f("ix_duty_occurrences_duty_id"), "duty_occurrences", ["duty_id"], unique=False
    )
    op.create_table(
        "duty_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("snoozed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["duty_occurrences.id"],
            name=op.f("fk_duty_marks_occurrence_id_duty_occurrences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_marks")),
        sa.UniqueConstraint("occurrence_id", "user_id", name=op.f("uq_duty_marks_occurrence_id")),
    )
    op.create_index(
        op.f("ix_duty_marks_occurrence_id"), "duty_marks", ["occurrence_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_duty_marks_occurrence_id"), table_name="duty_marks")
    op.drop_table("duty_marks")
    op.drop_index(op.f("ix_duty_occurrences_duty_id"), table_name="duty_occurrences")
    op.drop_table("duty_occurrences")
    op.drop_table("duties")
