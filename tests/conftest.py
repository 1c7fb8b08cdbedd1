from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot, Dispatcher

from bot.app import build_bot, build_dispatcher
from bot.config import Settings
from storage.db import Database
from storage.models import Base
from tests.harness.client import BotClient
from tests.harness.clock import FrozenClock
from tests.harness.session import RecordingSession

ADMIN_ID = 1
# The `world` fixture of the mandate tests, and the people of the odd-input tests.
pytest_plugins = ["tests.mandates.helpers", "tests.harness.odd"]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


# Set by `make test-postgres`: the same suite against PostgreSQL instead of SQLite files.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        _env_file=None,
        bot_token="42:TEST-TOKEN",
        bot_username="pervichka_test_bot",
        database_url=POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3",
        admin_ids=frozenset({ADMIN_ID}),
        throttle_rate=1000,
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    async with database.engine.begin() as conn:
        if POSTGRES_URL:  # one database for the whole run: start each test empty
            await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def recording() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
def bot(settings: Settings, recording: RecordingSession) -> Bot:
    return build_bot(settings, session=recording)


@pytest.fixture
async def dp(
    settings: Settings, database: Database, clock: FrozenClock, bot: Bot
) -> AsyncIterator[Dispatcher]:
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    yield dp
    await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)


@pytest.fixture
def make_client(dp: Dispatcher, bot: Bot) -> Callable[..., BotClient]:
    def make(user_id: int, first_name: str = "Иван") -> BotClient:
        return BotClient(dp, bot, user_id, first_name)

    return make
