"""A person's «/» command list is sent when it changes, not with every menu."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from aiogram.types import BotCommandScopeChat

from bot.services.people import Role, grant_role
from tests.harness.factories import NOW, make_branch, make_user


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
