"""Masterclasses («мастер-классы»): the event and the registrations for it.

The rules that must hold whatever the code does are the database's own:

- **a person registers once**: one row per (masterclass, person); cancelling keeps the
  row (status `cancelled`), registering again reuses it;
- **exactly N seats**: `seats_taken` counts the seated registrations and a CHECK keeps it
  at most `capacity`. A seat is taken by one conditional UPDATE of the masterclass row
  (`seats_taken < capacity`), which the row's lock serialises on PostgreSQL and the one
  writer on SQLite, so two people pressing for the last seat cannot both get it;
- **a queue in order**: a waiting registration carries `queue_number`, drawn from the
  masterclass's `queue_last` in the same row update, unique per masterclass and never
  reused, so the first in line is the smallest number;
- the audience's columns agree with its scope (CHECKs below), a rating is 1–5.
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


class Masterclass(Base):
    """One event: what, who hosts it, when (UTC), where, for whom, how many seats.

    `timezone` is the organiser's zone when it was created: the one its times were typed
    in and its `.ics` names. `ics_sequence` rises with every change people are told about.
    """

    __tablename__ = "masterclasses"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "seats_taken >= 0 AND (capacity IS NULL OR seats_taken <= capacity)",
            name="seats_within_capacity",
        ),
        CheckConstraint("(place IS NULL) <> (online_url IS NULL)", name="place_or_online"),
        CheckConstraint(
            "audience_scope IN ('all', 'region', 'local_branch', 'branch')", name="scope_known"
        ),
        CheckConstraint(
            "(audience_scope = 'all') = (audience_region_id IS NULL)", name="scope_region"
        ),
        CheckConstraint(
            "(audience_scope IN ('local_branch', 'branch'))"
            " = (audience_local_branch_id IS NOT NULL)",
            name="scope_local_branch",
        ),
        CheckConstraint(
            "(audience_scope = 'branch') = (audience_branch_id IS NOT NULL)", name="scope_branch"
        ),
        CheckConstraint("status IN ('published', 'cancelled')", name="status_known"),
        CheckConstraint("registration_deadline <= starts_at", name="deadline_before_start"),
        # The upcoming list: published ones by start.
        Index("ix_masterclasses_status_starts", "status", "starts_at"),
        Index("ix_masterclasses_organiser", "organiser_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(500))
    online_url: Mapped[str | None] = mapped_column(String(1000))
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    queue_last: Mapped[int] = mapped_column(Integer, default=0)  # the last queue number given
    # Who may see and register: everyone, or the people of one region, local branch or
    # branch (the wider columns are filled too: a branch's local branch and region);
    # `secretaries_only` narrows it to the secretaries of those branches.
    audience_scope: Mapped[str] = mapped_column(String(16))
    audience_region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), index=True
    )
    audience_local_branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("local_branches.id", ondelete="CASCADE")
    )
    audience_branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE")
    )
    secretaries_only: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_deadline: Mapped[datetime]
    organiser_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="published")
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    checkin_code: Mapped[str | None] = mapped_column(String(8))
    checkin_expires_at: Mapped[datetime | None]
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class MasterclassRegistration(Base):
    """A person's place at a masterclass: seated, waiting (with a queue number), cancelled
    by them, or declined («Не смогу» on the reminder). Attendance and feedback live here.

    `ics_sequence` rises with the person's own changes (a cancelled registration, a new
    one), so SEQUENCE = the masterclass's + this one always rises for this person."""

    __tablename__ = "masterclass_registrations"
    __table_args__ = (
        UniqueConstraint("masterclass_id", "user_id", name="uq_masterclass_registrations_person"),
        UniqueConstraint(
            "masterclass_id", "queue_number", name="uq_masterclass_registrations_queue_number"
        ),
        CheckConstraint(
            "status IN ('registered', 'waiting', 'cancelled', 'declined')", name="status_known"
        ),
        CheckConstraint("status <> 'waiting' OR queue_number IS NOT NULL", name="waiting_queued"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        # The first in line, and the list by status.
        Index("ix_masterclass_registrations_queue", "masterclass_id", "status", "queue_number"),
        # «Мои мастер-классы».
        Index("ix_masterclass_registrations_user", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    masterclass_id: Mapped[int] = mapped_column(ForeignKey("masterclasses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    queue_number: Mapped[int | None] = mapped_column(Integer)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    attended_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    seated_at: Mapped[datetime | None]  # when they got a seat (at once or from the queue)
    cancelled_at: Mapped[datetime | None]
