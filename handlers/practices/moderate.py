"""A moderator's decisions on a practice: «✅ Опубликовать» and «↩️ Вернуть на доработку»
(a comment, typed, reaches the author) — on the notice of a new practice or on its card —
and `/moderation`, what waits for this moderator, oldest first, paged in place.

`moderation.publish` / `return_for_rework` check who may decide and let one decision
count: the second moderator to press is told who decided, and the buttons go.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.people import Person
from bot.services.practices import moderation
from bot.services.practices.errors import PracticeError
from bot.services.practices.rules import category_name
from bot.texts import shorten, t
from handlers.callbacks import PracticeCb, PracticeListCb
from handlers.filters import Onboarded, reads_only
from handlers.paging import add_pager
from handlers.practices.catalogue_view import open_data
from handlers.practices.share_form import say
from handlers.replies import drop_buttons, error_text, free_input, remove_message, show_in_place

KEY = "moderate"  # the FSM data key: the practice, its title, the question's message
PER_PAGE = 5
TITLE_CHARS = 40


class PracticeReturn(StatesGroup):
    # Persisted as "PracticeReturn:<name>" in the FSM table: rename only with a migration.
    comment = State()


async def _refuse(query: CallbackQuery, message: Message, bot: Bot, error: DomainError) -> None:
    """Nothing to decide: «Нет доступа» for what is not theirs; a decision taken already
    says by whom, and the pressed message loses its buttons."""
    if isinstance(error, AccessDenied | NotFound):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    await query.answer(error_text(error), show_alert=True)
    if isinstance(error, PracticeError) and error.code == "already_decided":
        await drop_buttons(bot, message.chat.id, message.message_id)


def _open_markup(practice_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=t("practices.button.open"),
        callback_data=PracticeCb(action="open", id=practice_id).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def publish(
    query: CallbackQuery,
    message: Message,
    callback_data: PracticeCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    try:
        practice = await moderation.publish(session, person, callback_data.id, clock.now())
    except DomainError as error:
        await _refuse(query, message, bot, error)
        return
    await query.answer()
    text = say("moderate.published", title=html.escape(practice.title))
    await show_in_place(bot, query, text, _open_markup(practice.id))


# --- «Вернуть на доработку» ----------------------------------------------------------------


def _keep_button(practice_id: int) -> InlineKeyboardMarkup:
    keep = InlineKeyboardButton(
        text=say("moderate.return_keep"),
        callback_data=PracticeCb(action="retno", id=practice_id).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[keep]])


async def _ask_comment(
    bot: Bot, chat_id: int, state: FSMContext, data: dict[str, Any], complaint: str | None = None
) -> None:
    """The comment question, one message: under the person's refused answer, the old
    copy removed."""
    text = say("moderate.return_ask", title=html.escape(data["title"]))
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    sent = await bot.send_message(chat_id, text, reply_markup=_keep_button(data["id"]))
    old = data.get("msg")
    await state.set_state(PracticeReturn.comment)
    await state.update_data({KEY: {**data, "msg": sent.message_id}})
    if old and old != sent.message_id:
        await remove_message(bot, chat_id, old)


async def ask_return(
    query: CallbackQuery,
    message: Message,
    callback_data: PracticeCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«↩️ Вернуть на доработку»: what to rework, asked under the practice."""
    try:
        practice = await moderation.require_undecided(session, person, callback_data.id)
    except DomainError as error:
        await _refuse(query, message, bot, error)
        return
    await query.answer()
    data = {"id": practice.id, "title": practice.title, "notice": message.message_id}
    await _ask_comment(bot, message.chat.id, state, data)


async def comment_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data: dict[str, Any] = (await state.get_data()).get(KEY) or {}
    if not data.get("id"):
        await state.set_state(None)
        raise SkipHandler()
    try:
        practice = await moderation.return_for_rework(
            session, person, data["id"], message.text or "", clock.now()
        )
    except PracticeError as error:
        if error.code in ("comment_required", "comment_too_long"):
            await _ask_comment(bot, message.chat.id, state, data, error_text(error))
            return
        await _done(state, bot, message.chat.id, data)
        await message.answer(error_text(error))
        return
    except DomainError:
        await _done(state, bot, message.chat.id, data)
        await message.answer(error_text(AccessDenied()))
        return
    await _done(state, bot, message.chat.id, data)
    comment = html.escape(practice.return_comment or "")
    await message.answer(
        say("moderate.returned", title=html.escape(practice.title), comment=comment)
    )


