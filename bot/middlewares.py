"""Per-update plumbing: the update's database work (no lock held during a Bot API call),
the person behind the update, a throttle; and the pressed button's message for callback
handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.flags import get_flag
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiolimiter import AsyncLimiter
from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.services.people import Stale, person_if_current, person_on_contact, refresh_contact
from bot.texts import t
from storage.db import AlreadyApplied, Database, defer_until_settled, settle_current
from storage.handled_updates import first_time, was_handled

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DatabaseMiddleware(BaseMiddleware):
    """The update's database work (`storage.db.UpdateWork`), committed when the handler
    returns; an update already applied (Telegram redelivers until it is confirmed) is
    skipped.

    Routing (the person, the FSM state filters) runs on a read session that takes no
    write turn; a handler that may write gets the write session from `WritingMiddleware`.
    Before each Bot API request (`SettleBeforeRequest`) what the handler wrote so far is
    committed — with the update's id, in the first transaction that writes — and its
    notices' sender woken, so no lock is held while Telegram answers. A step's state, its
    data and its notices are written before the step's first reply, so they commit
    together in that transaction; what a handler writes after a reply commits at the end.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)  # registered on dp.update
        clock: Clock = data["clock"]
        bot_id = data["bot"].id

        async def record(session: AsyncSession) -> bool:
            return await first_time(session, bot_id, event.update_id, clock.now())

        try:
            async with self.database.update_work(record) as work:
                data["session"] = work.read
                return await handler(event, data)
        except AlreadyApplied:
            log.info("update %s was already handled; skipped", event.update_id)
            if event.callback_query:  # the button stops spinning, nothing else happens
                await event.callback_query.answer()
            return None


class AppliedOnceMiddleware(BaseMiddleware):
    """Inside the person's turn (event isolation): skips an update already applied, and
    commits what the handler left before the turn passes to the person's next update,
    which would otherwise read their state before this one's last commit."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)  # registered on dp.update
        work = self.database.current_work()
        if work is None:
            return await handler(event, data)
        if await was_handled(work.read, data["bot"].id, event.update_id):
            raise AlreadyApplied  # answered by DatabaseMiddleware
        result = await handler(event, data)
        await work.settle()
        return result


class WritingMiddleware(BaseMiddleware):
    """Gives the chosen handler the update's write session as `session` — unless it was
    registered with `flags={"reads_only": True}` (help, menus, lists and cards that write
    nothing), which keeps the read session: no write turn at all. An inner middleware, so
    the handler (and its flags) is known; registered on every event of the root router."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        work = self.database.current_work()
        if work is not None and not get_flag(data, READS_ONLY):
            data["session"] = await work.begin_writing()
        return await handler(event, data)


READS_ONLY = "reads_only"


class SettleBeforeRequest(BaseRequestMiddleware):
    """Before every Bot API request: commit (or end) the current update's transactions
    (`storage.db.settle_current`), so no database lock is held while Telegram answers.

    A button's answer (`answerCallbackQuery`, whose result is only `True`) is not a
    reason to commit: it goes out when the update next settles — before its next request
    or at its end — so a handler that answers the button first and then moves the state
    on still commits the step's data and state together."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, AnswerCallbackQuery):

            async def answer() -> object:
                return await make_request(bot, method)  # type: ignore[arg-type]

            if defer_until_settled(answer):
                return True  # type: ignore[return-value]  # what Telegram answers
        await settle_current()
        return await make_request(bot, method)


class PersonMiddleware(BaseMiddleware):
    """Loads who is writing as `person`, read-only; only a first contact, a changed name
    or a return after blocking the bot writes, in a short transaction of its own (the same
    again on a redelivery, so it needs no update id).

    Not for what is no contact with the bot: someone writing in a group the bot is in (no
    row for them, and one who blocked the bot stays unreachable), or blocking the bot."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: User | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot or not _a_contact(event, data.get("event_chat")):
            return await handler(event, data)
        settings: Settings = data["settings"]
        clock: Clock = data["clock"]
        admins, version, zone = (
            settings.admin_ids,
            settings.consent_version,
            settings.default_timezone,
        )
        name, username = tg_user.full_name, tg_user.username
        person = await person_if_current(
            data["session"],
            tg_user.id,
            name,
            username,
            admin_ids=admins,
            consent_version=version,
            default_timezone=zone,
        )
        if isinstance(person, Stale):  # a new name: one UPDATE, the rest as just read
            await settle_current()  # the read snapshot ends: later reads see the row
            async with self.database.transaction() as session:
                if await refresh_contact(session, tg_user.id, person.full_name, person.username):
                    person = person.person
                else:  # the row went meanwhile
                    person = None
        if person is None:
            await settle_current()  # the read snapshot ends: later reads see the row
            async with self.database.transaction() as session:
                person = await person_on_contact(
                    session,
                    tg_user.id,
                    name,
                    username,
                    clock.now(),
                    admin_ids=admins,
                    consent_version=version,
                    default_timezone=zone,
                )
        data["person"] = person
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
