"""A mandate's card in the chat and the one-press actions on it: open it, accept it, the
author's rating.

One card per mandate per chat: the card is drawn into the message pressed (a notice, a
list, an older card) and remembered (`remember_card`); the copy shown before loses its
buttons, so only the newest acts. Photos go to a chat once, before its first card.

The buttons are `md:<action>:<id>` and `mdr:<id>:<score>`, the same ones
the outbox notices carry (bot/services/mandates/notices.py), so a press in a notice and a
press on a card take the same path. Every press goes to a service, which checks access
and the status: a refusal is shown as the service words it and changes nothing.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.mandates import decisions
from bot.services.mandates.card import MandateCard, card_place, mandate_card, remember_card
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import MandateCb
from handlers.mandates import card_view
from handlers.mandates.attachments import send_attachments, send_place
from handlers.mandates.work_state import REMEMBERED_LIST, WORK, leave_work
from handlers.replies import error_text

log = logging.getLogger(__name__)


async def refuse(query: CallbackQuery, error: DomainError) -> None:
    await query.answer(error_text(error), show_alert=True)


async def show(query: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup) -> None:
    """Edit the pressed message in place; send a new one when it cannot be edited (a photo
    notice, a message too old to reach)."""
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return
            log.info("could not edit message %s: %s", message.message_id, error.message)
    await bot.send_message(query.from_user.id, text, reply_markup=markup)


def pressed_id(query: CallbackQuery) -> int | None:
    """The pressed message, if it is a text the bot can edit."""
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        return message.message_id
    return None


async def edit_or_send(
    bot: Bot, chat_id: int, message_id: int | None, text: str, markup: InlineKeyboardMarkup
) -> int:
    """Edit the message into `text`; send a new one when there is none or it cannot be
    edited (gone, too old). Returns the message that shows it."""
    if message_id is not None:
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
            return message_id
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return message_id
            log.info("could not edit message %s: %s", message_id, error.message)
    return (await bot.send_message(chat_id, text, reply_markup=markup)).message_id


async def put_card(
    session: AsyncSession,
    bot: Bot,
    clock: Clock,
    chat_id: int,
    mandate_id: int,
    text: str,
    markup: InlineKeyboardMarkup,
    message_id: int | None,
    *,
    album_sent: bool = False,
) -> int:
    """Show the mandate's card (or its card with a question under it) in message
    `message_id`, or a new one, and make it the chat's one card of the mandate: the copy
    shown before loses its buttons."""
    shown = await edit_or_send(bot, chat_id, message_id, text, markup)
    before = await remember_card(
        session, mandate_id, chat_id, shown, clock.now(), album_sent=album_sent
    )
    if before is not None:
        try:
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=before)
        except TelegramBadRequest as error:  # gone or already bare: nothing to take away
            log.info("could not clear message %s: %s", before, error.message)
    return shown


async def load_card(
    session: AsyncSession, person: Person, mandate_id: int, clock: Clock, state: FSMContext
) -> tuple[MandateCard, str, InlineKeyboardMarkup]:
    card = await mandate_card(session, person, mandate_id, clock.now())
    remembered = (await state.get_data()).get(REMEMBERED_LIST)
    back = card_view.back_to_list(card, remembered)
    return card, card_view.card_text(card, person), card_view.card_keyboard(card, back)


async def open_card(
    query: CallbackQuery,
    callback_data: MandateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    try:
        card, text, markup = await load_card(session, person, callback_data.id, clock, state)
    except DomainError as error:
        await refuse(query, error)
        return
    work = (await state.get_data()).get(WORK) or {}
    if work.get("id") == card.id:  # «Отменить» under a question being written
        await leave_work(state)
        card, text, markup = await load_card(session, person, card.id, clock, state)
    await query.answer()
    await present(session, bot, clock, query.from_user.id, card, text, markup, pressed_id(query))


async def present(
    session: AsyncSession,
    bot: Bot,
    clock: Clock,
    chat: int,
    card: MandateCard,
    text: str,
    markup: InlineKeyboardMarkup,
    message_id: int | None,
) -> None:
    """Show a card that was asked for: in `message_id` (the pressed message) or a new
    one, after what it brings along the first time this chat sees it."""
    place = await card_place(session, card.id, chat)
    pin = card_view.is_staff_view(card) and card.latitude is not None and card.longitude is not None
    if (card.attachments or card.photos or pin) and not (place and place.album_sent):
        # Photos, voices and the pin go first, once per chat, so the card with its buttons
        # comes after them. The author sees their own photos too; the pin is for the staff.
        await send_attachments(bot, chat, card)
        if pin:
            await send_place(bot, chat, card)
        await put_card(session, bot, clock, chat, card.id, text, markup, None, album_sent=True)
        return
    await put_card(session, bot, clock, chat, card.id, text, markup, message_id)


async def accept(
    query: CallbackQuery,
    callback_data: MandateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """One press: new → в работе. A second press (a double tap, a stale notice) is refused
    by the service, and the card is redrawn to show where the mandate stands."""
    try:
        await decisions.accept_mandate(session, person, callback_data.id, clock.now())
    except (AccessDenied, NotFound) as error:
        await refuse(query, error)
        return
    except DomainError as error:
        await refuse(query, error)
        await redraw(query, callback_data.id, state, person, session, clock, bot)
        return
    await query.answer(t("mandate_work.done.accept"))
    await redraw(query, callback_data.id, state, person, session, clock, bot)


async def redraw(
    query: CallbackQuery,
    mandate_id: int,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    _, text, markup = await load_card(session, person, mandate_id, clock, state)
    chat = query.from_user.id
    await put_card(session, bot, clock, chat, mandate_id, text, markup, pressed_id(query))