async def comment_not_text(message: Message, state: FSMContext, bot: Bot) -> None:
    data: dict[str, Any] = (await state.get_data()).get(KEY) or {}
    if not data.get("id"):
        await state.set_state(None)
        raise SkipHandler()
    await _ask_comment(bot, message.chat.id, state, data, say("not_text"))


async def _done(state: FSMContext, bot: Bot, chat_id: int, data: dict[str, Any]) -> None:
    """The question is over: it goes, and the notice it came from loses its buttons."""
    await state.set_state(None)
    await state.update_data({KEY: None})
    if data.get("msg"):
        await remove_message(bot, chat_id, data["msg"])
    if data.get("notice"):
        await drop_buttons(bot, chat_id, data["notice"])


async def keep_waiting(
    query: CallbackQuery, message: Message, callback_data: PracticeCb, state: FSMContext, bot: Bot
) -> None:
    """«⬅️ Не возвращать»: the question goes; the practice still waits."""
    data: dict[str, Any] = (await state.get_data()).get(KEY) or {}
    if data.get("id") == callback_data.id:
        await state.set_state(None)
        await state.update_data({KEY: None})
    await query.answer(say("moderate.return_kept"))
    await remove_message(bot, message.chat.id, message.message_id)


# --- /moderation ---------------------------------------------------------------------------


def _cut(text: str) -> str:
    return shorten(text, TITLE_CHARS)


async def _waiting_screen(
    session: AsyncSession, person: Person, page_number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    page = await moderation.waiting_for(session, person, page_number, PER_PAGE)
    if not page.total:
        return say("moderate.list_empty"), None
    lines = [say("moderate.list_title", total=page.total)]
    if page.pages > 1:
        lines.append(say("moderate.list_page", page=page.page, pages=page.pages))
    builder = InlineKeyboardBuilder()
    for n, item in enumerate(page.items, page.first_number):
        lines.append(
            say(
                "moderate.list_item",
                n=n,
                title=html.escape(item.title),
                category=html.escape(category_name(item.category)),
                number=html.escape(item.branch_number),
                name=html.escape(item.branch_name),
                sent=local(item.submitted_at, person.timezone).strftime("%d.%m.%Y %H:%M"),
                again=say("moderate.list_again") if item.again else "",
            )
        )
        builder.row(
            InlineKeyboardButton(
                text=say("moderate.list_open", n=n, title=_cut(item.title)),
                callback_data=open_data(item.id, "mod", page.page),
            )
        )
    add_pager(builder, page, lambda number: PracticeListCb(view="mod", page=number))
    return "\n\n".join(lines), builder.as_markup()


def _moderator(person: Person) -> bool:
    return person.is_admin or bool(person.curator_of)


async def waiting(message: Message, person: Person, session: AsyncSession) -> None:
    if not _moderator(person):
        await message.answer(error_text(AccessDenied()))
        return
    text, markup = await _waiting_screen(session, person, 1)
    await message.answer(text, reply_markup=markup)


async def waiting_page(
    query: CallbackQuery,
    callback_data: PracticeListCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    if not _moderator(person):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    text, markup = await _waiting_screen(session, person, callback_data.page)
    await query.answer()
    await show_in_place(bot, query, text, markup)


def create_router() -> Router:
    router = Router(name="practices_moderate")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()

    router.message.register(waiting, Command("moderation"), flags=reads_only())
    router.callback_query.register(
        waiting_page, PracticeListCb.filter(F.view == "mod"), flags=reads_only()
    )
    router.callback_query.register(publish, PracticeCb.filter(F.action == "pub"))
    router.callback_query.register(ask_return, PracticeCb.filter(F.action == "ret"))
    router.callback_query.register(keep_waiting, PracticeCb.filter(F.action == "retno"))
    router.message.register(comment_typed, PracticeReturn.comment, F.text, answer)
    router.message.register(comment_not_text, PracticeReturn.comment, answer)
    return router
