"""Per-update plumbing: one database transaction, the person behind the update, a throttle;
and the pressed button's message for callback handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiolimiter import AsyncLimiter
from cachetools import TTLCache

from bot.clock import Clock
from bot.config import Settings
from bot.services.people import person_on_contact
from bot.texts import t
from storage.db import Database, run_after_commit
from storage.handled_updates import first_time

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DatabaseMiddleware(BaseMiddleware):
    """One transaction per update, committed when the handler returns; an update already
    applied (Telegram redelivers until it is confirmed) is recorded in it and skipped.

    Notices queued in it are committed together with the change that owes them, and the
    outbox sender is woken only after the commit, so it never sees half of a change.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)  # registered on dp.update
        clock: Clock = data["clock"]
        async with self.database.unit_of_work() as session:
            fresh = await first_time(session, data["bot"].id, event.update_id, clock.now())
            if fresh:
                data["session"] = session
                result = await handler(event, data)
        if not fresh:
            log.info("update %s was already handled; skipped", event.update_id)
            if event.callback_query:  # the button stops spinning, nothing else happens
                await event.callback_query.answer()
            return None
        await run_after_commit(session)
        if session.info.pop("outbox_added", False) and (sender := data.get("outbox")):
            sender.wake()
        return result


class PersonMiddleware(BaseMiddleware):
    """Loads who is writing (creating the user on first contact) as `person`.

    Not for what is no contact with the bot: someone writing in a group the bot is in (no
    row for them, and one who blocked the bot stays unreachable), or blocking the bot."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: User | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot or not _a_contact(event, data.get("event_chat")):
            return await handler(event, data)
        settings: Settings = data["settings"]
        clock: Clock = data["clock"]
        session = data["session"]
        data["person"] = await person_on_contact(
            session,
            tg_user.id,
            tg_user.full_name,
            tg_user.username,
            clock.now(),
            admin_ids=settings.admin_ids,
            consent_version=settings.consent_version,
            default_timezone=settings.default_timezone,
        )
        return await handler(event, data)


def _a_contact(event: TelegramObject, chat: Chat | None) -> bool:
    assert isinstance(event, Update)  # registered on dp.update
    if event.my_chat_member or event.chat_member:
        return False
    in_group = chat is not None and chat.type != "private"
    return not (in_group and (event.message or event.edited_message))


class PressedMessageMiddleware(BaseMiddleware):
    """A button press reaches its handler only with the message the button is on, as
    `message: Message`: every callback handler edits or answers that message.

    Telegram sends an `InaccessibleMessage` instead when the message is gone (deleted, or
    too old for the bot to reach) and no message at all for a button of an inline-mode
    message. Such a press is answered here with what to do instead, and nothing changes.
    Registered on the callback queries of the routers' root (`handlers.build_routers`).
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, CallbackQuery)  # registered on callback_query
        if not isinstance(event.message, Message):
            log.info("button pressed on a message the bot cannot reach: %r", event.data)
            await event.answer(t("common.message_gone"), show_alert=True)
            return None
        data["message"] = event.message
        return await handler(event, data)


class ThrottleMiddleware(BaseMiddleware):
    """Drops a user's updates beyond `rate` per second, so one flood cannot starve others."""

    def __init__(self, rate: float, burst: int = 5) -> None:
        self.rate, self.burst = rate, burst
        self.limiters: TTLCache[int, AsyncLimiter] = TTLCache(maxsize=100_000, ttl=600)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: User | None = data.get("event_from_user")
        if tg_user is None:
            return await handler(event, data)
        limiter = self.limiters.get(tg_user.id)
        if limiter is None:
            limiter = self.limiters[tg_user.id] = AsyncLimiter(self.burst, self.burst / self.rate)
        if not limiter.has_capacity():
            log.info("throttled update from user %s", tg_user.id)
            if isinstance(event, Update) and event.callback_query:
                await event.callback_query.answer(t("common.too_fast"))
            return None
        await limiter.acquire()
        return await handler(event, data)
