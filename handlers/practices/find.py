"""Search in the catalogue: `/practices WORDS`, or «🔎 Поиск» and the words typed, the
results with the matched words in bold, paged in place, each a button to its card.

Thin handlers over `search.search_practices` (the words in any Russian form, ranked by
the database's own full-text index). The question is the one FSM state `PracticeFind:words`;
FSM data `pr_find` holds only JSON: the words of the last search (for its pages) and,
while asking, the id of the question's one message. Turning a page reads them and writes
nothing; a page past the end shows the last one.

Registered on the catalogue's router (`catalogue.create_router`), so the order of the
routers stays that of handlers/__init__.py.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.practices.search import SearchPage, search_practices
from bot.texts import t
from handlers.callbacks import PracticeListCb, PracticeMenuCb
from handlers.filters import reads_only
from handlers.practices.catalogue_view import found_screen, home_screen, question_markup
from handlers.replies import (
    ask_aside,
    drop_buttons,
    end_aside,
    free_input,
    remove_message,
    show_in_place,
)

FIND = "pr_find"  # the FSM data key
PER_PAGE = 5
WORDS_MAX = 200  # a query is a few words; the service reads the first eight anyway
OUR_STATES = ("PracticeFind:", "PracticeReact:")  # the catalogue's questions («✖️ Отмена»)


class PracticeFind(StatesGroup):
    # Persisted as "PracticeFind:<name>" in the FSM table: rename only with a migration.
    words = State()


def _s(key: str, **params: object) -> str:
    return t(f"pr_catalogue.{key}", **params)


async def _data(state: FSMContext) -> dict[str, Any]:
    found = (await state.get_data()).get(FIND)
    return found if isinstance(found, dict) else {}


def _nothing(words: str) -> tuple[str, InlineKeyboardMarkup]:
    _, home = home_screen()
    return _s("find.nothing", words=html.escape(words)), home


async def _search(
    session: AsyncSession, words: str, page_number: int
) -> tuple[SearchPage, tuple[str, InlineKeyboardMarkup] | None]:
    """The page of results (the last one when `page_number` is past the end) and its
    screen; None for the screen when the words find nothing (or are no words)."""
    offset = (page_number - 1) * PER_PAGE
    found = await search_practices(session, words, offset=offset, limit=PER_PAGE)
    if not found.hits and found.total:  # a page past the end: the last one
        last = (found.total - 1) // PER_PAGE * PER_PAGE
        found = await search_practices(session, words, offset=last, limit=PER_PAGE)
    if not found.hits:
        return found, None
    return found, found_screen(found, words)


async def _answer(message: Message, session: AsyncSession, words: str) -> bool:
    """The results as a new message; False when the words hold nothing to look for."""
    found, screen = await _search(session, words, 1)
    if found.empty_query:
        return False
    text, markup = screen or _nothing(words)
    await message.answer(text, reply_markup=markup)
    return True


async def search_command(
    message: Message, words: str, state: FSMContext, session: AsyncSession, bot: Bot
) -> None:
    """`/practices WORDS`: the results; the words are kept for the pages (no state set, so
    a flow in progress goes on)."""
    words = " ".join(words.split())[:WORDS_MAX]
    if not await _answer(message, session, words):
        await message.answer(_s("find.empty_query"))
        return
    await state.update_data({FIND: {"words": words}})


async def _ask(message: Message, state: FSMContext, bot: Bot, complaint: str | None = None) -> None:
    """The question, one message: a new copy under the person's message, the old copy
    (asked before, refused) removed."""
    data = await _data(state)
    text = f"⚠️ {complaint}\n\n{_s('find.ask')}" if complaint else _s("find.ask")
    sent = await bot.send_message(message.chat.id, text, reply_markup=question_markup())
    await ask_aside(state, PracticeFind.words)
    await state.update_data({FIND: {**data, "asking": True, "msg": sent.message_id}})
    old = data.get("msg")
    if old and old != sent.message_id:
        await remove_message(bot, message.chat.id, old)


async def ask_words(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    """«🔎 Поиск»: the question, in place of the screen the button was on."""
    await query.answer()
    shown = await show_in_place(bot, query, _s("find.ask"), question_markup())
    data = await _data(state)
    await ask_aside(state, PracticeFind.words)
    await state.update_data({FIND: {**data, "asking": True, "msg": shown}})


async def words_typed(message: Message, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    data = await _data(state)
    if not data.get("asking"):
        await end_aside(state)
        raise SkipHandler()
    words = " ".join((message.text or "").split())
    if len(words) > WORDS_MAX:
        await _ask(message, state, bot, _s("find.too_long", max=WORDS_MAX))
        return
    if not await _answer(message, session, words):
        await _ask(message, state, bot, _s("find.empty_query"))
        return
    note = await end_aside(state)
    await state.update_data({FIND: {"words": words}})
    if data.get("msg"):
        await drop_buttons(bot, message.chat.id, data["msg"])
    if note:  # back to what the search interrupted: the next message answers it
        await message.answer(note)


async def words_not_text(message: Message, state: FSMContext, bot: Bot) -> None:
    """A sticker, photo or voice where the words are asked."""
    if not (await _data(state)).get("asking"):
        await end_aside(state)
        raise SkipHandler()
    await _ask(message, state, bot, _s("find.not_text"))


async def find_page(
    query: CallbackQuery,
    callback_data: PracticeListCb,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """A page of the last search, its words from FSM data (gone after /cancel: search again)."""
    words = (await _data(state)).get("words")
    if not isinstance(words, str) or not words:
        await query.answer(_s("done.find_gone"), show_alert=True)
        return
    _, screen = await _search(session, words, callback_data.page)
    text, markup = screen or _nothing(words)
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def cancel_question(
    query: CallbackQuery, message: Message, state: FSMContext, bot: Bot
) -> None:
    """«✖️ Отмена» under one of the catalogue's questions: the question is left (another
    flow's state is not touched) and loses its button."""
    current = await state.get_state() or ""
    note = None
    if current.startswith(OUR_STATES):
        note = await end_aside(state)
        await query.answer(_s("done.cancelled"))
    else:
        await query.answer(_s("done.gone"))
    await drop_buttons(bot, message.chat.id, message.message_id)
    if note:
        await bot.send_message(message.chat.id, note)


def register(router: Router) -> None:
    answer = free_input()
    router.message.register(words_typed, PracticeFind.words, F.text, answer)
    router.message.register(words_not_text, PracticeFind.words, ~F.text)
    router.callback_query.register(ask_words, PracticeMenuCb.filter(F.action == "find"))
    router.callback_query.register(cancel_question, PracticeMenuCb.filter(F.action == "cancel"))
    router.callback_query.register(
        find_page, PracticeListCb.filter(F.view == "find"), flags=reads_only()
    )
