"""Planning and cancelling due work, inside the transaction that causes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from storage.models.due_work import NO_RECIPIENT, DueWork
from storage.statements import dialect_insert, rows_changed

# What a job may still be stopped in: waiting, or claimed but not yet done.
CANCELLABLE = ("pending", "running")


@dataclass(frozen=True, slots=True)
class DueJob:
    """What a handler gets: ids only. It looks everything else up when it runs."""

    id: int
    kind: str
    subject: str
    recipient: int | None
    due_at: datetime
    attempts: int  # including this one
    # What the kind's `prepare` made before the job's transaction (`DueWorkRegistry`).
    prepared: object = None

    @classmethod
    def of(cls, row: DueWork) -> DueJob:
        return cls(
            id=row.id,
            kind=row.kind,
            subject=row.subject,
            recipient=None if row.recipient_id == NO_RECIPIENT else row.recipient_id,
            due_at=row.due_at,
            attempts=row.attempts,
        )


def _recipient(recipient: int | None) -> int:
    if recipient == NO_RECIPIENT:
        raise ValueError("recipient 0 means 'nobody'; pass None")
    return NO_RECIPIENT if recipient is None else recipient


async def plan(
    session: AsyncSession,
    kind: str,
    subject: str | int,
    recipient: int | None,
    due_at: datetime,
    *,
    now: datetime | None = None,
) -> bool:
    """Plan `kind` about `subject` for `recipient` at `due_at`; True if it was not planned yet.

    Idempotent on (kind, subject, recipient, due_at): planning the same thing again changes
    nothing, and a done one is never planned again. A cancelled one is planned again (a
    registration cancelled and made anew gets its reminders back).
    """
    return await plan_many(session, kind, [(subject, recipient, due_at)], now=now) == 1


async def plan_many(
    session: AsyncSession,
    kind: str,
    jobs: Iterable[tuple[str | int, int | None, datetime]],
    *,
    now: datetime | None = None,
) -> int:
    """`plan` for many (subject, recipient, due_at) of one kind in a few statements: a
    masterclass moved to another time re-plans the reminders of all its people at once.
    Returns how many were not planned yet (or were cancelled and are planned again)."""
    unique: dict[tuple[str, int, datetime], dict[str, object]] = {}
    for subject, recipient, due_at in jobs:
        due_at = as_utc(due_at)
        # One key twice in a statement is an error on PostgreSQL: planned once anyway.
        unique[(str(subject), _recipient(recipient), due_at)] = {
            "kind": kind,
            "subject": str(subject),
            "recipient_id": _recipient(recipient),
            "due_at": due_at,
            "not_before": due_at,
            "status": "pending",
            "attempts": 0,
            "created_at": as_utc(now) if now is not None else due_at,
        }
    if not unique:
        return 0
    statement = dialect_insert(session, DueWork)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "subject", "recipient_id", "due_at"],
        set_={
            "status": "pending",
            "not_before": statement.excluded.not_before,
            "attempts": 0,
            "claimed_by": None,
            "claimed_until": None,
            "last_error": None,
        },
        where=DueWork.status == "cancelled",
    ).returning(DueWork.id)
    # Many parameter sets to one cached statement: SQLAlchemy sends them as multi-row
    # INSERTs ("insertmanyvalues") without compiling a statement per batch; RETURNING says
    # which rows were new or revived, which a driver's executemany cannot count.
    result = await session.execute(statement, list(unique.values()))
    return len(result.all())


async def cancel(
    session: AsyncSession, kind: str, subject: str | int, recipient: int | None = None
) -> int:
    """Cancel what is not done yet of `kind` about `subject`: for `recipient`, or for
    everyone when it is None. Returns how many were cancelled. A job claimed by a runner but
    not finished is cancelled too; the runner then skips it (its finish is a
    compare-and-set on the status), and a recurring series stops."""
    statement = (
        update(DueWork)
        .where(
            DueWork.kind == kind,
            DueWork.subject == str(subject),
            DueWork.status.in_(CANCELLABLE),
        )
        .values(status="cancelled", claimed_by=None, claimed_until=None)
    )
    if recipient is not None:
        statement = statement.where(DueWork.recipient_id == _recipient(recipient))
    return await rows_changed(session, statement)
