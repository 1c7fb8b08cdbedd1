"""Small builders for the rows tests need, written straight to the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.services.people import Role, grant_role
from storage.db import Database
from storage.models import Base, Branch, Consent, LocalBranch, Region, User

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def make_branch(
    database: Database,
    number: str = "20-03",
    *,
    region_code: str = "23",
    region_name: str = "Краснодарский край",
    timezone: str = "Europe/Moscow",
    local_name: str = "Краснодарское местное отделение",
    name: str = "первый Береговой округ",
) -> int:
    async with database.transaction() as session:
        region = await session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            region = Region(code=region_code, name=region_name, timezone=timezone)
            session.add(region)
            await session.flush()
        local = await session.scalar(
            select(LocalBranch).where(
                LocalBranch.region_id == region.id, LocalBranch.name == local_name
            )
        )
        if local is None:
            local = LocalBranch(region_id=region.id, name=local_name)
            session.add(local)
            await session.flush()
        branch = Branch(region_id=region.id, local_branch_id=local.id, number=number, name=name)
        session.add(branch)
        await session.flush()
        return branch.id


async def make_user(
    database: Database,
    user_id: int,
    *,
    branch_id: int | None = None,
    consent: bool = True,
    roles: dict[Role, list[int]] | None = None,
    full_name: str = "Тестовый Пользователь",
) -> int:
    """A user past onboarding: consent given, in `branch_id`, holding `roles` per branch."""
    async with database.transaction() as session:
        session.add(
            User(
                id=user_id,
                full_name=full_name,
                branch_id=branch_id,
                created_at=NOW,
                joined_branch_at=NOW if branch_id else None,
            )
        )
        await session.flush()
        if consent:
            session.add(Consent(user_id=user_id, version=1, accepted=True, decided_at=NOW))
        for role, branch_ids in (roles or {}).items():
            for b in branch_ids:
                await grant_role(session, user_id, role, NOW, branch_id=b)
    return user_id


async def empty_database(url: str) -> None:
    """Drop every table, migrations' bookkeeping included, so Alembic starts from nothing
    (a new SQLite file is empty anyway; a shared PostgreSQL test database is not)."""
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    await database.dispose()
