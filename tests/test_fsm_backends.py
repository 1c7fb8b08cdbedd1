"""Where a conversation's state lives: our database by default, Redis with `REDIS_URL`.

`make test-redis` runs the whole suite with `TEST_REDIS_URL` set, so every flow test then
keeps its FSM state in a real Redis server; the tests here check that it really does, that
two processes over one Redis continue each other's conversations and take turns on one
person's updates, and which property of the database storage Redis does not have.
"""

from __future__ import annotations

import asyncio

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlalchemy import func, select

from bot.app import build_bot, build_dispatcher
from storage.fsm import DatabaseStorage
from storage.fsm_after_commit import WrittenAfterCommit
from storage.models import FsmRecord
from tests.conftest import REDIS_URL
from tests.harness.client import BotClient
from tests.harness.factories import make_branch, make_user
from tests.harness.session import RecordingSession
from tests.mandates.submit_steps import TEXT, fsm_state, to_text

MEMBER = 730
only_with_redis = pytest.mark.skipif(
    not REDIS_URL, reason="several processes share FSM state only through Redis"
)


@pytest.fixture
async def member(database) -> int:
    branch = await make_branch(database)
    await make_user(database, MEMBER, branch_id=branch)
    return MEMBER


def _process(settings, database, clock) -> BotClient:
    """Another bot process: its own dispatcher, FSM storage and bot, the same servers."""
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    return BotClient(dp, build_bot(settings, RecordingSession()), MEMBER)


async def _rows_in_fsm_table(database) -> int:
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(FsmRecord)) or 0


async def test_the_fsm_storage_is_the_one_the_settings_name(dp):
    if REDIS_URL:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        assert isinstance(dp.storage, WrittenAfterCommit)
        assert isinstance(dp.storage.inner, RedisStorage)
        assert isinstance(dp.fsm.events_isolation, RedisEventIsolation)
        assert await dp.storage.inner.redis.ping()
    else:
        assert isinstance(dp.storage, DatabaseStorage)
        assert isinstance(dp.fsm.events_isolation, SimpleEventIsolation)


async def test_a_step_of_a_conversation_is_kept_where_the_settings_say(
    dp, database, make_client, member
):
    user = make_client(member)
    await to_text(user)
    assert (await fsm_state(dp, user))[0] == "MandateForm:text"
    if REDIS_URL:
        import redis.asyncio

        async with redis.asyncio.Redis.from_url(REDIS_URL) as server:
            # aiogram's default keys: fsm:<chat>:<user>:state and …:data
            state = await server.get(f"fsm:{member}:{member}:state")
            data = await server.get(f"fsm:{member}:{member}:data")
        assert state == b"MandateForm:text"
        assert b'"draft"' in data
        assert await _rows_in_fsm_table(database) == 0  # nothing of it in the database
    else:
        assert await _rows_in_fsm_table(database) == 1


@only_with_redis
async def test_a_conversation_begun_in_one_process_is_finished_in_another(
    settings, database, clock, member
):
    first = _process(settings, database, clock)
    await to_text(first)
    await first.send(TEXT)
    await first.dp.storage.close()  # the first process is gone, Redis keeps the state

    second = _process(settings, database, clock)
    await second.send("ул. Мира, 12")
    assert "Шаг 4 из 5" in second.last_text
    state, data = await fsm_state(second.dp, second)
    assert state == "MandateForm:photos"
    assert (data["draft"]["text"], data["draft"]["address"]) == (TEXT, "ул. Мира, 12")


@only_with_redis
async def test_two_processes_take_turns_on_one_persons_updates(settings, database, clock, member):
    first, second = _process(settings, database, clock), _process(settings, database, clock)
    await to_text(first)
    key = StorageKey(bot_id=first.bot.id, chat_id=member, user_id=member)

    async with first.dp.fsm.events_isolation.lock(key):  # the first is handling an update
        answering = asyncio.create_task(second.send(TEXT))
        # Bounded check of a negative: the second process waits for the person's lock.
        done, _ = await asyncio.wait({answering}, timeout=0.5)
        assert not done
        assert await fsm_state(first.dp, first) == ("MandateForm:text", await _data(first))
    async with asyncio.timeout(10):
        await answering
    assert (await fsm_state(second.dp, second))[0] == "MandateForm:address"


async def _data(client: BotClient) -> dict:
    return (await fsm_state(client.dp, client))[1]


async def test_a_step_whose_reply_is_lost_is_kept(dp, make_client, recording, member):
    """The step's state and data commit before its reply leaves (no lock is held while
    Telegram answers): a reply lost to the network loses the reply, not the step, and
    the step is not applied again when the update comes back."""
    user = make_client(member)
    await to_text(user)
    recording.fail_network("sendMessage")  # the reply to the text is lost: the update fails
    await user.send(TEXT)
    state, data = await fsm_state(dp, user)
    assert state == "MandateForm:address"
    assert data["draft"]["text"] == TEXT
