"""The work on a mandate in the chat: its card, the secretary's decisions, the curator's
comment, the author's answer and rating, and the staff's lists (/inbox, /mandates).

The buttons are `md:<action>:<id>` and `mdr:<id>:<score>`, the same ones the outbox notices
carry (bot/services/mandate_notices.py), so a press in a notice and a press on a card take
the same path. Every press goes to a service, which checks access and the status: a refusal
is shown as the service words it and changes nothing. The services queue the other side's
notice; this module only answers the person in front of the bot.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError, InvalidInput, NotFound
from bot.services.mandates import decisions, lifecycle
from bot.services.mandates.access import is_staff
from bot.services.mandates.card import MandateCard, mandate_card
from bot.services.mandates.draft import AUTHORITY_MAX, NOTE_MAX, validate_note
from bot.services.mandates.queries import curator_list, inbox, staff_branches
from bot.services.people import Person
from bot.texts import t
from handlers import mandate_card as view
from handlers.callbacks import MandateCb, MandateListCb, MandateRateCb
from handlers.common import show_menu
from handlers.filters import Onboarded
from handlers.menus import MENU_BUTTONS

log = logging.getLogger(__name__)
PER_PAGE = 10
REMEMBERED_LIST = "mandate_list"  # FSM data: the list «К списку» returns to
WORK = "work"  # FSM data: the mandate a text is being written for


class MandateWork(StatesGroup):
    """A text being written for a mandate. State names are persisted: rename with care."""

    question = State()  # the secretary's question to the author
    authority = State()  # forwarding: to which authority
    forward_note = State()  # forwarding: an optional comment for the author
    resolution = State()  # resolving: what was done
    reason = State()  # rejecting: why
    comment = State()  # the curator's (or admin's) remark
    answer = State()  # the author's answer to a question


# The actions that need a text first: the state that waits for it and its limit.
TEXT_ACTIONS: dict[str, tuple[State, int]] = {
    "ask": (MandateWork.question, NOTE_MAX),
    "forward": (MandateWork.authority, AUTHORITY_MAX),
    "resolve": (MandateWork.resolution, NOTE_MAX),
    "reject": (MandateWork.reason, NOTE_MAX),
    "comment": (MandateWork.comment, NOTE_MAX),
    "answer": (MandateWork.answer, NOTE_MAX),
}
ACTION_OF_STATE = {state.state: action for action, (state, _) in TEXT_ACTIONS.items()}
ACTION_OF_STATE[MandateWork.forward_note.state] = "forward_note"

# Texts that are not answers: commands and the menu's buttons go on to their own handlers.
MENU_LABELS = frozenset(
    {t(f"menu.{key}") for keys in MENU_BUTTONS.values() for key in keys} | {t("menu.help")}
)
AN_ANSWER = F.text & ~F.text.startswith("/") & ~F.text.in_(MENU_LABELS)


# --- showing -------------------------------------------------------------------------------


def error_text(error: DomainError) -> str:
    return t(f"errors.{error.code}", **error.params)


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


async def _card(
    session: AsyncSession, person: Person, mandate_id: int, clock: Clock, state: FSMContext
) -> tuple[MandateCard, str, InlineKeyboardMarkup]:
    card = await mandate_card(session, person, mandate_id, clock.now())
    remembered = (await state.get_data()).get(REMEMBERED_LIST)
    back = view.back_to_list(card, remembered)
    return card, view.card_text(card, person), view.card_keyboard(card, back)


async def send_photos(bot: Bot, chat_id: int, card: MandateCard) -> None:
    """The mandate's photos, by file_id, before the card. A photo Telegram no longer has
    must not keep the card from showing."""
    caption = t("mandate_work.card.photos_caption", number=html.escape(card.number))
    try:
        if len(card.photos) == 1:
            await bot.send_photo(chat_id, card.photos[0], caption=caption)
        else:
            media = [
                InputMediaPhoto(media=file_id, caption=caption if i == 0 else None)
                for i, file_id in enumerate(card.photos)
            ]
            await bot.send_media_group(chat_id, media)
    except TelegramBadRequest as error:
        log.warning("photos of mandate %s not sent: %s", card.id, error.message)


async def leave_work(state: FSMContext) -> None:
    """Drop a text being written here (a list or the menu was asked for instead), keeping
    the remembered list."""
    current = await state.get_state()
    if current in ACTION_OF_STATE:
        await state.set_state(None)
        await state.update_data({WORK: None})


# --- the card ------------------------------------------------------------------------------


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
        card, text, markup = await _card(session, person, callback_data.id, clock, state)
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer()
    if view.is_staff_view(card) and card.photos:
        # Photos go first, so the card with its buttons is the newest message.
        await send_photos(bot, query.from_user.id, card)
        await bot.send_message(query.from_user.id, text, reply_markup=markup)
        return
    await show(query, bot, text, markup)


async def to_menu(query: CallbackQuery, state: FSMContext, person: Person, bot: Bot) -> None:
    await leave_work(state)
    await query.answer()
    await show_menu(query.message, person, bot)


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
        await _redraw(query, callback_data.id, state, person, session, clock, bot)
        return
    await query.answer(t("mandate_work.done.accept"))
    await _redraw(query, callback_data.id, state, person, session, clock, bot)


async def _redraw(
    query: CallbackQuery,
    mandate_id: int,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    _, text, markup = await _card(session, person, mandate_id, clock, state)
    await show(query, bot, text, markup)


# --- actions that need a text --------------------------------------------------------------


async def start_text_action(
    query: CallbackQuery,
    callback_data: MandateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
) -> None:
    """Ask, forward, resolve, reject, comment or answer: check first, so a forged or stale
    button is refused before anyone types, then ask for the text."""
    action = callback_data.action
    try:
        mandate = await lifecycle.check_action(session, person, callback_data.id, action)
        question = None
        if action == "answer":
            question = (await mandate_card(session, person, mandate.id, clock.now())).question
    except DomainError as error:
        await refuse(query, error)
        return
    waiting, limit = TEXT_ACTIONS[action]
    await state.set_state(waiting)
    await state.update_data({WORK: {"id": mandate.id, "number": mandate.number}})
    await query.answer()
    text = t(f"mandate_work.prompt.{action}", number=html.escape(mandate.number), max=limit)
    if question:
        quoted = t("mandate_work.prompt.answer_question", question=html.escape(question))
        text = f"{text}\n\n{quoted}"
    await query.message.answer(text)


def _prompt(action: str, work: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question of a step again, after a wrong answer."""
    number = html.escape(work.get("number", ""))
    if action == "forward_note":
        return t("mandate_work.prompt.forward_note", max=NOTE_MAX), _no_note_keyboard(work["id"])
    return t(f"mandate_work.prompt.{action}", number=number, max=TEXT_ACTIONS[action][1]), None


