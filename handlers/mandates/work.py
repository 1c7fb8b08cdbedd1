"""The work on a mandate in the chat: the actions that need a text first (the secretary's
question, forwarding, resolving, rejecting; the curator's comment; the author's answer),
and the router of the whole work — the card (`card`) and the staff's lists (`lists`).

The buttons are `md:<action>:<id>` and `mdr:<id>:<score>`, the same ones the outbox notices
carry (bot/services/mandates/notices.py), so a press in a notice and a press on a card take
the same path. Every press goes to a service, which checks access and the status: a refusal
is shown as the service words it and changes nothing. The services queue the other side's
notice; this module only answers the person in front of the bot.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError, InvalidInput, NotFound
from bot.services.mandates import decisions, lifecycle
from bot.services.mandates.draft import AUTHORITY_MAX, NOTE_MAX, validate_note
from bot.services.mandates.queries import NUMBER_PATTERN
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import MandateCb, MandateListCb, PickCb
from handlers.common import open_menu
from handlers.filters import Onboarded
from handlers.mandates import card_view, list_view, submit_branch
from handlers.mandates.card import (
    accept,
    load_card,
    open_card,
    pressed_id,
    put_card,
    refuse,
)
from handlers.mandates.lists import find_number, inbox_command, list_page, mandates_command
from handlers.mandates.submit_branch import PURPOSE
from handlers.mandates.work_state import (
    ACTION_OF_STATE,
    TEXT_ACTIONS,
    WORK,
    MandateWork,
    leave_work,
)
from handlers.menus import MENU_BUTTONS
from handlers.replies import error_text, leave_for_menu

# Texts that are not answers: commands and the menu's buttons go on to their own handlers.
MENU_LABELS = frozenset(
    {t(f"menu.{key}") for keys in MENU_BUTTONS.values() for key in keys} | {t("menu.help")}
)


AN_ANSWER = F.text & ~F.text.startswith("/") & ~F.text.in_(MENU_LABELS)


async def to_menu(
    query: CallbackQuery, message: Message, state: FSMContext, person: Person, bot: Bot
) -> None:
    note = await leave_for_menu(state)  # a text being written waits; the menu says so
    await query.answer()
    await open_menu(message, person, bot, note)  # asked for with «🏠 В меню»: always shown


async def start_text_action(
    query: CallbackQuery,
    callback_data: MandateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """Ask, forward, resolve, reject, comment or answer: check first, so a forged or stale
    button is refused before anyone types, then ask for the text on the card itself: its
    buttons give way to «Отменить» and the question goes under it."""
    action = callback_data.action
    try:
        mandate = await lifecycle.check_action(session, person, callback_data.id, action)
    except DomainError as error:
        await refuse(query, error)
        return
    waiting, _ = TEXT_ACTIONS[action]
    await state.set_state(waiting)
    work = {"id": mandate.id, "number": mandate.number, "msg": pressed_id(query)}
    await query.answer()
    await _show_prompt(query.from_user.id, action, work, state, person, session, clock, bot)


def _prompt(action: str, work: dict[str, Any]) -> str:
    number = html.escape(work.get("number", ""))
    if action == "forward_note":
        return t("mandate_work.prompt.forward_note", max=NOTE_MAX)
    return t(f"mandate_work.prompt.{action}", number=number, max=TEXT_ACTIONS[action][1])


async def _show_prompt(
    chat_id: int,
    action: str,
    work: dict[str, Any],
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    refused: str | None = None,
) -> None:
    """The card with the step's question under it, in the one message of the question:
    drawn again in place when an answer is refused (`refused` says why)."""
    card, _, _ = await load_card(session, person, work["id"], clock, state)
    parts = [_prompt(action, work)]  # the card above shows a pending question itself
    if refused:
        parts.insert(0, t("mandate_work.prompt.refused", reason=refused))
    text = card_view.card_text(card, person, tail="\n\n".join(parts))
    markup = card_view.prompt_keyboard(card.id, no_note=action == "forward_note")
    shown = await put_card(session, bot, clock, chat_id, card.id, text, markup, work.get("msg"))
    await state.update_data({WORK: {**work, "msg": shown}})


async def _do(
    action: str,
    session: AsyncSession,
    person: Person,
    work: dict[str, Any],
    text: str | None,
    clock: Clock,
) -> str:
    """Run the service for a finished text; return what to tell the person."""
    now, mandate_id = clock.now(), work["id"]
    if action == "ask":
        m = await decisions.ask_clarification(session, person, mandate_id, text or "", now)
    elif action == "resolve":
        m = await decisions.resolve_mandate(session, person, mandate_id, text or "", now)
    elif action == "reject":
        m = await decisions.reject_mandate(session, person, mandate_id, text or "", now)
    elif action == "comment":
        m = await decisions.comment_mandate(session, person, mandate_id, text or "", now)
    elif action == "answer":
        m = await decisions.answer_clarification(session, person, mandate_id, text or "", now)
    elif action == "forward_note":
        m = await decisions.forward_mandate(
            session, person, mandate_id, work["authority"], now, comment=text
        )
        return t(
            "mandate_work.done.forward",
            number=html.escape(m.number),
            authority=html.escape(m.forwarded_to or ""),
        )
    else:
        raise ValueError(action)
    return t(f"mandate_work.done.{action}", number=html.escape(m.number))


async def receive_text(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    action = ACTION_OF_STATE[await state.get_state() or ""]
    work = (await state.get_data()).get(WORK) or {}
    if not work:  # the state outlived its data (an old version): nothing to act on
        await leave_work(state)
        await message.answer(t("common.stale_button"))
        return
    chat = message.chat.id
    text = message.text or ""
    if action == "forward":
        # The authority is checked now; the forwarding waits for the optional comment.
        try:
            authority = validate_note(text, max_length=AUTHORITY_MAX)
        except InvalidInput as error:
            await _show_prompt(
                chat, action, work, state, person, session, clock, bot, error_text(error)
            )
            return
        work = {**work, "authority": authority}
        await state.set_state(MandateWork.forward_note)
        await _show_prompt(chat, "forward_note", work, state, person, session, clock, bot)
        return
    await _finish(chat, action, work, text, state, person, session, clock, bot)


async def _finish(
    chat_id: int,
    action: str,
    work: dict[str, Any],
    text: str | None,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """Act, and draw the result into the question's message: the card as it is now, with
    what was done (or why not) under it."""
    try:
        done = await _do(action, session, person, work, text, clock)
    except InvalidInput as error:  # the text itself: say why and ask again, in place
        await _show_prompt(
            chat_id, action, work, state, person, session, clock, bot, error_text(error)
        )
        return
    except DomainError as error:  # access, or the status changed meanwhile: leave the flow
        await leave_work(state)
        done = error_text(error)
        if isinstance(error, AccessDenied | NotFound):
            await bot.send_message(chat_id, done)
            return
    else:
        await leave_work(state)
    card, _, markup = await load_card(session, person, work["id"], clock, state)
    text = card_view.card_text(card, person, tail=done)
    await put_card(session, bot, clock, chat_id, card.id, text, markup, work.get("msg"))


async def text_expected(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A sticker, photo or file where a text is asked."""
    action = ACTION_OF_STATE[await state.get_state() or ""]
    work = (await state.get_data()).get(WORK) or {}
    if not work:
        await leave_work(state)
        await message.answer(t("common.stale_button"))
        return
    refused = t("mandate_work.prompt.text_expected")
    await _show_prompt(message.chat.id, action, work, state, person, session, clock, bot, refused)


