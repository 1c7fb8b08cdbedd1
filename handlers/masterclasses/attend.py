"""Attendance: the organiser's list of people (paged in place, with a tick per seated
person and its `.xlsx`), the check-in code, a person's `/checkin`, the rating and the
optional comment, and the organiser's feedback summary.

Thin handlers over `bot.services.masterclasses` (`roster`, `checkin`, `feedback`): the
services check access and the rules, these show the outcome. The organiser's screens
come from the masterclass card of `manage` (`OrganiserCb` "people", "code", "feedback")
and lead back to it (`OrganiserCb` "card"); they are drawn in place of the pressed
message. A forged button — a masterclass the person may not manage, a registration of
another masterclass — gets «Нет доступа» and changes nothing.

The two questions (the code, the comment) are the FSM states of `MasterclassAttend`;
FSM data `attend` holds only JSON: the masterclass id (or None for a plain `/checkin`),
its title and the id of the one message of the question.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.masterclasses import checkin, feedback, queries, roster
from bot.services.masterclasses.checkin import OPENS_BEFORE_START
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.records import REGISTERED
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import AttendCb, MasterclassCb, MasterclassRateCb, OrganiserCb
from handlers.filters import Onboarded, reads_only
from handlers.masterclasses.attend_view import (
    back_markup,
    code_screen,
    feedback_screen,
    not_open_text,
    people_screen,
    xlsx_caption,
    xlsx_name,
)
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
from storage.models import Masterclass, MasterclassRegistration

ATTEND = "attend"  # the FSM data key
# Refusals of a code after which asking again makes sense: the person may have misheard.
RETRY = frozenset({"checkin_code_format", "checkin_wrong_code"})


class MasterclassAttend(StatesGroup):
    # Persisted as "MasterclassAttend:<name>" in the FSM table: rename only with a migration.
    code = State()
    comment = State()


def _s(key: str, **params: object) -> str:
    return t(f"mc_attend.{key}", **params)


def _denied(error: DomainError) -> bool:
    return isinstance(error, AccessDenied | NotFound)


async def refuse(query: CallbackQuery, error: DomainError) -> None:
    """A refusal in the button's pop-up; what the person may not manage or see says only
    «Нет доступа», whether it does not exist or is not theirs."""
    text = error_text(AccessDenied()) if _denied(error) else error_text(error)
    await query.answer(text, show_alert=True)


async def _masterclass(session: AsyncSession, masterclass_id: int) -> Masterclass:
    """The masterclass a service has just let the person manage (it is in the session)."""
    masterclass = await session.get(Masterclass, masterclass_id)
    if masterclass is None:
        raise NotFound()
    return masterclass


# --- the list of people ------------------------------------------------------------------


async def render_people(
    session: AsyncSession, person: Person, masterclass_id: int, page_number: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Errors: NotFound, AccessDenied."""
    lines = await roster.roster(session, person, masterclass_id)
    masterclass = await _masterclass(session, masterclass_id)
    seated = [line.user_id for line in lines if line.status == REGISTERED]
    ids: dict[int, int] = {}
    if seated:
        rows = await session.execute(
            select(MasterclassRegistration.user_id, MasterclassRegistration.id).where(
                MasterclassRegistration.masterclass_id == masterclass_id,
                MasterclassRegistration.user_id.in_(seated),
            )
        )
        ids = {user_id: registration_id for user_id, registration_id in rows.all()}
    text, markup, _ = people_screen(masterclass, lines, page_number, ids)
    return text, markup


async def show_people(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«👥 Записавшиеся» on the card, and the list's pages (clamped: a forged page number
    shows a real page)."""
    try:
        text, markup = await render_people(session, person, callback_data.id, callback_data.page)
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def tick(
    query: CallbackQuery,
    callback_data: AttendCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A seated person ticked present (or unticked); the page is redrawn in place."""
    registration = await session.get(MasterclassRegistration, callback_data.id)
    if registration is None:
        await refuse(query, AccessDenied())
        return
    masterclass_id, user_id = registration.masterclass_id, registration.user_id
    present = callback_data.action == "tick"
    try:
        await checkin.mark_present(session, person, masterclass_id, user_id, present, clock.now())
    except DomainError as error:
        if _denied(error):
            await refuse(query, error)
            return
        # Stale (the person left, the masterclass was cancelled): say why, show the list now.
        await refuse(query, error)
        await _redraw_people(query, person, session, bot, masterclass_id, callback_data.page)
        return
    await query.answer()
    await _redraw_people(query, person, session, bot, masterclass_id, callback_data.page)


async def _redraw_people(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    masterclass_id: int,
    page: int,
) -> None:
    try:
        text, markup = await render_people(session, person, masterclass_id, page)
    except DomainError:
        return
    await show_in_place(bot, query, text, markup)