def _no_note_keyboard(mandate_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=t("mandate_work.button.no_note"),
        callback_data=MandateCb(action="fwd_skip", id=mandate_id),
    )
    return builder.as_markup()


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
    text = message.text or ""
    if action == "forward":
        # The authority is checked now; the forwarding waits for the optional comment.
        try:
            authority = validate_note(text, max_length=AUTHORITY_MAX)
        except InvalidInput as error:
            await _ask_again(message, action, work, error)
            return
        await state.update_data({WORK: {**work, "authority": authority}})
        await state.set_state(MandateWork.forward_note)
        prompt, markup = _prompt("forward_note", work)
        await message.answer(prompt, reply_markup=markup)
        return
    await _finish(message.chat.id, action, work, text, state, person, session, clock, bot)


async def _ask_again(
    message: Message, action: str, work: dict[str, Any], error: DomainError | None = None
) -> None:
    await message.answer(error_text(error) if error else t("mandate_work.prompt.text_expected"))
    prompt, markup = _prompt(action, work)
    await message.answer(prompt, reply_markup=markup)


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
    try:
        done = await _do(action, session, person, work, text, clock)
    except InvalidInput as error:  # the text itself: say why and ask again
        await bot.send_message(chat_id, error_text(error))
        prompt, markup = _prompt(action, work)
        await bot.send_message(chat_id, prompt, reply_markup=markup)
        return
    except DomainError as error:  # access, or the status changed meanwhile: leave the flow
        await leave_work(state)
        await bot.send_message(chat_id, error_text(error))
        return
    await leave_work(state)
    await bot.send_message(chat_id, done)
    _, card_text, markup = await _card(session, person, work["id"], clock, state)
    await bot.send_message(chat_id, card_text, reply_markup=markup)


