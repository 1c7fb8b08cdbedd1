from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy.engine import make_url

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


def _without_ssl_probe(url: str | None) -> str | None:
    """asyncpg first tries an SSL upgrade (`ssl=prefer`); the throwaway local server has no
    SSL, so that probe is only a round trip more and one more place for a connect to stall.
    An `ssl` or `sslmode` already in the URL is kept."""
    if not url:
        return None
    parsed = make_url(url)
    if parsed.get_driver_name() != "asyncpg" or {"ssl", "sslmode"} & set(parsed.query):
        return url
    return parsed.update_query_dict({"ssl": "disable"}).render_as_string(hide_password=False)


# Set by `make test-postgres`: the same suite against PostgreSQL instead of SQLite files.
POSTGRES_URL = _without_ssl_probe(os.environ.get("TEST_POSTGRES_URL"))
# Set by `make test-redis`: FSM state and event isolation in that Redis, as REDIS_URL does.
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def flush_redis() -> None:
    """One Redis for the whole run: each test starts with no conversation in it."""
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        client.flushdb()


@pytest.fixture
def settings(tmp_path) -> Settings:
    if REDIS_URL:
        flush_redis()
    return Settings(
        _env_file=None,
        bot_token="42:TEST-TOKEN",
        bot_username="pervichka_test_bot",
        database_url=POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3",
        redis_url=REDIS_URL,
        admin_ids=frozenset({ADMIN_ID}),
        throttle_rate=1000,
    )


@pytest.fixture(autouse=True)
async def _close_redis_storages(monkeypatch) -> AsyncIterator[None]:
    """Tests build dispatchers (a restart is a second one) and seldom shut them down; with
    Redis each holds a connection pool, closed here as the shutdown would close it."""
    if not REDIS_URL:
        yield
        return
    import bot.app

    built: list[BaseStorage] = []
    real = bot.app.build_fsm_storage

    def build(*args, **kwargs):
        storage, isolation = real(*args, **kwargs)
        built.append(storage)
        return storage, isolation

    monkeypatch.setattr(bot.app, "build_fsm_storage", build)
    yield
    for storage in built:
        await storage.close()


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
