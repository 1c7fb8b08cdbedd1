"""A person's own settings (/settings): which reminders they get, their quiet hours, and
when their weekly digest comes. No row: everything as it was before /settings existed."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Preferences(Base):
    __tablename__ = "preferences"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    morning: Mapped[bool] = mapped_column(Boolean, default=True)
    escalation: Mapped[bool] = mapped_column(Boolean, default=True)
    masterclass: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=True)
    # «HH:MM» both, or both None for the bot's own (QUIET_HOURS_*); equal: no quiet hours.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    digest_weekday: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0 Monday … 6 Sunday
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00")
