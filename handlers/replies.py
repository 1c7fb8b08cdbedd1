"""Answering in the chat, shared by the flows: an error as its text, a screen shown in
place of the pressed button's message, buttons taken off a finished step, a question's old
copy removed, what counts as a typed answer rather than a command or a menu button, and
the work a person left unfinished when a command interrupted it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
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


async def remove_message(bot: Bot, chat_id: int, message_id: int) -> None:
    """Delete a message of the bot's whose question is asked again further down, so the chat
    holds one copy of it; when Telegram will not (older than 48 hours), take its buttons
    off at least."""
    try:
        await bot.delete_message(chat_id=chat_id, message_id=message_id)
    except TelegramBadRequest:
        await drop_buttons(bot, chat_id, message_id)


# --- work left unfinished ----------------------------------------------------------------
# A flow whose half-done work must not vanish when a command or a menu button interrupts it
# registers how to name that work (`unfinished_work`). Leaving for the menu keeps the
# flow's state and says so (`leave_for_menu`); lists and cards never touch the state.

Describe = Callable[[str, dict[str, Any]], str | None]
_UNFINISHED: dict[str, Describe] = {}


def unfinished_work(group: str, describe: Describe) -> None:
    """`describe(state, data)` names the unfinished work of the states `group:*` as one
    line, or None when there is nothing worth keeping."""
    _UNFINISHED[group] = describe


async def unfinished(state: FSMContext) -> str | None:
    """A line naming the work the person left unfinished here, with how to return to it."""
    current = await state.get_state()
    if not current:
        return None
    describe = _UNFINISHED.get(current.split(":", 1)[0])
    return describe(current, await state.get_data()) if describe else None


async def leave_for_menu(state: FSMContext) -> str | None:
    """Before the menu is shown: a flow with unfinished work is kept (its line is returned,
    to be shown under the menu), any other is left — a side question for the flow it
    interrupted, if there is one."""
    note = await unfinished(state) or await resume_interrupted(state)
    if note is None:
        await state.clear()
    return note


# --- side questions ----------------------------------------------------------------------
# A question asked beside whatever the person was doing (a search's words, a message to a
# practice's author, a comment, a masterclass's code, a rating's reason) must not cost the
# flow it interrupted: a state with unfinished work is remembered in FSM data and comes
# back when the question is answered, cancelled or left for the menu.

ASIDE = "aside_from"  # FSM data: the state a side question interrupted


async def ask_aside(state: FSMContext, step: State) -> None:
    """Enter the side question `step`, remembering an interrupted flow's state."""
    current = await state.get_state()
    if current and current != step.state and await unfinished(state) is not None:
        await state.update_data({ASIDE: current})
    await state.set_state(step)


async def end_aside(state: FSMContext, forget: str | None = None) -> str | None:
    """The side question is over (`forget`: its key in FSM data, dropped): back to the flow
    it interrupted, whose line is returned to be said with the answer (the next message
    answers that flow again); or no state."""
    back = (await state.get_data()).get(ASIDE)
    dropped: dict[str, None] = {forget: None} if forget else {}
    if back:
        dropped[ASIDE] = None
    if dropped:
        await state.update_data(dropped)
    if not isinstance(back, str) or not back:
        await state.set_state(None)
        return None
    await state.set_state(back)
    return await unfinished(state)


async def resume_interrupted(state: FSMContext) -> str | None:
    """Before the menu, /cancel or a flow's start: a side question the person is still in
    goes and the flow it interrupted comes back, its line returned (so that flow's own
    «continue or start anew?» sees its draft instead of starting over it). A state with
    unfinished work of its own stays; any other is left."""
    if await unfinished(state) is not None:
        return None
    return await end_aside(state)


def with_note(text: str, note: str | None) -> str:
    return f"{text}\n\n{note}" if note else text
