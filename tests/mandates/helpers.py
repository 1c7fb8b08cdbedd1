"""A small world for the mandate service tests: two branches of one region and one of
another, a member, a secretary, a curator and an admin for each side.
The `world` fixture reaches every test through `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.services.mandates import decisions
from bot.services.mandates.draft import MandateDraft, MandateRules
from bot.services.mandates.submission import submit_mandate
from bot.services.people import Person, Role, grant_role, load_person
from storage.db import Database
from storage.models import Branch, Consent, Mandate, MandateEvent, OutboxMessage, User
from tests.harness.factories import NOW, make_branch

ADMIN_ID = 1
SLA_DAYS = 3
RULES = MandateRules(sla_days=SLA_DAYS)
TEXT = "Во дворе дома 15 по улице Ленина не работает уличное освещение"


@dataclass(frozen=True)
class World:
    branch: int  # 20-03, where the author lives
    other_branch: int  # 20-04, same region
    far_branch: int  # 7, another region (Novosibirsk time)
    author: int = 100
    member: int = 101  # another member of the author's branch
    foreign_member: int = 200
    secretary: int = 300
    foreign_secretary: int = 301
    curator: int = 400
    foreign_curator: int = 401
    admin: int = ADMIN_ID
    region_admin: int = 500  # an admin of the far region only
    far_secretary: int = 302


@pytest.fixture
async def world(database: Database) -> World:
    branch = await make_branch(database, "20-03")
    other = await make_branch(database, "20-04", name="второй Береговой округ")
    far = await make_branch(
        database,
        "7",
        region_code="54",
        region_name="Новосибирская область",
        timezone="Asia/Novosibirsk",
        local_name="Новосибирское местное отделение",
        name="Заельцовский округ",
    )
    w = World(branch, other, far)
    # One transaction for all the people: the world is built for nearly every test.
    people = [
        (w.author, branch, {}, "Анна Автор"),
        (w.member, branch, {}, "Михаил"),
        (w.foreign_member, other, {}, "Фёдор"),
        (w.secretary, None, {Role.SECRETARY: branch}, "Сергей"),
        (w.foreign_secretary, None, {Role.SECRETARY: other}, "Семён"),
        (w.far_secretary, None, {Role.SECRETARY: far}, "Софья"),
        (w.curator, None, {Role.CURATOR: branch}, "Ксения"),
        (w.foreign_curator, None, {Role.CURATOR: other}, "Кирилл"),
        (w.admin, None, {}, "Алексей"),
        (w.region_admin, None, {}, "Регина"),
    ]
    async with database.transaction() as session:
        for user_id, home, _, name in people:
            session.add(
                User(
                    id=user_id,
                    full_name=name,
                    branch_id=home,
                    created_at=NOW,
                    joined_branch_at=NOW if home else None,
                )
            )
        await session.flush()
        for user_id, _, roles, _ in people:
            session.add(Consent(user_id=user_id, version=1, accepted=True, decided_at=NOW))
            for role, branch_id in roles.items():
                await grant_role(session, user_id, role, NOW, branch_id=branch_id)
        region_id = await session.scalar(select(Branch.region_id).where(Branch.id == far))
        await grant_role(session, w.region_admin, Role.ADMIN, NOW, region_id=region_id)
    return w


async def person(database: Database, user_id: int) -> Person:
    async with database.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return await load_person(
            session,
            user,
            admin_ids=frozenset({ADMIN_ID}),
            consent_version=1,
            default_timezone="Europe/Moscow",
        )


def draft(text: str = TEXT, category: str = "housing", **fields: object) -> MandateDraft:
    return MandateDraft(category=category, text=text, **fields)  # type: ignore[arg-type]


async def submit(
    database: Database,
    user_id: int,
    now: datetime,
    text: str = TEXT,
    category: str = "housing",
    branch_id: int | None = None,
    **fields: object,
) -> Mandate:
    who = await person(database, user_id)
    async with database.transaction() as session:
        return await submit_mandate(
            session, who, draft(text, category, **fields), now, RULES, branch_id=branch_id
        )


async def act(database: Database, fn, user_id: int, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    """Run a service call as `user_id` in its own transaction (rolled back if it raises)."""
    who = await person(database, user_id)
    async with database.transaction() as session:
        return await fn(session, who, *args, **kwargs)


async def get_mandate(database: Database, mandate_id: int) -> Mandate:
    async with database.sessions() as session:
        mandate = await session.get(Mandate, mandate_id)
        assert mandate is not None
        return mandate


async def events(database: Database, mandate_id: int) -> list[MandateEvent]:
    async with database.sessions() as session:
        return list(
            await session.scalars(
                select(MandateEvent)
                .where(MandateEvent.mandate_id == mandate_id)
                .order_by(MandateEvent.id)
            )
        )


async def outbox(database: Database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


UNRELATED = "Нужно отремонтировать дорогу на проспекте Мира, сплошные ямы после зимы"


def buttons(message: OutboxMessage) -> list[str]:
    return [b["callback_data"] for row in message.payload.get("buttons", []) for b in row]


async def count(database, model) -> int:
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def notices_after(database, before: int) -> list[OutboxMessage]:
    return (await outbox(database))[before:]


async def resolved(database, world, clock) -> Mandate:
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    await act(
        database, decisions.resolve_mandate, world.secretary, mandate.id, "Готово", clock.now()
    )
    return mandate
