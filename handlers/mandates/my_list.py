"""«Мои наказы»: the member's own mandates, newest first, a page at a time.

Each item links to the mandate's card (`MandateCb(action="open")`, shown by
handlers/mandates/card.py). Pages turn by editing the list in place. The list does not
touch the FSM state, so a draft in progress is still there after a look at the list, and
the list says so first, with «▶️ Продолжить наказ» and «🗑 Удалить черновик».
"""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.services.mandates.draft import category_name
from bot.services.mandates.notices import status_name
from bot.services.mandates.queries import MandateSummary, my_mandates
from bot.services.people import Person
from bot.texts import plural, shorten, t
from handlers.callbacks import MandateCb, MandateListCb, SubmitCb
from handlers.filters import Onboarded, reads_only
from handlers.paging import add_pager
from handlers.replies import show_in_place, unfinished

PER_PAGE = 10
PREVIEW_CHARS = 70


def _s(key: str, **params: object) -> str:
    return t(f"mandate_submit.my.{key}", **params)


def _preview(text: str) -> str:
    return shorten(text, PREVIEW_CHARS)


def _item(n: int, item: MandateSummary, timezone: str) -> str:
    return _s(
        "item",
        n=n,
        number=html.escape(item.number),
        date=local(item.created_at, timezone).strftime("%d.%m.%Y"),
        status=status_name(item.status),
        category=html.escape(category_name(item.category)),
        preview=html.escape(_preview(item.preview)),
    )


async def _has_draft(state: FSMContext | None) -> bool:
    if state is None or not (await state.get_state() or "").startswith("MandateForm:"):
        return False
    return await unfinished(state) is not None


def _draft_row(builder: InlineKeyboardBuilder) -> None:
    builder.row(
        *(
            InlineKeyboardButton(
                text=t(f"mandate_submit.button.draft.{value}"),
                callback_data=SubmitCb(action="draft", value=value).pack(),
            )
            for value in ("go", "drop")
        )
    )


async def render(
    session: AsyncSession,
    person: Person,
    clock: Clock,
    page_number: int,
    state: FSMContext | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the list; a draft in progress is named first, with the way back to it."""
    page = await my_mandates(session, person, clock.now(), page=page_number, per_page=PER_PAGE)
    draft = await _has_draft(state)
    if not page.total:
        empty = _s("empty") if person.branch_id is not None else _s("empty_no_branch")
        if not draft:
            return empty, None
        builder = InlineKeyboardBuilder()
        _draft_row(builder)
        return f"{_s('draft')}\n\n{empty}", builder.as_markup()
    lines = [_s("draft")] if draft else []
    lines.append(_s("title", total=plural(page.total, "plural.mandate")))
    if page.pages > 1:
        lines.append(_s("page", page=page.page, pages=page.pages))
    lines += [
        _item(n, item, person.timezone) for n, item in enumerate(page.items, page.first_number)
    ]
    lines.append(_s("hint"))
    builder = InlineKeyboardBuilder()
    for item in page.items:
        builder.button(
            text=_s("open", number=item.number),
            callback_data=MandateCb(action="open", id=item.id),
        )
    builder.adjust(2)
    add_pager(builder, page, lambda number: MandateListCb(view="my", page=number))
    if draft:
        _draft_row(builder)
    return "\n\n".join(lines), builder.as_markup()


async def show_list(
    message: Message, state: FSMContext, person: Person, session: AsyncSession, clock: Clock
) -> None:
    text, markup = await render(session, person, clock, 1, state)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: MandateListCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    # The page is clamped by the service, so an old or forged number shows a real page.
    text, markup = await render(session, person, clock, callback_data.page, state)
    await query.answer()
    await show_in_place(bot, query, text, markup)


def create_router() -> Router:
    router = Router(name="my_mandates")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    router.message.register(show_list, Command("my_mandates"), flags=reads_only())
    router.message.register(show_list, F.text == t("menu.my_mandates"), flags=reads_only())
    router.callback_query.register(
        turn_page, MandateListCb.filter(F.view == "my"), flags=reads_only()
    )
    return router
