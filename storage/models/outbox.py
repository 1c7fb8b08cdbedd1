"""The outbox: every message the bot sends on its own (see `bot.delivery`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class OutboxMessage(Base):
    """Something the bot owes a person: stored before it is sent, marked when it is."""

    __tablename__ = "outbox"
    # Pending rows only (partial indexes, on SQLite and PostgreSQL alike): what the sender
    # looks for costs the same however many rows were sent before (bot/delivery/queue.py),
    # and sent rows, pruned after OUTBOX_KEEP_DAYS, are found by their age.
    __table_args__ = (
        Index(
            "ix_outbox_pending_due",
            "not_before",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_outbox_pending_chat",
            "chat_id",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_created_at", "created_at"),
        # A broadcast's rows, counted for its progress line (bot/delivery/progress.py).
        Index(
            "ix_outbox_broadcast",
            "broadcast_id",
            "status",
            sqlite_where=text("broadcast_id IS NOT NULL"),
            postgresql_where=text("broadcast_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Which sender is sending the row, and until when the claim holds; a claim that ran
    # out (its sender died) leaves the row to be claimed again.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    # Held during the recipient's quiet hours: every notice that is not an answer to the
    # person's own action. The sender sets `held_until` (the end of their quiet hours) when
    # it finds the row inside them; until then the row stands aside from its chat's queue.
    respect_quiet_hours: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    held_until: Mapped[datetime | None]
    # Not worth sending after this; none: the sender's default (see bot.delivery).
    expires_at: Mapped[datetime | None]
    # One of many rows queued at once for one sender of them (`Broadcast`), who watches
    # a progress line; none for a single notice.
    broadcast_id: Mapped[int | None] = mapped_column(Integer)


class Broadcast(Base):
    """Many notices queued at once, and the line in their sender's chat that says how far
    their delivery got («Разослано 1 200 из 3 400»), edited as it goes."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)  # who sent it, and sees the progress
    label: Mapped[str] = mapped_column(Text)  # HTML: what is being sent
    total: Mapped[int] = mapped_column(Integer)
    # The progress message; 0 while a sender is sending it (a claim among processes).
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    shown: Mapped[str | None] = mapped_column(Text)  # the text last shown there
    shown_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class OutboxFile(Base):
    """A file the bot made itself (a digest's chart or workbook), uploaded with its outbox
    row: a Telegram file_id exists only after a first upload. Kept with its row and
    pruned with it."""

    __tablename__ = "outbox_files"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
