"""Updates that are not a person talking to the bot in private: a person blocking and
unblocking the bot, the bot added to a group, messages in groups, and edited messages.

The bot does not chat in groups. When it is added to one it says once, in one line, that
it works in private messages; afterwards it answers only a command addressed to it by name
(`/help@bot`), with the same line — a plain `/help` there may be meant for another bot, and
everything else said in a group is none of its business. Nothing in a group is stored.
"""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.filters import JOIN_TRANSITION, KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import set_reachable
from bot.texts import t

GROUPS = F.chat.type.in_({"group", "supergroup"})
_ADDRESSED = re.compile(r"^/\w+@(\w+)")


async def blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    """The person blocked the bot: notices wait no more for them (the outbox skips them)."""
    await set_reachable(session, event.from_user.id, False)


async def unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await set_reachable(session, event.from_user.id, True)


async def added_to_group(event: ChatMemberUpdated, bot: Bot) -> None:
    await bot.send_message(event.chat.id, await _private_only(bot))


async def group_command(message: Message, bot: Bot) -> None:
    match = _ADDRESSED.match(message.text or "")
    me = await bot.me()
    if match and me.username and match.group(1).lower() == me.username.lower():
        await message.reply(await _private_only(bot))


async def ignored(message: Message) -> None:
    """Said in a group, not to the bot."""


async def edited(message: Message) -> None:
    """Telegram tells the bot of an edit, but the answer was taken when it was sent."""
    await message.answer(t("common.edit_ignored"))


async def _private_only(bot: Bot) -> str:
    return t("common.private_only", username=(await bot.me()).username or "")


def create_router() -> Router:
    router = Router(name="chats")
    router.my_chat_member.register(
        blocked, F.chat.type == "private", ChatMemberUpdatedFilter(KICKED)
    )
    router.my_chat_member.register(
        unblocked, F.chat.type == "private", ChatMemberUpdatedFilter(MEMBER)
    )
    router.my_chat_member.register(added_to_group, GROUPS, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.message.register(group_command, GROUPS, F.text.startswith("/"))
    router.message.register(ignored, ~(F.chat.type == "private"))
    router.edited_message.register(edited, F.chat.type == "private")
    return router
