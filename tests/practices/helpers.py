"""What the practice service tests share: the mandate tests' `world` (two branches of
Krasnodar, one of Novosibirsk; a member, secretary, curator and admin on each side),
a complete draft, and a practice shared (and published) as a given author."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.services.practices import moderation
from bot.services.practices.draft import PracticeDraft
from bot.services.practices.sharing import submit_practice
from storage.db import Database
from storage.models import OutboxMessage, Practice, PracticeEvent, PracticePhoto
from tests.mandates.helpers import ADMIN_ID, act, person

ADMINS = frozenset({ADMIN_ID})
WHAT_DONE = "Создали ТОС на базе первичного отделения, провели собрание жителей и выборы совета"
RESULT = "Выиграли грант 500 000 ₽, пришли 40 жителей"


def draft(**fields: Any) -> PracticeDraft:
    values: dict[str, Any] = {
        "title": "ТОС на базе первички",
        "category": "tos",
        "what_done": WHAT_DONE,
        "result": RESULT,
    }
    values.update(fields)
    return PracticeDraft(**values)


async def share(database: Database, author: int, now: datetime, **fields: Any) -> Practice:
    who = await person(database, author)
    async with database.transaction() as session:
        return await submit_practice(session, who, draft(**fields), now, admin_ids=ADMINS)


async def shared_and_published(
    database: Database, author: int, moderator: int, now: datetime, **fields: Any
) -> Practice:
    practice = await share(database, author, now, **fields)
    return await act(database, moderation.publish, moderator, practice.id, now)


async def fresh(database: Database, practice_id: int) -> Practice:
    async with database.sessions() as session:
        found = await session.get(Practice, practice_id)
        assert found is not None
        return found


async def history(database: Database, practice_id: int) -> list[tuple[str, str, str | None]]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(PracticeEvent)
            .where(PracticeEvent.practice_id == practice_id)
            .order_by(PracticeEvent.id)
        )
        return [(e.action, e.actor_role, e.comment) for e in rows]


async def photos_of(database: Database, practice_id: int) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(PracticePhoto.file_id)
            .where(PracticePhoto.practice_id == practice_id)
            .order_by(PracticePhoto.position)
        )
        return list(rows)


async def outbox_to(database: Database, chat_id: int) -> list[OutboxMessage]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return list(rows)


async def texts_to(database: Database, chat_id: int) -> list[str]:
    return [row.payload.get("text", "") for row in await outbox_to(database, chat_id)]


def callbacks(row: OutboxMessage) -> list[str]:
    return [b["callback_data"] for line in row.payload.get("buttons", []) for b in line]


# --- for the chat flows (tests/practices/test_*_flow.py, test_inline.py) ------------------

DENIED = "⛔ Нет доступа."


async def published(world: Any, database: Database, now: datetime, **fields: Any) -> Practice:
    """A practice of the author's branch (20-03), shared by `world.author` and published by
    its curator."""
    return await shared_and_published(database, world.author, world.curator, now, **fields)


async def adopted_long_ago(
    world: Any, database: Database, practice_id: int, adopter: int, when: datetime
) -> int:
    """`adopter`'s branch took the practice into work at `when`: the adoption's id."""
    from bot.services.practices import reactions

    done = await act(database, reactions.adopt, adopter, practice_id, when)
    return int(done.adoption_id)
