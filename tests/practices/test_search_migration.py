"""Migration 0013 on a real database: it fills the index from what is already published,
the search works on what it built, and it goes down and up again."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import insert, inspect

from bot.services.practices.search import index_practice, search_practices
from storage.db import Database
from storage.migrate import alembic_config, upgrade
from storage.models import Practice, User
from tests.harness.factories import NOW, empty_database, make_branch


async def _tables(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _publish(database: Database, branch_id: int, title: str) -> int:
    async with database.transaction() as session:
        values = {"title": title, "what_done": "Сделали", "result": "Получилось"}
        values |= {"author_id": 100, "branch_id": branch_id, "category": "other"}
        values |= {"status": "published", "contact_offer": False, "likes_count": 0}
        values |= {"adoptions_count": 0, "created_at": NOW, "submitted_at": NOW}
        values |= {"published_at": NOW, "updated_at": NOW}
        return int(
            (await session.execute(insert(Practice).returning(Practice.id), values)).scalar_one()
        )


async def test_the_migration_indexes_what_is_published_and_goes_down_and_up(settings):
    url = settings.database_url
    config = alembic_config(url)
    await empty_database(url)
    await asyncio.to_thread(command.upgrade, config, "0012")
    database = Database(url)
    branch_id = await make_branch(database)
    async with database.transaction() as session:
        session.add(User(id=100, full_name="Анна", branch_id=branch_id, created_at=NOW))
    before = await _publish(database, branch_id, "Наставничество для секретарей")

    await asyncio.to_thread(upgrade, url)
    after = await _publish(database, branch_id, "Наставник для ТОСа")
    async with database.transaction() as session:
        practice = await session.get(Practice, after)
        assert practice is not None
        await index_practice(session, practice)
    async with database.reading() as session:
        page = await search_practices(session, "наставники")
    assert {h.practice_id for h in page.hits} == {before, after}

    await asyncio.to_thread(command.downgrade, config, "0012")
    assert not any(t.startswith("practice_search") for t in await _tables(database))
    await asyncio.to_thread(upgrade, url)
    async with database.reading() as session:
        page = await search_practices(session, "ТОС")
    assert [h.practice_id for h in page.hits] == [after]
    await database.dispose()
