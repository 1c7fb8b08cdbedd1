"""Which updates were already applied: Telegram hands an update out again until it is
confirmed, and a crash between a handler's commit and that confirmation would otherwise
apply it twice (a mandate's text taken as the answer to the next question)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledUpdate
from storage.statements import dialect_insert, rows_changed

# Telegram keeps an unconfirmed update for 24 hours; ids are kept a while longer.
KEEP_FOR_DAYS = 3


async def first_time(session: AsyncSession, bot_id: int, update_id: int, now: datetime) -> bool:
    """Record the update as handled in the caller's transaction; False if it already was.

    On PostgreSQL a second delivery racing the first waits on the key until the first
    commits (then it is a duplicate) or rolls back (then it is handled after all)."""
    statement = (
        dialect_insert(session, HandledUpdate.__table__)
        .values(bot_id=bot_id, update_id=update_id, handled_at=now)
        .on_conflict_do_nothing()
    )
    return await rows_changed(session, statement) == 1


async def was_handled(session: AsyncSession, bot_id: int, update_id: int) -> bool:
    """Whether the update was applied already (a read: no write turn for it)."""
    found = await session.scalar(_HANDLED, {"bot_id": bot_id, "update_id": update_id})
    return found is not None


# Built once: every update asks, and building the statement cost more than running it.
_HANDLED = select(HandledUpdate.update_id).where(
    HandledUpdate.bot_id == bindparam("bot_id"), HandledUpdate.update_id == bindparam("update_id")
)


async def forget_before(session: AsyncSession, moment: datetime) -> int:
    return await rows_changed(
        session, delete(HandledUpdate).where(HandledUpdate.handled_at < moment)
    )
