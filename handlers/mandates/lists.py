"""The staff's lists in the chat: /inbox (a secretary's open mandates) and /mandates (a
curator's or admin's, with branch and status filters); pages and filters edit the list in
place, and the list last seen is where the card's «К списку» returns."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError
from bot.services.mandates.access import is_staff
from bot.services.mandates.queries import curator_list, find_by_number, inbox, staff_branches
from bot.services.people import Person
from handlers.callbacks import MandateListCb
from handlers.mandates import list_view
from handlers.mandates.card import load_card, present, refuse, show
from handlers.mandates.work_state import REMEMBERED_LIST, leave_work
from handlers.replies import error_text, unfinished, with_note

PER_PAGE = 10


async def _list(
    cb: MandateListCb, session: AsyncSession, person: Person, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    """A list page or a filter screen. Errors as the services give them."""
    if cb.view in list_view.FILTER_VIEWS:
        if not is_staff(person):
            raise AccessDenied()
        if cb.view in list_view.STATUS_VIEWS:
            return list_view.status_screen(cb)
        return list_view.branch_screen(cb, await staff_branches(session, person))
    branch = cb.branch or None
    page = cb.page  # clamped by the service: an old or forged number shows a real page
    if cb.view == "inbox":
        result = await inbox(
            session,
            person,
            clock.now(),
            branch_id=branch,
            status=cb.status or None,
            page=page,
            per_page=PER_PAGE,
        )
    else:
        result = await curator_list(
            session,
            person,
            clock.now(),
            branch_id=branch,
            status=cb.status or None,
            page=page,
            per_page=PER_PAGE,
        )
    cb = MandateListCb(view=cb.view, page=result.page, branch=cb.branch, status=cb.status)
    return list_view.list_screen(cb, result, await staff_branches(session, person), person)


async def list_command(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    *,
    list_view: str,
    **_: Any,
) -> None:
    note = await unfinished(state)  # a text being written waits; the list says so
    cb = MandateListCb(view=list_view, page=1)
    try:
        text, markup = await _list(cb, session, person, clock)
    except DomainError as error:
        await message.answer(error_text(error))
        return
    await state.update_data({REMEMBERED_LIST: cb.pack()})
    await message.answer(with_note(text, note), reply_markup=markup)


async def inbox_command(message: Message, **data: Any) -> None:
    await list_command(message, list_view="inbox", **data)


async def mandates_command(message: Message, **data: Any) -> None:
    await list_command(message, list_view="cur", **data)


async def find_number(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    **_: Any,
) -> None:
    """A mandate's number, alone or after /mandate: its card, among those the person may
    see (their own; a branch's for its staff)."""
    text = message.text or ""
    if text.startswith("/"):
        text = text.partition(" ")[2]
    try:
        mandate_id = await find_by_number(session, person, text)
        card, card_text, markup = await load_card(session, person, mandate_id, clock, state)
    except DomainError as error:
        await message.answer(error_text(error))
        return
    await leave_work(state)
    await present(session, bot, clock, message.chat.id, card, card_text, markup, None)


async def list_page(
    query: CallbackQuery,
    callback_data: MandateListCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    try:
        text, markup = await _list(callback_data, session, person, clock)
    except DomainError as error:
        await refuse(query, error)
        return
    if callback_data.view in list_view.LIST_VIEWS:
        await state.update_data({REMEMBERED_LIST: callback_data.pack()})
    await query.answer()
    await show(query, bot, text, markup)
