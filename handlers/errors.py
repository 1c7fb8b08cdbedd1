"""The last line of defence: log the failure with its update, tell the person in Russian."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import ErrorEvent

from bot.texts import t

log = logging.getLogger(__name__)
TRANSIENT = (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    if isinstance(event.exception, TRANSIENT):
        # Telegram or the road to it had a bad moment: not a bug, no traceback.
        log.warning("update %s: Telegram unreachable: %s", update.update_id, event.exception)
    else:
        log.exception("update %s failed", update.update_id, exc_info=event.exception)
    try:
        if update.callback_query:
            await update.callback_query.answer()
        chat = update.event.chat if hasattr(update.event, "chat") else None
        if chat is None and update.callback_query and update.callback_query.message:
            chat = update.callback_query.message.chat
        if chat is not None:
            await bot.send_message(chat.id, t("common.error"))
    except TelegramAPIError:  # telling them failed too; the log has the original error
        log.warning("could not tell the user about the failure of update %s", update.update_id)
    return True


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
