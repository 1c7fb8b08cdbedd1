"""The author's side once a mandate is sent: answering a secretary's question by just
typing, and rating the result.

- A Telegram reply to a question's message answers that question, whatever the person is
  doing (it cannot mean anything else); a text typed outside any flow answers the one open
  question, or asks with one tap which one when several are open.
- The rating question is stars, 5 the best; a press keeps the message with the
  secretary's comment (only its buttons go) and is acknowledged under it; a low one asks
  what went wrong, in words that reach the secretary (optional).

Included before the submission flow, so that a reply to a question is never taken as an
answer of the draft.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import DomainError, InvalidInput
from bot.services.mandates import decisions, lifecycle
from bot.services.mandates.questions import OpenQuestion, numbers_in, open_questions
from bot.services.mandates.rating import explain_rating, is_low, rating_buttons, stars
from bot.services.outbox import Button
from bot.services.people import Person
from bot.texts import shorten, t
from handlers.callbacks import AuthorCb, MandateCb, MandateRateCb
from handlers.filters import Onboarded
from handlers.replies import (
    ask_aside,
    drop_buttons,
    end_aside,
    error_text,
    free_input,
    remove_message,
    unfinished,
    with_note,
)

PREVIEW = 60
RATING = "rating"  # FSM data: the mandate whose low rating waits for words
PENDING = "pending_answer"  # FSM data: a typed answer waiting for its mandate to be chosen


class MandateRating(StatesGroup):
    # Persisted as "MandateRating:<name>": rename only with a migration.
    words = State()  # after a low rating: what went wrong (optional)


def say(key: str, **params: Any) -> str:
    return t(f"mandate_submit.author.{key}", **params)


def _markup(rows: list[list[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.text, callback_data=b.callback_data, url=b.url)
                for b in row
            ]
            for row in rows
        ]
    )


# --- answering a question ----------------------------------------------------------------


def _replied_mandates(message: Message) -> tuple[set[int], set[str]]:
    """What the message replied to names: mandate ids its buttons carry, numbers its text."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return set(), set()
    ids = set()
    markup = replied.reply_markup
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                try:
                    cb = MandateCb.unpack(button.callback_data or "")
                except (TypeError, ValueError):
                    continue
                if cb.action == "answer":
                    ids.add(cb.id)
    return ids, set(numbers_in(replied.text or replied.caption))


async def _answer(
    message: Message,
    question: OpenQuestion,
    text: str,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
) -> None:
    number = html.escape(question.number)
    try:
        await decisions.answer_clarification(
            session, person, question.mandate_id, text, clock.now()
        )
    except InvalidInput as error:
        await message.answer(say("answer_refused", number=number, reason=error_text(error)))
        return
    except DomainError as error:
        await message.answer(error_text(error))
        return
    await message.answer(with_note(say("answered", number=number), await unfinished(state)))


async def reply_to_question(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
) -> None:
    """A reply to the bot's message about a question: the answer to it."""
    ids, numbers = _replied_mandates(message)
    if not ids and not numbers:
        raise SkipHandler()
    questions = await open_questions(session, person)
    match = [q for q in questions if q.mandate_id in ids or q.number in numbers]
    if not match:
        if not ids:  # a reply to some other message of the bot's: not ours to take
            raise SkipHandler()
        await message.answer(say("no_question_now"))
        return
    await _answer(message, match[0], message.text or "", state, person, session, clock)


