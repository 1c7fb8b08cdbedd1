"""outbox: partial indexes of pending rows, an index of age for pruning

Revision ID: 0007
Revises: 0006

The sender's query walks pending rows by due time and probes each chat's queue
(bot/delivery/queue.py); both indexes hold pending rows only, so rows already sent cost
nothing. Sent rows are pruned by age (OUTBOX_KEEP_DAYS). A row held for quiet hours now
also has its `not_before` at the end of the hold, which the sender relies on: rows held
before this revision get it here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_index("ix_outbox_chat_id", table_name="outbox")
    for name, columns in (
        ("ix_outbox_pending_due", ["not_before", "id"]),
        ("ix_outbox_pending_chat", ["chat_id", "id"]),
    ):
        op.create_index(name, "outbox", columns, sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"])
    op.execute(
        "UPDATE outbox SET not_before = held_until"
        " WHERE status = 'pending' AND held_until > not_before"
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_created_at", table_name="outbox")
    op.drop_index("ix_outbox_pending_chat", table_name="outbox")
    op.drop_index("ix_outbox_pending_due", table_name="outbox")
    op.create_index("ix_outbox_chat_id", "outbox", ["chat_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "not_before"])