async def forward_without_note(
    query: CallbackQuery,
    callback_data: MandateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    work = (await state.get_data()).get(WORK) or {}
    if work.get("id") != callback_data.id or not work.get("authority"):
        await query.answer(t("common.stale_button"), show_alert=True)
        return
    await query.answer()
    await _finish(
        query.from_user.id, "forward_note", work, None, state, person, session, clock, bot
    )


def create_router() -> Router:
    router = Router(name="mandate_work")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())

    # Lists first: asking for one leaves a text being written.
    router.message.register(inbox_command, Command("inbox"))
    router.message.register(inbox_command, F.text == t("menu.inbox"))
    router.message.register(mandates_command, Command("mandates"))
    router.message.register(mandates_command, F.text == t("menu.mandates"))
    router.callback_query.register(
        list_page, MandateListCb.filter(F.view.in_(list_view.LIST_VIEWS | list_view.FILTER_VIEWS))
    )
    router.callback_query.register(submit_branch.picked, PickCb.filter(F.purpose == PURPOSE))
    # A number sent alone opens that mandate (/mandate <number> is in `submit`).
    router.message.register(find_number, StateFilter(None), F.text.regexp(NUMBER_PATTERN))

    router.callback_query.register(open_card, MandateCb.filter(F.action == "open"))
    router.callback_query.register(to_menu, MandateCb.filter(F.action == "menu"))
    router.callback_query.register(accept, MandateCb.filter(F.action == "accept"))
    router.callback_query.register(
        start_text_action, MandateCb.filter(F.action.in_(set(TEXT_ACTIONS)))
    )
    router.callback_query.register(
        forward_without_note, MandateCb.filter(F.action == "fwd_skip"), MandateWork.forward_note
    )

    for waiting in MandateWork.__all_states__:
        router.message.register(receive_text, waiting, AN_ANSWER)
        router.message.register(text_expected, waiting, ~F.text)
    return router
