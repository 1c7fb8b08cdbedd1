"""practices: a practice, its photos and history, likes, adoptions and their follow-up

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("what_done", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("document_file_id", sa.String(length=256), nullable=True),
        sa.Column("document_name", sa.String(length=256), nullable=True),
        sa.Column("contact_offer", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderated_by", sa.BigInteger(), nullable=True),
        sa.Column("moderated_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_comment", sa.Text(), nullable=True),
        sa.Column("likes_count", sa.Integer(), nullable=False),
        sa.Column("adoptions_count", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('moderation', 'returned', 'published')",
            name=op.f("ck_practices_status_known"),
        ),
        sa.CheckConstraint(
            "likes_count >= 0 AND adoptions_count >= 0", name=op.f("ck_practices_counts_positive")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_practices_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branches.id"],
            name=op.f("fk_practices_branch_id_branches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by"],
            ["users.id"],
            name=op.f("fk_practices_moderated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
    )
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.create_index("ix_practices_author", ["author_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_practices_category", ["status", "category", "published_at"], unique=False
        )
        batch_op.create_index("ix_practices_published", ["status", "published_at"], unique=False)
        batch_op.create_index("ix_practices_waiting", ["status", "submitted_at"], unique=False)

    op.create_table(
        "practice_adoptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("adopted_by", sa.BigInteger(), nullable=True),
        sa.Column("adopted_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.Column("outcome_comment", sa.Text(), nullable=True),
        sa.Column("answered_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('yes', 'no', 'trying')",
            name=op.f("ck_practice_adoptions_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["adopted_by"],
            ["users.id"],
            name=op.f("fk_practice_adoptions_adopted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["branches.id"],
            name=op.f("fk_practice_adoptions_branch_id_branches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_practice_adoptions_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_adoptions")),
        sa.UniqueConstraint(
            "practice_id", "branch_id", name=op.f("uq_practice_adoptions_practice_id")
        ),
    )
    op.create_table(
        "practice_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_practice_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_practice_events_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_events")),
    )
    with op.batch_alter_table("practice_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_practice_events_practice", ["practice_id", "created_at"], unique=False
        )

    op.create_table(
        "practice_likes",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_practice_likes_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_practice_likes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "user_id", name=op.f("pk_practice_likes")),
    )
    op.create_table(
        "practice_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=256), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_practice_photos_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_photos")),
    )
    with op.batch_alter_table("practice_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_photos_practice_id"), ["practice_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("practice_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_photos_practice_id"))

    op.drop_table("practice_photos")
    op.drop_table("practice_likes")
    with op.batch_alter_table("practice_events", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_events_practice")

    op.drop_table("practice_events")
    op.drop_table("practice_adoptions")
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_index("ix_practices_waiting")
        batch_op.drop_index("ix_practices_published")
        batch_op.drop_index("ix_practices_category")
        batch_op.drop_index("ix_practices_author")

    op.drop_table("practices")
