"""Mandates («наказы избирателей»): the mandate, its photos, history, supporters and the
per-branch number counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Mandate(Base):
    """A voter's mandate submitted by a member of a branch, and where it stands.

    `due_at` is the end of the working-day deadline for the first answer; the first status
    change from `new` sets `first_answered_at`. Overdue = no first answer and past `due_at`.
    """

    __tablename__ = "mandates"
    __table_args__ = (
        # The secretary's inbox and the curator's list: a branch's mandates by status, by age.
        Index("ix_mandates_branch_status", "branch_id", "status", "created_at"),
        # Export and the unfiltered curator list: a branch's mandates in a period.
        Index("ix_mandates_branch_created", "branch_id", "created_at"),
        # «Мои наказы», newest first.
        Index("ix_mandates_author_created", "author_id", "created_at"),
        # Reminders: every unanswered mandate whose deadline passed.
        Index("ix_mandates_due", "first_answered_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    on_behalf: Mapped[str] = mapped_column(String(8))  # "self" or "voter"
    voter_name: Mapped[str | None] = mapped_column(String(200))
    voter_phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    status: Mapped[str] = mapped_column(String(16))
    # The status a clarification returns to when the author answers.
    status_before_clarification: Mapped[str | None] = mapped_column(String(16))
    forwarded_to: Mapped[str | None] = mapped_column(String(300))
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    due_at: Mapped[datetime]
    first_answered_at: Mapped[datetime | None]
    # When it was escalated to the curators, still without a first answer
    # `MANDATE_ESCALATE_DAYS` working days after `due_at` (once: set by a compare-and-set).
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # resolved or rejected; cleared when reopened
    rating: Mapped[int | None] = mapped_column(Integer)  # 1–5, the latest resolution's
    rated_at: Mapped[datetime | None]  # set by a rating or by «нет»; cleared by resolving


class MandatePhoto(Base):
    """An attachment of a mandate, kept by its Telegram file_id: a photo (with the caption
    the author gave it, if any) or a voice message (`kind` "voice"), for the staff to
    look at or play."""

    __tablename__ = "mandate_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(
        ForeignKey("mandates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(8), default="photo", server_default="photo")
    caption: Mapped[str | None] = mapped_column(Text)


class MandateEvent(Base):
    """One line of a mandate's history: who did what, when, the status change, the comment.

    `actor_role` is the capacity they acted in ("author", "secretary", "curator", "admin"),
    kept as it was at the time, so history reads right after roles change.
    """

    __tablename__ = "mandate_events"
    __table_args__ = (Index("ix_mandate_events_mandate", "mandate_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandates.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)  # the author's 1–5, on "rated"/"reopened"
    created_at: Mapped[datetime]


class MandateSupporter(Base):
    """A member who supported someone else's mandate instead of sending a duplicate."""

    __tablename__ = "mandate_supporters"

    mandate_id: Mapped[int] = mapped_column(
        ForeignKey("mandates.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    supported_at: Mapped[datetime]


class MandateCounter(Base):
    """The last sequence number given to a branch's mandates in a year."""

    __tablename__ = "mandate_counters"

    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class MandateCardMessage(Base):
    """Which message shows a mandate's card in a chat, so the card is edited where it is
    rather than sent again, an older copy loses its buttons, and the photos go to a chat
    once (`album_sent`)."""

    __tablename__ = "mandate_card_messages"

    mandate_id: Mapped[int] = mapped_column(
        ForeignKey("mandates.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger)
    album_sent: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]
