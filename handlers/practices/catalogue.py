"""The catalogue of best practices: `/practices` (and «💡 Практики»), its lists — new,
most useful, by category, «Мои практики» — paged in place, one practice's card, its
photos or document, and the `/start pr_<id>` deep link.

Thin handlers over `bot.services.practices.queries`: the service decides who sees what
(a practice not published is its author's and its moderators' alone; to anyone else it
does not exist), these show it. Lists and cards only read (`reads_only`) and never touch
the FSM state, so a flow in progress is still there after a look; they redraw by editing
the pressed message (a notice's «📄 Открыть практику» turns into the card). A practice
the person may not see — a forged button, an id that is not there — gets «Нет доступа».

The search (`/practices WORDS`, «🔎 Поиск») is `find`, registered here; the card's own
buttons (like, adopt, contact) are `react`'s, «Опубликовать» / «Вернуть» `moderate`'s.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MaybeInaccessibleMessageUnion,
    MediaUnion,
    Message,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.people import Person
from bot.services.practices import queries
from bot.services.practices.access import PUBLISHED
from bot.services.practices.rules import categories
from bot.texts import t
from handlers.callbacks import INT32_MAX, PracticeCb, PracticeListCb, PracticeMenuCb, PracticeOpenCb
from handlers.filters import Onboarded, reads_only
from handlers.practices import find
from handlers.practices.catalogue_view import (
    View,
    card_keyboard,
    card_text,
    categories_screen,
    home_screen,
    list_screen,
)
from handlers.replies import error_text, show_in_place
from storage.models import Practice

log = logging.getLogger(__name__)

PER_PAGE = 5
DEEP_LINK = re.compile(r"^pr_(\d{1,12})$")
ALBUM_MAX = 10  # Telegram's limit for one media group


def _s(key: str, **params: object) -> str:
    return t(f"pr_catalogue.{key}", **params)


def denied_text() -> str:
    return error_text(AccessDenied())


async def refuse(query: CallbackQuery, error: DomainError) -> None:
    """A refusal in the button's pop-up; one for what the person may not see says only
    «Нет доступа», whether it does not exist or is not theirs."""
    text = denied_text() if isinstance(error, AccessDenied | NotFound) else error_text(error)
    await query.answer(text, show_alert=True)


# --- the /practices screen and the lists -------------------------------------------------


async def show_home(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """`/practices` or «💡 Практики»: the screen with the lists; `/practices WORDS` searches."""
    words = (command.args or "").strip()
    if words:
        await find.search_command(message, words, state, session, bot)
        return
    text, markup = home_screen()
    await message.answer(text, reply_markup=markup)


async def show_home_button(message: Message) -> None:
    text, markup = home_screen()
    await message.answer(text, reply_markup=markup)


async def home_in_place(query: CallbackQuery, bot: Bot) -> None:
    text, markup = home_screen()
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def render_list(
    session: AsyncSession, person: Person, view: View, page_number: int, code: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    if view == "mine":
        page = await queries.my_practices(session, person, page_number, PER_PAGE)
    elif view == "useful":
        page = await queries.most_useful(session, page_number, PER_PAGE)
    elif view == "cat":
        page = await queries.by_category(session, code, page_number, PER_PAGE)
    else:
        page = await queries.newest(session, page_number, PER_PAGE)
    return list_screen(page, view, code)


async def show_mine(message: Message, person: Person, session: AsyncSession) -> None:
    text, markup = await render_list(session, person, "mine", 1)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: PracticeListCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """A list's page (clamped by the service: an old or forged number shows a real page).
    A category code never offered shows an empty list of it: nothing is found by it."""
    view: View = callback_data.view  # type: ignore[assignment]  # the filter keeps these four
    code = callback_data.category[:40] if view == "cat" else ""
    text, markup = await render_list(session, person, view, callback_data.page, code)
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def show_categories(query: CallbackQuery, session: AsyncSession, bot: Bot) -> None:
    """«🗂 По темам»: the categories offered, with how many published practices each has."""
    rows = await session.execute(
        select(Practice.category, func.count())
        .where(Practice.status == PUBLISHED)
        .group_by(Practice.category)
    )
    counts: dict[str, int] = {code: count for code, count in rows.all()}
    text, markup = categories_screen(
        [(code, name, counts.get(code, 0)) for code, name in categories()]
    )
    await query.answer()
    await show_in_place(bot, query, text, markup)


# --- the card ----------------------------------------------------------------------------


async def render_card(
    session: AsyncSession, person: Person, practice_id: int, back: PracticeListCb | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The card; «⬅️ К списку» goes to `back`.
    Errors: NotFound (no such practice, or not the person's to see)."""
    card = await queries.practice_card(session, person, practice_id)
    return card_text(card), card_keyboard(card, back)