async def typed_answer(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A text outside any flow: the answer to the one open question; with several, one
    tap says which. Without any, the fallback answers."""
    questions = await open_questions(session, person)
    if not questions:
        raise SkipHandler()
    text = message.text or ""
    if len(questions) == 1:
        await _answer(message, questions[0], text, state, person, session, clock)
        return
    rows = [
        [
            InlineKeyboardButton(
                text=say("to_button", number=q.number, question=_preview(q.question)),
                callback_data=AuthorCb(action="to", id=q.mandate_id).pack(),
            )
        ]
        for q in questions
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=say("keep_button"), callback_data=AuthorCb(action="keep").pack()
            )
        ]
    )
    old = (await state.get_data()).get(PENDING) or {}
    sent = await message.answer(
        say("which", count=len(questions)), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )
    if old.get("msg"):  # the earlier «which?» is replaced by this one
        await remove_message(bot, message.chat.id, old["msg"])
    await state.update_data({PENDING: {"text": text, "msg": sent.message_id}})


def _preview(text: str) -> str:
    return shorten(text, PREVIEW)


async def answer_chosen(
    query: CallbackQuery,
    message: Message,
    callback_data: AuthorCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    pending = (await state.get_data()).get(PENDING) or {}
    if not pending.get("text") or pending.get("msg") != message.message_id:
        await query.answer(t("common.stale_button"), show_alert=True)
        return
    await state.update_data({PENDING: None})
    await query.answer()
    await drop_buttons(bot, message.chat.id, message.message_id)
    if callback_data.action == "keep":
        await message.edit_text(say("not_sent"))
        return
    questions = {q.mandate_id: q for q in await open_questions(session, person)}
    question = questions.get(callback_data.id)
    if question is None:
        await message.edit_text(say("no_question_now"))
        return
    await message.edit_text(say("chosen", number=html.escape(question.number)))
    await _answer(message, question, pending["text"], state, person, session, clock)


# --- rating ------------------------------------------------------------------------------


async def ask_rating(
    query: CallbackQuery,
    message: Message,
    callback_data: MandateCb,
    person: Person,
    session: AsyncSession,
) -> None:
    """«⭐ Оценить» on the card: the rating question under it."""
    try:
        mandate = await lifecycle.check_action(session, person, callback_data.id, "rate")
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer()
    await message.answer(
        say("rate_question", number=html.escape(mandate.number)),
        reply_markup=_markup(rating_buttons(mandate.id)),
    )


async def rate(
    query: CallbackQuery,
    message: Message,
    callback_data: MandateRateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """`mdr:<id>:<score>`, from the notice or the card: 5…1, or 0 for «не решён». The
    pressed message keeps its text (the secretary's comment is there) and loses its
    buttons; the thanks go under it."""
    score = None if callback_data.score == 0 else callback_data.score
    try:
        m = await decisions.rate_mandate(session, person, callback_data.id, score, clock.now())
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer()
    await drop_buttons(bot, message.chat.id, message.message_id)
    number = html.escape(m.number)
    if not is_low(score):
        await message.answer(say("rated", number=number, stars=stars(score or 0), rating=score))
        return
    key = "reopened_no" if score is None else "reopened"
    text = f"{say(key, number=number, stars=stars(score or 0), rating=score)}\n\n{say('why')}"
    no_words = InlineKeyboardButton(
        text=say("no_words_button"), callback_data=AuthorCb(action="no_words", id=m.id).pack()
    )
    sent = await message.answer(
        text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[no_words]])
    )
    await ask_aside(state, MandateRating.words)
    await state.update_data({RATING: {"id": m.id, "number": m.number, "msg": sent.message_id}})


async def _leave_rating(state: FSMContext) -> str | None:
    """The question is over; the line of the flow it interrupted, if any (`end_aside`)."""
    return await end_aside(state, forget=RATING)


async def rating_words(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    waiting = (await state.get_data()).get(RATING) or {}
    if not waiting:
        await _leave_rating(state)
        raise SkipHandler()
    number = html.escape(waiting["number"])
    try:
        await explain_rating(session, person, waiting["id"], message.text or "", clock.now())
    except InvalidInput as error:
        await _ask_words_again(message, state, bot, waiting, error_text(error))
        return
    except DomainError as error:
        await _leave_rating(state)
        await message.answer(error_text(error))
        return
    note = await _leave_rating(state)
    await drop_buttons(bot, message.chat.id, waiting["msg"])
    await message.answer(with_note(say("words_sent", number=number), note))


async def words_expected(message: Message, state: FSMContext, bot: Bot) -> None:
    """A sticker, photo or voice where the words are asked."""
    waiting = (await state.get_data()).get(RATING) or {}
    if not waiting:
        await _leave_rating(state)
        raise SkipHandler()
    await _ask_words_again(message, state, bot, waiting, say("words_expected"))


async def _ask_words_again(
    message: Message, state: FSMContext, bot: Bot, waiting: dict[str, Any], complaint: str
) -> None:
    """One message again: why, and the question, under the person's message."""
    no_words = InlineKeyboardButton(
        text=say("no_words_button"),
        callback_data=AuthorCb(action="no_words", id=waiting["id"]).pack(),
    )
    sent = await message.answer(
        f"⚠️ {complaint}\n\n{say('why')}",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[no_words]]),
    )
    await remove_message(bot, message.chat.id, waiting["msg"])
    await state.update_data({RATING: {**waiting, "msg": sent.message_id}})


async def no_words(
    query: CallbackQuery, message: Message, callback_data: AuthorCb, state: FSMContext, bot: Bot
) -> None:
    waiting = (await state.get_data()).get(RATING) or {}
    await query.answer()
    await drop_buttons(bot, message.chat.id, message.message_id)
    if waiting.get("id") == callback_data.id:
        await _leave_rating(state)


def create_router() -> Router:
    router = Router(name="mandate_author")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()

    router.message.register(reply_to_question, F.reply_to_message, F.text, answer)
    router.message.register(rating_words, MandateRating.words, F.text, answer)
    router.message.register(words_expected, MandateRating.words, ~F.text)
    router.message.register(typed_answer, StateFilter(None), F.text, answer)

    router.callback_query.register(ask_rating, MandateCb.filter(F.action == "rate"))
    router.callback_query.register(rate, MandateRateCb.filter())
    router.callback_query.register(answer_chosen, AuthorCb.filter(F.action.in_({"to", "keep"})))
    router.callback_query.register(no_words, AuthorCb.filter(F.action == "no_words"))
    return router
