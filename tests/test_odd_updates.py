"""Updates of the unusual kinds, as raw `Update`s: edited messages, the bot in a group, and
a person blocking and unblocking the bot (`my_chat_member`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from aiogram.types import (
    Chat,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    Message,
    Sticker,
    Update,
    User,
)
from sqlalchemy import select

from bot.texts import t
from storage.models import User as UserRow
from tests.harness.odd import STATES, errors_in, fsm, message, said, snapshot, update_id
from tests.harness.session import BOT_USER

GROUP = Chat(id=-100500, type="supergroup", title="Первичка 20-03")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _membership(chat: Chat, user: User, old, new) -> Update:
    changed = ChatMemberUpdated(
        chat=chat, from_user=user, date=NOW, old_chat_member=old, new_chat_member=new
    )
    return Update(update_id=update_id(), my_chat_member=changed)


def _kicked() -> ChatMemberBanned:
    return ChatMemberBanned(user=BOT_USER, until_date=datetime.fromtimestamp(0, UTC))


async def _reachable(database, user_id: int) -> bool | None:
    async with database.sessions() as session:
        return await session.scalar(select(UserRow.is_reachable).where(UserRow.id == user_id))


@pytest.mark.parametrize("who", STATES)
async def test_an_edited_message_is_told_apart_and_changes_nothing(
    odd_client, dp, database, caplog, who
):
    client = odd_client
    tables, state = await snapshot(database), await fsm(dp, client)
    since = len(client.session.requests)
    caplog.set_level(logging.INFO)
    edited = message(
        client, text="Исправленный текст наказа про фонари во дворе", edit_date=1_795_000_000
    )

    await client.feed(Update(update_id=update_id(), edited_message=edited))

    assert not errors_in(caplog)
    assert said(client, since) == [t("common.edit_ignored")]
    assert await snapshot(database) == tables
    assert await fsm(dp, client) == state


@pytest.mark.parametrize("who", ["member", "submitting"])
async def test_blocking_and_unblocking_the_bot(odd_client, dp, database, caplog, who):
    client = odd_client
    state = await fsm(dp, client)
    since = len(client.session.requests)
    caplog.set_level(logging.INFO)
    member = ChatMemberMember(user=BOT_USER)

    await client.feed(_membership(client.chat, client.user, member, _kicked()))
    assert await _reachable(database, client.user.id) is False

    await client.feed(_membership(client.chat, client.user, _kicked(), member))
    assert await _reachable(database, client.user.id) is True

    assert not errors_in(caplog)
    assert len(client.session.requests) == since  # nothing is said to either
    assert await fsm(dp, client) == state  # a draft waits for their return


async def test_a_stranger_blocking_the_bot_leaves_no_row(make_client, database):
    stranger = make_client(4242)
    before = await snapshot(database)
    await stranger.feed(
        _membership(stranger.chat, stranger.user, ChatMemberMember(user=BOT_USER), _kicked())
    )
    assert await snapshot(database) == before


def _in_group(user: User, **content) -> Update:
    said_there = Message(message_id=77, date=NOW, chat=GROUP, from_user=user, **content)
    return Update(update_id=update_id(), message=said_there)


def _to_group(client) -> list[str]:
    return client.session.texts_to(GROUP.id)


@pytest.mark.parametrize("who", ["newcomer", "member"])
async def test_the_bot_does_not_chat_in_groups(odd_client, database, caplog, who):
    client = odd_client
    caplog.set_level(logging.INFO)
    stranger = User(id=5555, is_bot=False, first_name="Гость")
    before = await snapshot(database)
    in_private = len(client.session.texts_to(client.chat.id))
    private_only = t("common.private_only", username=BOT_USER.username)

    # Added to a group: one line, once.
    await client.feed(
        _membership(
            GROUP, client.user, ChatMemberLeft(user=BOT_USER), ChatMemberMember(user=BOT_USER)
        )
    )
    assert _to_group(client) == [private_only]

    # Talk, commands for anyone or for other bots, media: silence.
    sticker = Sticker(
        file_id="s", file_unique_id="s", type="regular", width=1, height=1,
        is_animated=False, is_video=False,
    )  # fmt: skip
    for user in (client.user, stranger):
        for content in (
            {"text": "Всем привет"},
            {"text": "/start"},
            {"text": "/help"},
            {"text": "/start@some_other_bot"},
            {"text": "а" * 4096},
            {"sticker": sticker},
        ):
            await client.feed(_in_group(user, **content))
    assert _to_group(client) == [private_only]

    # A command addressed to the bot by name: the same line, as a reply.
    await client.feed(_in_group(stranger, text=f"/help@{BOT_USER.username} please"))
    assert _to_group(client) == [private_only, private_only]

    assert not errors_in(caplog)
    assert len(client.session.texts_to(client.chat.id)) == in_private
    assert await snapshot(database) == before  # no rows for people seen in the group


async def test_writing_in_a_group_keeps_a_blocked_person_unreachable(make_client, database, world):
    member = make_client(world.member)
    await member.feed(
        _membership(member.chat, member.user, ChatMemberMember(user=BOT_USER), _kicked())
    )
    await member.feed(_in_group(member.user, text=f"/help@{BOT_USER.username}"))
    assert await _reachable(database, world.member) is False
