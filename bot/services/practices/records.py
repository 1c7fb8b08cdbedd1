"""Loading a practice the way every change and read needs it, and who moderates it.

A change of a practice's counters (a like, an adoption) first locks its row (`locked`:
`SELECT … FOR UPDATE` on PostgreSQL; on SQLite `BEGIN IMMEDIATE` already holds the one
write lock), so a double tap and two people at once take turns. A moderator's decision
needs no lock: it is a compare-and-set on the status (`moderation`).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import NotFound
from bot.services.mandates.records import admins_of_region
from bot.services.people import curators_of
from storage.models import Branch, Practice, PracticeEvent, Region, User


class LoadedPractice(NamedTuple):
    """A practice with what access checks and notices need of its branch."""

    practice: Practice
    region_id: int
    timezone: str  # the branch's region's: for dates in its notices


async def load(session: AsyncSession, practice_id: int, *, lock: bool = False) -> LoadedPractice:
    """Fresh from the database (a decision taken in another transaction shows), locked
    until the transaction ends with `lock`. Errors: `NotFound("practice_not_found")`;
    access is the caller's to check."""
    statement = (
        select(Practice, Branch.region_id, Region.timezone)
        .join(Branch, Branch.id == Practice.branch_id)
        .join(Region, Region.id == Branch.region_id)
        .where(Practice.id == practice_id)
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(of=Practice)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFound("practice_not_found")
    return LoadedPractice(row[0], row[1], row[2])


class Origin(NamedTuple):
    """Where a practice comes from, as its card says it: never the author's account."""

    branch_number: str
    branch_name: str
    region_name: str


async def origin_of(session: AsyncSession, branch_id: int) -> Origin:
    row = (
        await session.execute(
            select(Branch.number, Branch.name, Region.name)
            .join(Region, Region.id == Branch.region_id)
            .where(Branch.id == branch_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("branch_not_found")
    return Origin(row[0], row[1], row[2])


async def region_of(session: AsyncSession, branch_id: int) -> int:
    region_id = await session.scalar(select(Branch.region_id).where(Branch.id == branch_id))
    if region_id is None:
        raise NotFound("branch_not_found")
    return region_id


async def moderators_of(
    session: AsyncSession, branch_id: int, region_id: int, admin_ids: frozenset[int]
) -> list[int]:
    """Who gets a practice of this branch to moderate: its curators, then the admins of
    its region and of everything (`admin_ids`: those of the settings too), each once."""
    curators = await curators_of(session, branch_id)
    admins = await admins_of_region(session, region_id, admin_ids)
    return list(dict.fromkeys([*curators, *admins]))


async def name_of(session: AsyncSession, user_id: int | None) -> str:
    """A person's name as the bot knows it, for staff («кто решил»); never for the card."""
    name = await session.scalar(select(User.full_name).where(User.id == user_id))
    return name or "—"


def event(
    practice: Practice,
    actor_id: int | None,
    role: str,
    action: str,
    now: datetime,
    comment: str | None = None,
) -> PracticeEvent:
    return PracticeEvent(
        practice_id=practice.id,
        actor_id=actor_id,
        actor_role=role,
        action=action,
        comment=comment,
        created_at=now,
    )
