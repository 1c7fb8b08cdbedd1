"""A person's «/» command list and menu keyboard are sent when they change, not with every
menu or at the end of every flow."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from aiogram.types import BotCommandScopeChat

from bot.app import build_bot
from bot.services.people import Role, grant_role
from handlers.menus import COMMANDS
from tests.harness.client import BotClient
from tests.harness.factories import NOW, make_branch, make_user
from tests.harness.session import RecordingSession
from tests.mandates.submit_steps import submit


def _lists_for(recording, chat_id: int) -> list[list[str]]:
    return [
        [command.command for command in request.commands]
        for request in recording.sent(SetMyCommands)
        if isinstance(request.scope, BotCommandScopeChat) and request.scope.chat_id == chat_id
    ]


async def test_the_command_list_is_sent_once_and_again_when_roles_change(
    database, make_client, recording
):
    branch = await make_branch(database)
    await make_user(database, 520, branch_id=branch)
    client = make_client(520)

    for _ in range(3):
        await client.send("/menu")
    assert len(_lists_for(recording, 520)) == 1

    async with database.transaction() as session:  # an admin made her the secretary
        await grant_role(session, 520, Role.SECRETARY, NOW, branch_id=branch)
    await client.send("/menu")
    await client.send("/menu")

    first, second = _lists_for(recording, 520)
    assert "inbox" not in first
    assert "inbox" in second


async def test_a_new_bot_with_the_same_token_sends_the_list_again(
    database, dp, bot, settings, make_client, recording
):
    """What one Bot API session sent says nothing about another's: Bot objects with one
    token compare equal, and a memory keyed by them let the second bot skip the list."""
    branch = await make_branch(database)
    await make_user(database, 526, branch_id=branch)
    await make_client(526).send("/menu")
    assert len(_lists_for(recording, 526)) == 1

    again = RecordingSession()
    await BotClient(dp, build_bot(settings, session=again), 526).send("/menu")
    assert bot == build_bot(settings, session=RecordingSession())  # same token: equal
    assert len(_lists_for(again, 526)) == 1


async def test_a_finished_flow_posts_the_menu_only_when_the_keyboard_changes(
    database, make_client, recording
):
    branch = await make_branch(database)
    await make_user(database, 521, branch_id=branch)
    member = make_client(521)
    await member.send("/menu")
    assert "Главное меню" in member.last_text  # asked for: always posted

    await submit(member)
    assert member.replies() == [member.replies()[0]]  # the mandate's number, edited in place
    assert "Наказ отправлен" in member.last_text
    assert not any("Главное меню" in m["text"] for m in member.messages()[-2:])

    async with database.transaction() as session:  # an admin made her the secretary
        await grant_role(session, 521, Role.SECRETARY, NOW, branch_id=branch)
    await member.send("/mandate")
    await member.send("/cancel")
    assert member.replies() == ["Отменено. Вы в главном меню."]
    assert "📥 Входящие наказы" in member.keyboard()  # her keyboard got its new button
    await member.send("/cancel")
    assert recording.requests[-1].reply_markup is None  # and is not sent again


async def test_curators_and_admins_get_digest_in_their_command_list(
    database, make_client, recording
):
    branch = await make_branch(database)
    await make_user(database, 522, branch_id=branch)
    client = make_client(522)
    await client.send("/menu")
    async with database.transaction() as session:  # an admin made her the branch's curator
        await grant_role(session, 522, Role.CURATOR, NOW, branch_id=branch)
    await client.send("/menu")
    await make_user(database, 1)  # in ADMIN_IDS
    admin = make_client(1)
    await admin.send("/menu")

    member, curator = _lists_for(recording, 522)
    assert "digest" not in member
    assert "digest" in curator
    assert "digest" in _lists_for(recording, 1)[-1]
    assert "duties" in _lists_for(recording, 1)[-1]  # the admin's recurring duties
    assert "duties" not in curator


async def test_everyone_onboarded_gets_settings_in_their_command_list(
    database, make_client, recording
):
    branch = await make_branch(database)
    await make_user(database, 523, branch_id=branch)
    await make_user(database, 524, roles={Role.SECRETARY: [branch]})
    await make_user(database, 525, roles={Role.CURATOR: [branch]})
    for user_id in (523, 524, 525):
        await make_client(user_id).send("/menu")
        assert "settings" in _lists_for(recording, user_id)[-1]
    # The admin's (user 1, in ADMIN_IDS), as the digest test above saw it.
    assert "settings" in COMMANDS[Role.ADMIN]