def back_on(message: MaybeInaccessibleMessageUnion | None) -> PracticeListCb | None:
    """The list a card shown in `message` goes back to: its «⬅️ К списку» button's, so the
    card redrawn after «Полезно» keeps the way back it was opened with."""
    markup = message.reply_markup if isinstance(message, Message) else None
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            with contextlib.suppress(TypeError, ValueError):
                return PracticeListCb.unpack(button.callback_data or "")
    return None


async def open_card(
    query: CallbackQuery,
    callback_data: PracticeCb | PracticeOpenCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    back = callback_data.back() if isinstance(callback_data, PracticeOpenCb) else None
    try:
        text, markup = await render_card(session, person, callback_data.id, back)
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def open_from_link(
    message: Message, command: CommandObject, person: Person, session: AsyncSession
) -> None:
    """`/start pr_<id>` from an inline card or a pasted link: the card, as a new message."""
    found = DEEP_LINK.match(command.args or "")
    practice_id = int(found.group(1)) if found else 0
    if not 1 <= practice_id <= INT32_MAX:
        await message.answer(denied_text())
        return
    try:
        text, markup = await render_card(session, person, practice_id)
    except DomainError as error:
        denied = isinstance(error, AccessDenied | NotFound)
        await message.answer(denied_text() if denied else error_text(error))
        return
    await message.answer(text, reply_markup=markup)


async def send_files(
    query: CallbackQuery,
    callback_data: PracticeCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«📷 Фото (N)» / «📄 Документ»: the photos as one album, or the document."""
    try:
        card = await queries.practice_card(session, person, callback_data.id)
    except DomainError as error:
        await refuse(query, error)
        return
    title = html.escape(card.title)
    await query.answer()
    try:
        if card.document_file_id:
            caption = _s("files.document", title=title)
            await bot.send_document(person.id, card.document_file_id, caption=caption)
        elif len(card.photos) == 1:
            await bot.send_photo(person.id, card.photos[0], caption=_s("files.photos", title=title))
        elif card.photos:
            media: list[MediaUnion] = [
                InputMediaPhoto(
                    media=file_id, caption=_s("files.photos", title=title) if not n else None
                )
                for n, file_id in enumerate(card.photos[:ALBUM_MAX])
            ]
            await bot.send_media_group(person.id, media)
    except TelegramBadRequest as error:  # a file Telegram no longer has
        log.warning("files of practice %s not sent: %s", card.id, error.message)
        await bot.send_message(person.id, _s("files.gone"))


def create_router() -> Router:
    router = Router(name="practices_catalogue")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    # Only an onboarded person's `pr_<id>`: anyone else's /start goes on to onboarding.
    router.message.register(
        open_from_link,
        CommandStart(deep_link=True, magic=F.args.regexp(DEEP_LINK.pattern)),
        flags=reads_only(),
    )
    # `/practices WORDS` keeps the words for the pages (FSM data): a write.
    router.message.register(show_home, Command("practices", magic=F.args))
    router.message.register(show_home_button, Command("practices"), flags=reads_only())
    router.message.register(show_home_button, F.text == t("menu.practices"), flags=reads_only())
    router.message.register(show_mine, Command("my_practices"), flags=reads_only())
    router.callback_query.register(
        home_in_place, PracticeMenuCb.filter(F.action == "home"), flags=reads_only()
    )
    router.callback_query.register(
        turn_page,
        PracticeListCb.filter(F.view.in_({"new", "useful", "cat", "mine"})),
        flags=reads_only(),
    )
    router.callback_query.register(
        show_categories, PracticeListCb.filter(F.view == "cats"), flags=reads_only()
    )
    router.callback_query.register(
        open_card, PracticeCb.filter(F.action == "open"), flags=reads_only()
    )
    router.callback_query.register(open_card, PracticeOpenCb.filter(), flags=reads_only())
    router.callback_query.register(
        send_files, PracticeCb.filter(F.action == "photos"), flags=reads_only()
    )
    find.register(router)
    return router
