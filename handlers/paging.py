"""The ◀️ n/m ▶️ row under every paged list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.paging import Page
from bot.texts import t


def add_pager(
    builder: InlineKeyboardBuilder, page: Page[Any], make: Callable[[int], CallbackData]
) -> None:
    """Add the row turning `page`'s pages, none for a single page. `make(number)` gives the
    callback data that shows page `number`; the middle n/m button shows the page again."""
    if page.pages <= 1:
        return

    def button(text: str, number: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=make(number).pack())

    row = []
    if page.has_prev:
        row.append(button(t("common.prev_page"), page.page - 1))
    row.append(button(t("common.page", page=page.page, pages=page.pages), page.page))
    if page.has_next:
        row.append(button(t("common.next_page"), page.page + 1))
    builder.row(*row)
