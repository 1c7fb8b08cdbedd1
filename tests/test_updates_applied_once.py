"""Telegram hands an update out again until it is confirmed; one handled and committed
before a crash is not applied a second time after the restart."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import func, select

from bot.app import build_bot, build_dispatcher
from bot.services.people import Role
from storage.db import Database
from storage.migrate import upgrade
from storage.models import HandledUpdate, Mandate, OutboxMessage
from tests.harness.client import BotClient
from tests.harness.factories import empty_database, make_branch, make_user
from tests.harness.session import RecordingSession

MEMBER, SECRETARY = 710, 910
TEXT = "Во дворе дома 12 на улице Мира третий месяц не горят фонари, вечером темно"


@pytest.fixture
async def restartable(settings, clock):
    """A bot that can be killed and started again over the same migrated database."""
    await empty_database(settings.database_url)
    await asyncio.to_thread(upgrade, settings.database_url)
    databases: list[Database] = []

    def start(user_id: int) -> BotClient:
        database = Database(settings.database_url)
        databases.append(database)
        dp = build_dispatcher(settings, database, clock=clock, start_background=False)
        return BotClient(dp, build_bot(settings, RecordingSession()), user_id)

    yield start
    for database in databases:
        await database.dispose()


async def _state(client: BotClient) -> tuple[str | None, dict]:
    context = client.dp.fsm.get_context(client.bot, client.user.id, client.user.id)
    return await context.get_state(), await context.get_data()


async def test_a_text_redelivered_after_a_restart_is_not_the_next_answer(settings, restartable):
    database = Database(settings.database_url)
    branch = await make_branch(database)
    await make_user(database, MEMBER, branch_id=branch)
    await database.dispose()
    before = restartable(MEMBER)
    await before.send("/mandate")
    await before.click("ЖКХ")
    await before.send(TEXT)  # committed; the bot dies before confirming it to Telegram
    typed = before.last_update
    state_before = await _state(before)

    after = restartable(MEMBER)
    await after.feed(typed)

    assert after.session.requests == []  # no «📍 Адрес записан: <the text>», nothing at all
    assert await _state(after) == state_before


async def test_a_submission_redelivered_is_one_mandate_and_one_notice(settings, restartable):
    database = Database(settings.database_url)
    branch = await make_branch(database)
    await make_user(database, MEMBER, branch_id=branch)
    await make_user(database, SECRETARY, roles={Role.SECRETARY: [branch]})
    before = restartable(MEMBER)
    await before.send("/mandate")
    await before.click("ЖКХ")
    await before.send(TEXT)
    await before.send("ул. Мира, 12")
    await before.click("Без фото")
    await before.click("Мой")
    await before.click("Отправить")
    pressed = before.last_update

    async with database.sessions() as session:
        owed = await session.scalar(select(func.count()).select_from(OutboxMessage))
    after = restartable(MEMBER)
    await after.feed(pressed)

    assert [type(r) for r in after.session.requests] == [AnswerCallbackQuery]  # stops spinning
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Mandate)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == owed
    await database.dispose()


async def test_a_failed_read_only_update_is_not_recorded_so_its_redelivery_is_handled(
    database, make_client, recording
):
    branch = await make_branch(database)
    await make_user(database, MEMBER, branch_id=branch)
    client = make_client(MEMBER)
    recording.fail_network("sendMessage")
    await client.send("/help")  # the reply never left: the error handler took over
    failed = client.last_update

    await client.feed(failed)

    assert client.last_text  # answered this time
    async with database.sessions() as session:
        ids = list(await session.scalars(select(HandledUpdate.update_id)))
    # /help writes nothing, so it records no id either: a redelivery is answered again.
    # (An update that wrote is recorded with its first commit, before its first reply:
    # tests/test_no_lock_during_calls.py.)
    assert failed.update_id not in ids


async def test_ids_older_than_three_days_are_forgotten(database, make_client, clock, dp):
    branch = await make_branch(database)
    await make_user(database, MEMBER, branch_id=branch)
    client = make_client(MEMBER)
    await client.send("/help")
    clock.advance(days=3, seconds=1)

    await dp["tick"].run()

    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(HandledUpdate)) == 0
