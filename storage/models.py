"""Tables. Every moment is stored in UTC; names are the domain's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}  # noqa: RUF012


# --- structure -------------------------------------------------------------------------


class Region(Base):
    """A subject of the Russian Federation, with the time zone its people live in."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class LocalBranch(Base):
    """«Местное отделение»."""

    __tablename__ = "local_branches"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    region: Mapped[Region] = relationship(lazy="joined")


class Branch(Base):
    """«Первичное отделение»: a number such as 20-03 and a territory."""

    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("region_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    local_branch_id: Mapped[int] = mapped_column(
        ForeignKey("local_branches.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))

    local_branch: Mapped[LocalBranch] = relationship(lazy="joined")


# --- people ----------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    full_name: Mapped[str] = mapped_column(String(300), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="SET NULL"), index=True
    )
    joined_branch_at: Mapped[datetime | None]
    # False once Telegram says the user blocked the bot; the outbox skips them.
    is_reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Consent(Base):
    """Each decision on personal-data processing, kept with the text version and time."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime]


class RoleAssignment(Base):
    """A role with its scope: a secretary's branch, one curated branch, an admin's region."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "branch_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[int | None] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime]


class Invite(Base):
    __tablename__ = "invites"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    reusable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]

    branches: Mapped[list[InviteBranch]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )


class InviteBranch(Base):
    __tablename__ = "invite_branches"

    token: Mapped[str] = mapped_column(
        ForeignKey("invites.token", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(
        ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True
    )


# --- conversation state and delivery ---------------------------------------------------


class FsmRecord(Base):
    """aiogram FSM state and data, keyed by the whole StorageKey."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class OutboxMessage(Base):
    """Something the bot owes a person: stored before it is sent, marked when it is."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


# --- mandates («наказы избирателей») -----------------------------------------------------


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
    closed_at: Mapped[datetime | None]  # resolved or rejected; cleared when reopened
    rating: Mapped[int | None] = mapped_column(Integer)  # 1–5, the latest resolution's
    rated_at: Mapped[datetime | None]  # set by a rating or by «нет»; cleared by resolving


class MandatePhoto(Base):
    """A photo attached to a mandate, kept by its Telegram file_id."""

    __tablename__ = "mandate_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(
        ForeignKey("mandates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[str] = mapped_column(String(256))


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


# --- tables in modules of their own ------------------------------------------------------
# Imported here so that everything that needs all tables (Alembic's env.py, the tests'
# `create_all`) gets them by importing this module. Keep at the end: they import `Base`.
# A module import, not `from … import`: it also works when that module is imported first.
import storage.due_work_models  # noqa: E402, F401
