"""Inline mode: `@<bot> ТОС` typed in any chat offers the published practices it finds
(`search_practices`, the last word found as it is being typed) as cards — the title, the
category, a short snippet — each with a button to the bot's full card through the
`pr_<id>` deep link. An empty query offers the newest few.

Only what the catalogue shows to everyone goes out: published practices, their title,
category and text; never an author, a branch's people or an account. So the answer is
the same for whoever asks (`is_personal=False`) and Telegram may cache it briefly. Inline
mode must be switched on for the bot in @BotFather (`/setinline`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from aiogram import Bot, Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services.practices import queries
from bot.services.practices.search import search_practices
from bot.texts import t
from handlers.filters import reads_only
from handlers.practices.catalogue_view import category, short
from storage.models import Practice

LIMIT = 10  # results per answer; Telegram asks for more with `offset` as the list scrolls
CACHE_SECONDS = 30
OFFSET_MAX = 10_000
SNIPPET_CHARS = 200
DESCRIPTION_CHARS = 120


@dataclass(frozen=True, slots=True)
class Found:
    practice_id: int
    title_html: str  # escaped, the matched words in bold
    category: str
    snippet_html: str


def _plain(markup: str) -> str:
    return html.unescape(markup.replace("<b>", "").replace("</b>", ""))


def _offset(raw: str) -> int:
    return min(int(raw), OFFSET_MAX) if raw.isdigit() else 0


async def _username(bot: Bot, settings: Settings) -> str:
    if settings.bot_username and (name := settings.bot_username.strip().lstrip("@")):
        return name
    return (await bot.me()).username or ""


async def _newest(session: AsyncSession, offset: int) -> tuple[list[Found], bool]:
    page = await queries.newest(session, offset // LIMIT + 1, LIMIT)
    if page.page != offset // LIMIT + 1:  # past the end: clamped by the service
        return [], False
    ids = [item.id for item in page.items]
    rows = await session.execute(
        select(Practice.id, Practice.what_done).where(Practice.id.in_(ids))
    )
    texts: dict[int, str] = {practice_id: text for practice_id, text in rows.all()}
    found = [
        Found(
            item.id,
            html.escape(item.title),
            item.category,
            html.escape(short(texts.get(item.id, ""), SNIPPET_CHARS)),
        )
        for item in page.items
    ]
    return found, page.has_next


async def _search(session: AsyncSession, words: str, offset: int) -> tuple[list[Found], bool]:
    page = await search_practices(session, words, offset=offset, limit=LIMIT, typing=True)
    found = [Found(h.practice_id, h.title_html, h.category, h.snippet_html) for h in page.hits]
    return found, page.has_more


def _article(item: Found, username: str) -> InlineQueryResultArticle:
    link = f"https://t.me/{username}?start=pr_{item.practice_id}"
    button = InlineKeyboardButton(text=t("pr_catalogue.inline.open"), url=link)
    name = category(item.category)
    return InlineQueryResultArticle(
        id=f"pr{item.practice_id}",
        title=_plain(item.title_html),
        description=t(
            "pr_catalogue.inline.description",
            category=_plain(name),
            snippet=short(_plain(item.snippet_html), DESCRIPTION_CHARS),
        ),
        input_message_content=InputTextMessageContent(
            message_text=t(
                "pr_catalogue.inline.text",
                title=html.escape(_plain(item.title_html)),  # bold already: no bold in it
                category=name,
                snippet=item.snippet_html,
            ),
            parse_mode="HTML",
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def offer(
    inline_query: InlineQuery, session: AsyncSession, bot: Bot, settings: Settings
) -> None:
    words = " ".join(inline_query.query.split())
    offset = _offset(inline_query.offset)
    if words:
        found, more = await _search(session, words, offset)
    else:
        found, more = await _newest(session, offset)
    username = await _username(bot, settings)
    await inline_query.answer(
        [_article(item, username) for item in found],
        cache_time=CACHE_SECONDS,
        is_personal=False,
        next_offset=str(offset + LIMIT) if more else "",
    )


def create_router() -> Router:
    router = Router(name="practices_inline")
    router.inline_query.register(offer, flags=reads_only())
    return router
