"""Recurring duties («регулярные задачи»): a reminder an admin sets for a role, its
occurrences, and each recipient's mark.

- a **duty** is for the secretaries or the curators, of everyone or one region, local
  branch or branch; its schedule is an RRULE (`rule`, without DTSTART) read in each
  recipient's own zone, `kind` says how it was chosen (monthly, weekly, once);
- an **occurrence** is one firing of it, keyed by the wall-clock moment of the rule
  (`wall`, «2026-11-20T10:00»): the same for a Moscow and a Novosibirsk secretary, each
  reminded at 10:00 of their own zone; unique per duty, so a doubled tick makes one;
- a **mark** is one recipient of one occurrence: made when the reminder is sent (so the
  occurrence's recipients are its marks), `done_at` once «Сделано» is pressed, set once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Duty(Base):
    __tablename__ = "duties"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # secretary | curator
    scope: Mapped[str] = mapped_column(String(16))  # all | region | local_branch | branch
    region_id: Mapped[int | None] = mapped_column(Integer)
    local_branch_id: Mapped[int | None] = mapped_column(Integer)
    branch_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # monthly | weekly | once
    rule: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class DutyOccurrence(Base):
    __tablename__ = "duty_occurrences"
    __table_args__ = (UniqueConstraint("duty_id", "wall"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duties.id", ondelete="CASCADE"), index=True)
    wall: Mapped[str] = mapped_column(String(16))  # local «YYYY-MM-DDTHH:MM» of the rule
    created_at: Mapped[datetime]


class DutyMark(Base):
    __tablename__ = "duty_marks"
    __table_args__ = (UniqueConstraint("occurrence_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("duty_occurrences.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    snoozed: Mapped[int] = mapped_column(Integer, default=0)  # times «Напомнить завтра»
