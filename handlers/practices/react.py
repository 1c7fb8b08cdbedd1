"""The card's own buttons and the answer four weeks later: «👍 Полезно» (a toggle, the
card redrawn in place), «🛠 Берём в работу» (once per branch; a second press says who
and when), «✉️ Связаться с автором» (a typed message relayed by the bot, the accounts
hidden), and the answer to «Получилось?» (`prf:<adoption>:<outcome>`) with its optional
comment.

Thin handlers over `reactions` and `contact`: the services check access and the rules.
A practice the person may not see — a forged button — gets «Нет доступа» and changes
nothing; any other refusal is said in the pop-up and the card is redrawn to show where
things stand.

The two questions (the message, the comment) are the FSM states of `PracticeReact`; FSM
data `pr_ask` holds only JSON: what is asked ("contact": the practice; "comment": the
adoption and its outcome), the practice's title and the id of the question's message.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.people import Person
from bot.services.practices import contact, queries, reactions
from bot.services.practices.errors import PracticeError
from bot.services.practices.rules import COMMENT_MAX
from bot.texts import t
from handlers.callbacks import PracticeCb, PracticeFollowupCb, PracticeMenuCb
from handlers.filters import Onboarded
from handlers.practices.catalogue import back_on, refuse, render_card
from handlers.practices.catalogue_view import question_markup
from handlers.replies import (
    ask_aside,
    drop_buttons,
    end_aside,
    error_text,
    free_input,
    remove_message,
    show_in_place,
    with_note,
)
from storage.models import Practice, PracticeAdoption

ASK = "pr_ask"  # the FSM data key
# Refusals of a typed text after which asking again makes sense.
RETRY = frozenset({"message_too_short", "message_too_long", "comment_too_long"})


class PracticeReact(StatesGroup):
    # Persisted as "PracticeReact:<name>" in the FSM table: rename only with a migration.
    contact = State()
    comment = State()


def _s(key: str, **params: object) -> str:
    return t(f"pr_catalogue.{key}", **params)


async def _data(state: FSMContext) -> dict[str, Any]:
    found = (await state.get_data()).get(ASK)
    return found if isinstance(found, dict) else {}


async def _leave(state: FSMContext) -> str | None:
    """The question is over; the line of the flow it interrupted, if any (`end_aside`)."""
    return await end_aside(state, forget=ASK)


async def _redraw(
    query: CallbackQuery, person: Person, session: AsyncSession, bot: Bot, practice_id: int
) -> None:
    try:
        text, markup = await render_card(session, person, practice_id, back_on(query.message))
    except DomainError:
        return
    await show_in_place(bot, query, text, markup)


async def _refuse_and_redraw(
    query: CallbackQuery,
    error: DomainError,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    practice_id: int,
) -> None:
    await refuse(query, error)
    if not isinstance(error, AccessDenied | NotFound):
        await _redraw(query, person, session, bot, practice_id)


# --- «Полезно» and «Берём в работу» ------------------------------------------------------


async def like(
    query: CallbackQuery,
    callback_data: PracticeCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    try:
        liked = await reactions.toggle_like(session, person, callback_data.id, clock.now())
    except DomainError as error:
        await _refuse_and_redraw(query, error, person, session, bot, callback_data.id)
        return
    await query.answer(_s("done.liked" if liked.liked else "done.unliked"))
    await _redraw(query, person, session, bot, callback_data.id)


async def adopt(
    query: CallbackQuery,
    callback_data: PracticeCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    try:
        await reactions.adopt(session, person, callback_data.id, clock.now())
    except DomainError as error:
        await _refuse_and_redraw(query, error, person, session, bot, callback_data.id)
        return
    await query.answer(_s("done.adopted"), show_alert=True)
    await _redraw(query, person, session, bot, callback_data.id)


# --- «Связаться с автором» ---------------------------------------------------------------


def _contact_question(title: str) -> str:
    return _s("contact.ask", title=html.escape(title), min=contact.MESSAGE_MIN, max=COMMENT_MAX)


async def ask_contact(
    query: CallbackQuery,
    callback_data: PracticeCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """The question, as a new message under the card (the card stays to read from)."""
    try:
        card = await queries.practice_card(session, person, callback_data.id)
    except DomainError as error:
        await refuse(query, error)
        return
    if card.status != "published":
        await refuse(query, NotFound())
        return
    if card.is_author or not card.contact_offer:
        key = "own_practice" if card.is_author else "no_contact_offer"
        await refuse(query, PracticeError(key))
        return
    await query.answer()
    sent = await bot.send_message(
        person.id, _contact_question(card.title), reply_markup=question_markup()
    )
    old = await _data(state)
    await ask_aside(state, PracticeReact.contact)
    await state.update_data(
        {ASK: {"kind": "contact", "id": card.id, "title": card.title, "msg": sent.message_id}}
    )
    if old.get("msg") and old["msg"] != sent.message_id:
        await remove_message(bot, person.id, old["msg"])


async def _ask_again(
    message: Message, state: FSMContext, bot: Bot, data: dict[str, Any], complaint: str
) -> None:
    """The same question again, «⚠️ why» on top; the old copy removed (a comment's old
    copy carries the thanks for the answer: it only loses its button)."""
    if data["kind"] == "contact":
        text, markup = _contact_question(data.get("title") or ""), question_markup()
    else:
        text, markup = _comment_question(), _skip_markup(data["id"])
    sent = await bot.send_message(message.chat.id, f"⚠️ {complaint}\n\n{text}", reply_markup=markup)
    await state.update_data({ASK: {**data, "msg": sent.message_id}})
    old = data.get("msg")
    if old and old != sent.message_id:
        if data["kind"] == "contact":
            await remove_message(bot, message.chat.id, old)
        else:
            await drop_buttons(bot, message.chat.id, old)


async def contact_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await _data(state)
    if data.get("kind") != "contact":
        await _leave(state)
        raise SkipHandler()
    try:
        await contact.contact_author(session, person, data["id"], message.text or "", clock.now())
    except DomainError as error:
        if isinstance(error, PracticeError) and error.code in RETRY:
            await _ask_again(message, state, bot, data, error_text(error))
            return
        await _leave(state)
        denied = isinstance(error, AccessDenied | NotFound)
        await message.answer(error_text(AccessDenied()) if denied else error_text(error))
        return
    note = await _leave(state)
    if data.get("msg"):
        await drop_buttons(bot, message.chat.id, data["msg"])
    sent = _s("contact.sent", title=html.escape(data.get("title") or ""))
    await message.answer(with_note(sent, note))


# --- «Получилось?» -----------------------------------------------------------------------


def _skip_markup(adoption_id: int) -> InlineKeyboardMarkup:
    skip = InlineKeyboardButton(
        text=_s("button.skip"), callback_data=PracticeMenuCb(action="skip", id=adoption_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[skip]])


def _comment_question() -> str:
    return _s("followup.ask_comment", max=COMMENT_MAX).lstrip()


async def _title_of(session: AsyncSession, adoption_id: int) -> str:
    adoption = await session.get(PracticeAdoption, adoption_id)
    practice = await session.get(Practice, adoption.practice_id) if adoption else None
    return practice.title if practice else ""


async def answer_followup(
    query: CallbackQuery,
    callback_data: PracticeFollowupCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """The outcome is saved at once; the question turns into the thanks and the offer of
    a comment (the next text), with «Пропустить»."""
    adoption_id, outcome = callback_data.id, callback_data.outcome
    try:
        await reactions.answer_followup(session, person, adoption_id, outcome, None, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    title = await _title_of(session, adoption_id)
    saved = _s(
        "followup.saved", outcome=t(f"practices.outcome.{outcome}"), title=html.escape(title)
    )
    await query.answer()
    text = saved + _s("followup.ask_comment", max=COMMENT_MAX)
    shown = await show_in_place(bot, query, text, _skip_markup(adoption_id))
    await ask_aside(state, PracticeReact.comment)
    await state.update_data(
        {
            ASK: {
                "kind": "comment",
                "id": adoption_id,
                "outcome": outcome,
                "title": title,
                "msg": shown,
            }
        }
    )


async def comment_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await _data(state)
    if data.get("kind") != "comment":
        await _leave(state)
        raise SkipHandler()
    try:
        await reactions.answer_followup(
            session, person, data["id"], data["outcome"], message.text or "", clock.now()
        )
    except DomainError as error:
        if isinstance(error, PracticeError) and error.code in RETRY:
            await _ask_again(message, state, bot, data, error_text(error))
            return
        await _leave(state)
        denied = isinstance(error, AccessDenied | NotFound)
        await message.answer(error_text(AccessDenied()) if denied else error_text(error))
        return
    note = await _leave(state)
    if data.get("msg"):
        await drop_buttons(bot, message.chat.id, data["msg"])
    done = _s("followup.comment_done", title=html.escape(data.get("title") or ""))
    await message.answer(with_note(done, note))


async def not_text(message: Message, state: FSMContext, bot: Bot) -> None:
    """A sticker, photo or voice where a message or a comment is asked."""
    data = await _data(state)
    if data.get("kind") not in ("contact", "comment"):
        await _leave(state)
        raise SkipHandler()
    complaint = _s(f"{'contact' if data['kind'] == 'contact' else 'followup'}.not_text")
    await _ask_again(message, state, bot, data, complaint)


async def skip_comment(
    query: CallbackQuery,
    message: Message,
    callback_data: PracticeMenuCb,
    state: FSMContext,
    bot: Bot,
) -> None:
    """«Пропустить»: no comment (the outcome is saved already); the question loses its button."""
    data = await _data(state)
    if data.get("kind") == "comment" and data.get("id") == callback_data.id:
        await _leave(state)
    await query.answer(_s("followup.skipped"))
    await drop_buttons(bot, message.chat.id, message.message_id)


def create_router() -> Router:
    router = Router(name="practices_react")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    router.message.register(contact_typed, PracticeReact.contact, F.text, answer)
    router.message.register(comment_typed, PracticeReact.comment, F.text, answer)
    router.message.register(not_text, PracticeReact.contact, ~F.text)
    router.message.register(not_text, PracticeReact.comment, ~F.text)
    router.callback_query.register(like, PracticeCb.filter(F.action == "like"))
    router.callback_query.register(adopt, PracticeCb.filter(F.action == "adopt"))
    router.callback_query.register(ask_contact, PracticeCb.filter(F.action == "contact"))
    router.callback_query.register(answer_followup, PracticeFollowupCb.filter())
    router.callback_query.register(skip_comment, PracticeMenuCb.filter(F.action == "skip"))
    return router
