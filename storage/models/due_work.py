"""The table of due work: one row per thing that must happen at a moment.

A row names what is due (`kind`), what it is about (`subject`, an id as text) and for whom
(`recipient_id`, 0 when nobody in particular), never the data itself: the kind's handler
looks everything up when it runs, so a reminder planned a month ago uses today's data.

The unique key is (kind, subject, recipient_id, due_at): the same reminder can never be
planned twice. `recipient_id` is 0 rather than NULL for "no recipient" because NULLs are
never equal in a unique key, on SQLite and PostgreSQL alike, and would let duplicates in.
`due_at` is the planned moment and never changes; a retry moves `not_before` instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

NO_RECIPIENT = 0


class DueWork(Base):
    __tablename__ = "due_work"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "recipient_id", "due_at"),
        Index("ix_due_work_claimable", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[int] = mapped_column(BigInteger, default=NO_RECIPIENT)
    due_at: Mapped[datetime]
    # When it may be claimed next: `due_at`, later after a failure (the backoff).
    not_before: Mapped[datetime]
    # pending → running → done; running → pending (retry) | failed; pending → cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
