"""Answering in the chat, shared by the flows: an error as its text, a screen shown in
place of the pressed button's message, buttons taken off a finished step, and what counts
as a typed answer rather than a command or a menu button."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.errors import DomainError
from bot.texts import t
from handlers.menus import MENU_BUTTONS


def error_text(error: DomainError) -> str:
    return t(error.text_key, **error.params)


async def show_in_place(
    bot: Bot, query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    """Edit the message the button was on; if Telegram cannot (deleted, too old), send anew.
    Returns the id of the message that now shows `text`."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return message.message_id
        except TelegramBadRequest as error:
            if "not modified" in error.message:  # the same page pressed again
                return message.message_id
    sent = await bot.send_message(query.from_user.id, text, reply_markup=markup)
    return sent.message_id


async def drop_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Take the buttons off a message whose step is over, so they cannot be pressed."""
    with suppress(TelegramBadRequest):  # already gone or never had any: nothing to take off
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)


def _menu_labels() -> frozenset[str]:
    return frozenset(
        {t(f"menu.{key}") for keys in MENU_BUTTONS.values() for key in keys} | {t("menu.help")}
    )


def free_input() -> Callable[[Message], bool]:
    """Messages that may be an answer: not a command, not a main-menu button (those go to
    their own handlers, so the menu keeps working in the middle of the flow)."""
    labels = _menu_labels()

    def check(message: Message) -> bool:
        text = message.text or ""
        return not text.startswith("/") and text not in labels

    return check
