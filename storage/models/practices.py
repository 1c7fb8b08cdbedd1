"""Best practices («лучшие практики»): a practice, its attachments and history, likes,
and the branches that adopt it with their answer four weeks later.

The rules that must hold whatever the code does are the database's own:

- **one decision counts**: a moderator's decision is a compare-and-set on `status`
  (`moderation` → `published` | `returned`), so of two moderators pressing at once one
  changes the row and the other finds it decided (and `moderated_by` says by whom);
- **one like per person, one adoption per branch**: the primary keys / unique pairs below;
  `likes_count` and `adoptions_count` are kept with them in the same transaction, so the
  lists can sort by usefulness without counting rows;
- a follow-up answer is one of three, the status one of three (CHECKs below).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Practice(Base):
    """One practice as its author wrote it, with where it comes from (the author's branch
    when it was shared: the card shows the branch and region, never the account)."""

    __tablename__ = "practices"
    __table_args__ = (
        CheckConstraint("status IN ('moderation', 'returned', 'published')", name="status_known"),
        CheckConstraint("likes_count >= 0 AND adoptions_count >= 0", name="counts_positive"),
        # The catalogue: published ones, newest first, all or by category.
        Index("ix_practices_published", "status", "published_at"),
        Index("ix_practices_category", "status", "category", "published_at"),
        # /moderation: what waits, oldest first.
        Index("ix_practices_waiting", "status", "submitted_at"),
        Index("ix_practices_author", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))  # a code of PRACTICE_CATEGORIES
    what_done: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    document_file_id: Mapped[str | None] = mapped_column(String(256))
    document_name: Mapped[str | None] = mapped_column(String(256))
    contact_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="moderation")
    moderated_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    moderated_at: Mapped[datetime | None]
    return_comment: Mapped[str | None] = mapped_column(Text)  # the last «на доработку»
    likes_count: Mapped[int] = mapped_column(Integer, default=0)
    adoptions_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime]  # the last time it was sent to moderation
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PracticePhoto(Base):
    """A photo of a practice by its Telegram file_id, in the order the author sent them."""

    __tablename__ = "practice_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[str] = mapped_column(String(256))
    caption: Mapped[str | None] = mapped_column(Text)


class PracticeEvent(Base):
    """One line of a practice's history: submitted, returned (with the comment), sent
    again, published; who (in which capacity) and when."""

    __tablename__ = "practice_events"
    __table_args__ = (Index("ix_practice_events_practice", "practice_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_role: Mapped[str] = mapped_column(String(16))  # author, curator, admin
    action: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class PracticeLike(Base):
    """«Полезно»: one per person; pressing again takes it back (the row goes)."""

    __tablename__ = "practice_likes"

    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime]


class PracticeAdoption(Base):
    """«Берём в работу»: a branch adopts a practice, once. Four weeks later the person who
    pressed it is asked «Получилось?»; the answer and an optional comment are kept here."""

    __tablename__ = "practice_adoptions"
    __table_args__ = (
        UniqueConstraint("practice_id", "branch_id"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('yes', 'no', 'trying')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"))
    adopted_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    adopted_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(8))
    outcome_comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
