"""State that must outlive the process: FSM conversations and the schema migrations."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.base import StorageKey
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from bot.app import build_bot, build_dispatcher
from storage.db import Database
from storage.fsm import DatabaseStorage
from storage.migrate import upgrade
from storage.models import Base, User
from storage.models.practice_search import include_name
from tests.harness.client import BotClient
from tests.harness.factories import empty_database, make_branch
from tests.harness.session import RecordingSession


async def test_a_conversation_started_before_a_restart_is_finished_after_it(settings, clock):
    await empty_database(settings.database_url)
    await asyncio.to_thread(upgrade, settings.database_url)
    first_db = Database(settings.database_url)
    branch_id = await make_branch(first_db)
    first_dp = build_dispatcher(settings, first_db, clock=clock, start_background=False)
    first = BotClient(first_dp, build_bot(settings, RecordingSession()), 600)
    await first.send("/start")
    await first.click("Даю согласие")
    await first.click("Краснодарский край")
    await first.click("Краснодарское местное отделение")
    buttons = first.messages()[-1]["reply_markup"]
    await first_db.dispose()  # the process dies here

    second_db = Database(settings.database_url)
    second_dp = build_dispatcher(settings, second_db, clock=clock, start_background=False)
    second = BotClient(second_dp, build_bot(settings, RecordingSession()), 600)
    branch_button = buttons.inline_keyboard[0][0]
    await second.click_data(branch_button.callback_data)
    async with second_db.sessions() as session:
        assert await session.scalar(select(User.branch_id).where(User.id == 600)) == branch_id
    assert any("Вы вступили" in text for text in second.replies())
    await second_db.dispose()


async def test_fsm_storage_keeps_state_and_data_per_whole_key(database):
    storage = DatabaseStorage(database)
    key = StorageKey(bot_id=42, chat_id=7, user_id=7)
    in_thread = StorageKey(bot_id=42, chat_id=7, user_id=7, thread_id=3)
    await storage.set_state(key, "Form:text")
    await storage.update_data(key, {"category": "roads", "photos": ["a", "b"]})
    assert await storage.get_state(key) == "Form:text"
    assert await storage.get_data(key) == {"category": "roads", "photos": ["a", "b"]}
    assert await storage.get_state(in_thread) is None

    await storage.set_state(key, None)
    await storage.set_data(key, {})
    assert await DatabaseStorage(database).get_data(key) == {}


async def test_migrations_build_exactly_the_schema_the_models_describe(settings):
    await empty_database(settings.database_url)
    await asyncio.to_thread(upgrade, settings.database_url)
    database = Database(settings.database_url)
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_name": include_name}),
                Base.metadata,
            )
        )
    await database.dispose()
    assert diff == []
