"""Loading a masterclass and a registration the way every change needs them.

Every change to a masterclass's seats, queue or registrations first locks its row
(`locked`: `SELECT … FOR UPDATE` on PostgreSQL; on SQLite `BEGIN IMMEDIATE` already holds
the one write lock), so the changes of one masterclass take turns: two people pressing for
the last seat, a double tap, a cancellation and a promotion never interleave.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import NotFound
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.notices import ends_at
from storage.models import Masterclass, MasterclassRegistration

REGISTERED, WAITING, CANCELLED, DECLINED = "registered", "waiting", "cancelled", "declined"
ACTIVE = (REGISTERED, WAITING)


async def locked(session: AsyncSession, masterclass_id: int) -> Masterclass:
    """The masterclass, fresh from the database and locked until the transaction ends."""
    masterclass = await session.scalar(
        select(Masterclass)
        .where(Masterclass.id == masterclass_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if masterclass is None:
        raise NotFound()
    return masterclass


async def loaded(session: AsyncSession, masterclass_id: int) -> Masterclass:
    """The masterclass for reading (no lock)."""
    masterclass = await session.get(Masterclass, masterclass_id)
    if masterclass is None:
        raise NotFound()
    return masterclass


async def registration_of(
    session: AsyncSession, masterclass_id: int, user_id: int
) -> MasterclassRegistration | None:
    return await session.scalar(
        select(MasterclassRegistration)
        .where(
            MasterclassRegistration.masterclass_id == masterclass_id,
            MasterclassRegistration.user_id == user_id,
        )
        .execution_options(populate_existing=True)
    )


async def place_in_queue(session: AsyncSession, masterclass_id: int, queue_number: int) -> int:
    """The 1-based place of a waiting registration: how many wait with a number ≤ its own."""
    place = await session.scalar(
        select(func.count()).where(
            MasterclassRegistration.masterclass_id == masterclass_id,
            MasterclassRegistration.status == WAITING,
            MasterclassRegistration.queue_number <= queue_number,
        )
    )
    return int(place or 0)


def require_upcoming(masterclass: Masterclass, now: datetime) -> None:
    """Published and not started yet: what registering, editing and cancelling need."""
    if masterclass.status == "cancelled":
        raise MasterclassError("masterclass_cancelled")
    if now >= ends_at(masterclass):
        raise MasterclassError("masterclass_over")
    if now >= masterclass.starts_at:
        raise MasterclassError("masterclass_started")