async def send_xlsx(
    query: CallbackQuery,
    callback_data: AttendCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«📊 Скачать .xlsx»: the whole list (those who left too), times in my zone."""
    try:
        content = await roster.roster_xlsx(session, person, callback_data.id, person.timezone)
    except DomainError as error:
        await refuse(query, error)
        return
    masterclass = await _masterclass(session, callback_data.id)
    await query.answer()
    await bot.send_document(
        person.id,
        BufferedInputFile(content, filename=xlsx_name(masterclass, person.timezone)),
        caption=xlsx_caption(masterclass, person.timezone),
    )


# --- the code, for the organiser ---------------------------------------------------------


async def show_code(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«🔢 Код отметки»: the code to say in the room (made now if the start's notice has
    not made it yet), from half an hour before the start."""
    try:
        code = await checkin.code_for_organiser(session, person, callback_data.id, clock.now())
    except MasterclassError as error:
        if error.code == "checkin_not_open":
            masterclass = await _masterclass(session, callback_data.id)
            opens = masterclass.starts_at - OPENS_BEFORE_START
            await query.answer(not_open_text(opens, person.timezone), show_alert=True)
            return
        await refuse(query, error)
        return
    except DomainError as error:
        await refuse(query, error)
        return
    masterclass = await _masterclass(session, callback_data.id)
    await query.answer()
    await show_in_place(
        bot, query, code_screen(masterclass, code, person.timezone), back_markup(masterclass.id)
    )


# --- /checkin, for the person in the room ------------------------------------------------


async def _leave(state: FSMContext) -> str | None:
    """The question is over; the line of the flow it interrupted, if any (`end_aside`)."""
    return await end_aside(state, forget=ATTEND)


def _code_question(title: str | None) -> str:
    if title is None:
        return _s("checkin.ask")
    return _s("checkin.ask_for", title=html.escape(title))


async def _ask_code(
    message: Message,
    state: FSMContext,
    bot: Bot,
    masterclass_id: int | None,
    title: str | None,
    complaint: str | None = None,
) -> None:
    """The code question, one message: a new copy under the person's message, the old
    copy (asked before, refused) removed."""
    data = (await state.get_data()).get(ATTEND) or {}
    text = _code_question(title)
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    sent = await bot.send_message(message.chat.id, text)
    old = data.get("msg") if data.get("kind") == "code" else None
    await ask_aside(state, MasterclassAttend.code)
    await state.update_data(
        {ATTEND: {"kind": "code", "id": masterclass_id, "title": title, "msg": sent.message_id}}
    )
    if old and old != sent.message_id:
        await remove_message(bot, message.chat.id, old)


async def _try_code(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    code: str,
    masterclass_id: int | None,
    title: str | None,
) -> None:
    try:
        masterclass = await checkin.check_in(
            session, person, code, clock.now(), masterclass_id=masterclass_id
        )
    except DomainError as error:
        if isinstance(error, MasterclassError) and error.code in RETRY:
            await _ask_code(message, state, bot, masterclass_id, title, error_text(error))
            return
        await _leave(state)
        await message.answer(error_text(error))
        return
    note = await _leave(state)
    await message.answer(with_note(_s("checkin.done", title=html.escape(masterclass.title)), note))


async def checkin_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """`/checkin 4821` marks me present; `/checkin` alone asks for the code."""
    code = (command.args or "").strip()
    if not code:
        await _ask_code(message, state, bot, None, None)
        return
    await _try_code(message, state, person, session, clock, bot, code, None, None)


async def checkin_button(
    query: CallbackQuery,
    message: Message,
    callback_data: MasterclassCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«📍 Отметиться» on the hour-before reminder: the code question for that masterclass,
    for someone who holds a seat on it."""
    mine = await session.get(Masterclass, callback_data.id)
    registration = await queries.my_registration(session, person, callback_data.id)
    if mine is None or registration is None or registration.status != REGISTERED:
        await refuse(query, MasterclassError("checkin_not_registered"))
        return
    if mine.status != "published":
        await refuse(query, MasterclassError("masterclass_cancelled"))
        return
    await query.answer()
    await _ask_code(message, state, bot, mine.id, mine.title)


async def code_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data: dict[str, Any] = (await state.get_data()).get(ATTEND) or {}
    if data.get("kind") != "code":
        await _leave(state)
        raise SkipHandler()
    await _try_code(
        message,
        state,
        person,
        session,
        clock,
        bot,
        message.text or "",
        data.get("id"),
        data.get("title"),
    )


async def code_not_text(message: Message, state: FSMContext, bot: Bot) -> None:
    """A sticker, photo or voice where the code is asked."""
    data: dict[str, Any] = (await state.get_data()).get(ATTEND) or {}
    if data.get("kind") != "code":
        await _leave(state)
        raise SkipHandler()
    complaint = _s("checkin.not_text")
    await _ask_code(message, state, bot, data.get("id"), data.get("title"), complaint)


# --- the rating and the comment ----------------------------------------------------------


def _stars(score: int) -> str:
    return "⭐" * score


def _skip_markup(masterclass_id: int) -> InlineKeyboardMarkup:
    skip = InlineKeyboardButton(
        text=_s("rate.skip"), callback_data=AttendCb(action="skip", id=masterclass_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[skip]])


def _thanks(title: str, score: int) -> str:
    return _s("rate.thanks", title=html.escape(title), stars=_stars(score), score=score)


async def rate(
    query: CallbackQuery,
    message: Message,
    callback_data: MasterclassRateCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """`mcr:<id>:<score>` from the request sent after the end: the rating, then the
    request turns into the thanks and the offer of a comment (the next text)."""
    masterclass_id, score = callback_data.id, callback_data.score
    try:
        await feedback.rate(session, person, masterclass_id, score, clock.now())
    except DomainError as error:
        await refuse(query, error)
        if isinstance(error, MasterclassError) and error.code == "already_rated":
            await drop_buttons(bot, message.chat.id, message.message_id)
        return
    masterclass = await _masterclass(session, masterclass_id)
    await query.answer()
    text = f"{_thanks(masterclass.title, score)}\n\n"
    text += _s("rate.ask_comment", max=feedback.COMMENT_MAX)
    shown = await show_in_place(bot, query, text, _skip_markup(masterclass_id))
    await ask_aside(state, MasterclassAttend.comment)
    await state.update_data(
        {
            ATTEND: {
                "kind": "comment",
                "id": masterclass_id,
                "title": masterclass.title,
                "score": score,
                "msg": shown,
            }
        }
    )


async def _ask_comment_again(
    message: Message, state: FSMContext, bot: Bot, data: dict[str, Any], complaint: str
) -> None:
    text = f"⚠️ {complaint}\n\n{_s('rate.ask_comment', max=feedback.COMMENT_MAX)}"
    sent = await bot.send_message(message.chat.id, text, reply_markup=_skip_markup(data["id"]))
    old = data.get("msg")
    await state.update_data({ATTEND: {**data, "msg": sent.message_id}})
    if old and old != sent.message_id:
        # The old copy carries the thanks: keep it, without its button.
        await drop_buttons(bot, message.chat.id, old)


async def comment_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data: dict[str, Any] = (await state.get_data()).get(ATTEND) or {}
    if data.get("kind") != "comment":
        await _leave(state)
        raise SkipHandler()
    try:
        await feedback.comment(session, person, data["id"], message.text or "", clock.now())
    except MasterclassError as error:
        if error.code == "comment_too_long":
            await _ask_comment_again(message, state, bot, data, error_text(error))
            return
        await _leave(state)
        await message.answer(error_text(error))
        return
    note = await _leave(state)
    if data.get("msg"):
        await drop_buttons(bot, message.chat.id, data["msg"])
    done = _s("rate.comment_done", title=html.escape(data.get("title") or ""))
    await message.answer(with_note(done, note))


async def comment_not_text(message: Message, state: FSMContext, bot: Bot) -> None:
    data: dict[str, Any] = (await state.get_data()).get(ATTEND) or {}
    if data.get("kind") != "comment":
        await _leave(state)
        raise SkipHandler()
    await _ask_comment_again(message, state, bot, data, _s("rate.comment_not_text"))


async def skip_comment(
    query: CallbackQuery,
    message: Message,
    callback_data: AttendCb,
    state: FSMContext,
    bot: Bot,
) -> None:
    """«Пропустить»: no comment; the question loses its button."""
    data: dict[str, Any] = (await state.get_data()).get(ATTEND) or {}
    if data.get("kind") == "comment" and data.get("id") == callback_data.id:
        await _leave(state)
    await query.answer(_s("rate.skipped"))
    await drop_buttons(bot, message.chat.id, message.message_id)


# --- the feedback, for the organiser -----------------------------------------------------


async def show_feedback(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«⭐ Отзывы»: how many were present and rated, the average, the comments (paged)."""
    try:
        summary = await feedback.summary(session, person, callback_data.id)
    except DomainError as error:
        await refuse(query, error)
        return
    masterclass = await _masterclass(session, callback_data.id)
    text, markup = feedback_screen(masterclass, summary, callback_data.page)
    await query.answer()
    await show_in_place(bot, query, text, markup)


def create_router() -> Router:
    router = Router(name="masterclasses_attend")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()

    router.message.register(checkin_command, Command("checkin"))
    router.message.register(code_typed, MasterclassAttend.code, F.text, answer)
    router.message.register(code_not_text, MasterclassAttend.code, ~F.text)
    router.message.register(comment_typed, MasterclassAttend.comment, F.text, answer)
    router.message.register(comment_not_text, MasterclassAttend.comment, ~F.text)

    router.callback_query.register(
        show_people, OrganiserCb.filter(F.action == "people"), flags=reads_only()
    )
    router.callback_query.register(show_code, OrganiserCb.filter(F.action == "code"))
    router.callback_query.register(
        show_feedback, OrganiserCb.filter(F.action == "feedback"), flags=reads_only()
    )
    router.callback_query.register(tick, AttendCb.filter(F.action.in_({"tick", "untick"})))
    router.callback_query.register(
        send_xlsx, AttendCb.filter(F.action == "xlsx"), flags=reads_only()
    )
    router.callback_query.register(skip_comment, AttendCb.filter(F.action == "skip"))
    router.callback_query.register(checkin_button, MasterclassCb.filter(F.action == "checkin"))
    router.callback_query.register(rate, MasterclassRateCb.filter())
    return router