async def text_expected(message: Message, state: FSMContext) -> None:
    """A sticker, photo or file where a text is asked."""
    action = ACTION_OF_STATE[await state.get_state() or ""]
    work = (await state.get_data()).get(WORK) or {}
    if not work:
        await leave_work(state)
        await message.answer(t("common.stale_button"))
        return
    await _ask_again(message, action, work)


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


# --- the author's rating -------------------------------------------------------------------


async def ask_rating(
    query: CallbackQuery, callback_data: MandateCb, person: Person, session: AsyncSession
) -> None:
    try:
        mandate = await lifecycle.check_action(session, person, callback_data.id, "rate")
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer()
    await query.message.answer(
        t("mandate_work.prompt.rate", number=html.escape(mandate.number)),
        reply_markup=view.rate_keyboard(mandate.id),
    )


async def rate(
    query: CallbackQuery,
    callback_data: MandateRateCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """`mdr:<id>:<score>`, from the notice or the card: 1–5, or 0 for «Нет». The message
    with the buttons becomes the thank-you, so its buttons are gone after one press."""
    score = None if callback_data.score == 0 else callback_data.score
    try:
        m = await decisions.rate_mandate(session, person, callback_data.id, score, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    number = html.escape(m.number)
    if m.status == lifecycle.MandateStatus.ACCEPTED:  # «нет» or 1–2: back in work
        text = t("mandate_work.done.reopened", number=number)
    else:
        text = t("mandate_work.done.rated", number=number, rating=score)
    await query.answer()
    await show(query, bot, text, InlineKeyboardMarkup(inline_keyboard=[]))


# --- the lists -----------------------------------------------------------------------------


async def _list(
    cb: MandateListCb, session: AsyncSession, person: Person, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    """A list page or a filter screen. Errors as the services give them."""
    if cb.view in view.FILTER_VIEWS:
        if not is_staff(person):
            raise AccessDenied()
        if cb.view == view.STATUS_VIEW:
            return view.status_screen(cb)
        return view.branch_screen(cb, await staff_branches(session, person))
    branch = cb.branch or None
    page = cb.page  # clamped by the service: an old or forged number shows a real page
    if cb.view == "inbox":
        result = await inbox(
            session, person, clock.now(), branch_id=branch, page=page, per_page=PER_PAGE
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
    return view.list_screen(cb, result, await staff_branches(session, person), person)


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
    await leave_work(state)
    cb = MandateListCb(view=list_view, page=1)
    try:
        text, markup = await _list(cb, session, person, clock)
    except DomainError as error:
        await message.answer(error_text(error))
        return
    await state.update_data({REMEMBERED_LIST: cb.pack()})
    await message.answer(text, reply_markup=markup)


async def inbox_command(message: Message, **data: Any) -> None:
    await list_command(message, list_view="inbox", **data)


async def mandates_command(message: Message, **data: Any) -> None:
    await list_command(message, list_view="cur", **data)


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
    if callback_data.view in view.LIST_VIEWS:
        await state.update_data({REMEMBERED_LIST: callback_data.pack()})
    await query.answer()
    await show(query, bot, text, markup)


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
        list_page, MandateListCb.filter(F.view.in_(view.LIST_VIEWS | view.FILTER_VIEWS))
    )

    router.callback_query.register(open_card, MandateCb.filter(F.action == "open"))
    router.callback_query.register(to_menu, MandateCb.filter(F.action == "menu"))
    router.callback_query.register(accept, MandateCb.filter(F.action == "accept"))
    router.callback_query.register(
        start_text_action, MandateCb.filter(F.action.in_(set(TEXT_ACTIONS)))
    )
    router.callback_query.register(
        forward_without_note, MandateCb.filter(F.action == "fwd_skip"), MandateWork.forward_note
    )
    router.callback_query.register(ask_rating, MandateCb.filter(F.action == "rate"))
    router.callback_query.register(rate, MandateRateCb.filter())

    for waiting in MandateWork.__all_states__:
        router.message.register(receive_text, waiting, AN_ANSWER)
        router.message.register(text_expected, waiting, ~F.text)
    return router
