"""mandate_photos: an attachment may be a voice message, and a photo keeps its caption

Revision ID: 0009
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mandate_photos") as batch:
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="photo"))
        batch.add_column(sa.Column("caption", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mandate_photos") as batch:
        batch.drop_column("caption")
        batch.drop_column("kind")
