"""A button pressed on a message the bot can no longer reach (deleted, too old: Telegram
sends an InaccessibleMessage with date 0) or on an inline-mode message (no message at all)
is answered with what to do instead, through the dispatcher, and changes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import select

from bot.services.people import Role
from handlers.callbacks import PickCb
from storage.db import Database
from storage.models import Base, User
from tests.harness.factories import make_branch, make_user
from tests.mandates.helpers import submit

GONE = "Это сообщение слишком старое, бот уже не может с ним работать. Откройте меню: /menu"


async def _everything(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the record of handled updates (which a press adds)."""
    async with database.sessions() as session:
        return {
            table.name: sorted(map(tuple, (await session.execute(select(table))).all()), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name != "handled_updates"
        }


def _told_gone(client, caplog, since: int) -> None:
    """Since request `since`: the press answered with the text, nothing written in the chat."""
    requests = client.session.requests[since:]
    answers = [(r.text, r.show_alert) for r in requests if isinstance(r, AnswerCallbackQuery)]
    assert answers == [(GONE, True)]
    assert [r for r in requests if isinstance(r, SendMessage | EditMessageText)] == []
    # The error handler logs every failure it is called for; it was not called.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("action", ["open", "accept"])
@pytest.mark.parametrize("inline", [False, True], ids=["inaccessible", "inline"])
async def test_a_mandate_card_button_on_a_gone_message(
    world, database, make_client, clock, caplog, action, inline
):
    mandate = await submit(database, world.author, clock.now())
    secretary = make_client(world.secretary, "Сергей")  # the name the world gave him
    before, since = await _everything(database), len(secretary.session.requests)

    await secretary.click_gone(f"md:{action}:{mandate.id}", inline=inline)

    _told_gone(secretary, caplog, since)
    assert await _everything(database) == before


async def test_the_onboarding_picker_on_a_gone_message(database, make_client, caplog):
    branch_id = await make_branch(database, "20-03")
    await make_user(database, 900, roles={Role.SECRETARY: [branch_id]})
    user = make_client(502, "Мария")
    await user.send("/start")
    await user.click("Даю согласие")
    await user.click("Краснодарский край")
    await user.click("Краснодарское местное отделение")
    picked = PickCb(purpose="join", level="br", id=branch_id).pack()
    before, since = await _everything(database), len(user.session.requests)

    await user.click_gone(picked)

    _told_gone(user, caplog, since)
    assert await _everything(database) == before  # not joined; still picking, same FSM row
    await user.click_data(picked)  # the same button on a message in front of them works
    async with database.sessions() as session:
        assert (await session.get(User, 502)).branch_id == branch_id
