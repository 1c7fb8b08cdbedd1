"""What the odd-input tests share: people brought to several states, a snapshot of the
database, what a person was told, and the error handler's traces in the log.

The `odd_client` fixture reaches the tests through `pytest_plugins` in tests/conftest.py;
a test parametrizes `who` with one of `STATES`.
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import Message, Update
from sqlalchemy import select

from storage.models import Base
from tests.harness.client import BotClient
from tests.mandates.helpers import World, submit

NEWCOMER = 9000
STATES = ("newcomer", "member", "submitting", "secretary")
# Tables an odd input may touch: the update's own id, and the FSM state (checked apart).
UNCHECKED_TABLES = {"handled_updates", "fsm_states"}
BIG = "99999999999999999999"  # beyond int64, let alone an Integer column
INT32_OVER = str(2**31)

_update_ids = itertools.count(10**6)


@pytest.fixture
async def odd_client(who: str, world: World, database, clock, make_client) -> BotClient:
    """The person pressing or typing, brought to their state: a newcomer at the consent
    step, a member in the menu, an author whose mandate's text is asked, a secretary
    looking at a mandate's card."""
    if who == "newcomer":
        newcomer = make_client(NEWCOMER, "Новичок")
        await newcomer.send("/start")
        return newcomer
    if who == "member":
        member = make_client(world.member, "Михаил")
        await member.send("/menu")
        return member
    if who == "submitting":
        author = make_client(world.author, "Анна Автор")
        await author.send("/mandate")
        await author.click("ЖКХ")
        return author
    assert who == "secretary", who
    mandate = await submit(database, world.foreign_member, clock.now())
    secretary = make_client(world.foreign_secretary, "Семён")
    await secretary.click_data(f"md:open:{mandate.id}")
    assert mandate.number in secretary.last_text
    return secretary


async def snapshot(database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but UNCHECKED_TABLES."""
    tables = {}
    async with database.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in UNCHECKED_TABLES:
                continue
            rows = (await session.execute(select(table))).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


async def fsm(dp, client: BotClient) -> tuple[str | None, dict[str, Any]]:
    context = dp.fsm.get_context(client.bot, client.user.id, client.user.id)
    return await context.get_state(), await context.get_data()


def said(client: BotClient, since: int) -> list[str]:
    """What the person was told since request number `since`: messages and alerts."""
    texts = []
    for request in client.session.requests[since:]:
        to_chat = getattr(request, "chat_id", None) == client.chat.id
        if (isinstance(request, SendMessage | EditMessageText) and to_chat) or (
            isinstance(request, AnswerCallbackQuery) and request.text
        ):
            texts.append(request.text)
    return texts


def errors_in(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Records of the error handler, and anything logged as an error."""
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.name == "handlers.errors"]


def update_id() -> int:
    return next(_update_ids)


def message(client: BotClient, **content: Any) -> Message:
    return Message(
        message_id=5000, date=datetime.now(UTC), chat=client.chat, from_user=client.user, **content
    )


async def send(client: BotClient, **content: Any) -> None:
    """A message of any kind from this person, e.g. `send(client, voice=Voice(...))`."""
    await client.feed(Update(update_id=update_id(), message=message(client, **content)))
