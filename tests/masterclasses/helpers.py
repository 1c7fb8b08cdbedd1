"""What the masterclass service tests share: the mandate tests' `world` (two branches of
Krasnodar on Moscow time, one of Novosibirsk, a member, secretary, curator and admin on
each side), a few more members, and a masterclass created as a given organiser."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.services.masterclasses.audience import Audience, Scope
from bot.services.masterclasses.events import MasterclassDraft, create_masterclass
from storage.db import Database
from storage.models import Masterclass, MasterclassRegistration, OutboxMessage, User
from tests.harness.factories import NOW
from tests.mandates.helpers import World, person

FAR_MEMBER = 600  # a member of the Novosibirsk branch
CROWD_FROM = 10_000  # extra members of the author's branch: CROWD_FROM, CROWD_FROM + 1, …


async def add_members(database: Database, branch_id: int, *user_ids: int) -> None:
    async with database.transaction() as session:
        session.add_all(
            User(id=u, full_name=f"Участник {u}", branch_id=branch_id, created_at=NOW)
            for u in user_ids
        )


def draft(starts_at: datetime, **fields: Any) -> MasterclassDraft:
    values: dict[str, Any] = {
        "title": "Как работать с наказами",
        "description": "Разбор лучших практик первичных отделений",
        "host": "Михаил Есаян, секретарь ПО 20-03",
        "starts_at": starts_at,
        "duration_minutes": 90,
        "audience": Audience(Scope.ALL),
        "place": "Краснодар, ул. Красная, 1",
    }
    values.update(fields)
    return MasterclassDraft(**values)


async def create(
    database: Database, organiser: int, starts_at: datetime, now: datetime, **fields: Any
) -> Masterclass:
    who = await person(database, organiser)
    async with database.transaction() as session:
        return await create_masterclass(session, who, draft(starts_at, **fields), now)


async def for_branch(world: World, database: Database, now: datetime, **fields: Any) -> Masterclass:
    """A masterclass for the author's branch, created by its curator, two days ahead."""
    fields.setdefault("audience", Audience(Scope.BRANCH, world.branch))
    starts_at = fields.pop("starts_at", now + timedelta(days=2))
    return await create(database, world.curator, starts_at, now, **fields)


async def registrations(database: Database, masterclass_id: int) -> list[MasterclassRegistration]:
    async with database.sessions() as session:
        return list(
            await session.scalars(
                select(MasterclassRegistration)
                .where(MasterclassRegistration.masterclass_id == masterclass_id)
                .order_by(MasterclassRegistration.id)
            )
        )


async def fresh(database: Database, masterclass_id: int) -> Masterclass:
    async with database.sessions() as session:
        found = await session.get(Masterclass, masterclass_id)
        assert found is not None
        return found


async def texts_to(database: Database, chat_id: int) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload.get("text", "") for row in rows]
