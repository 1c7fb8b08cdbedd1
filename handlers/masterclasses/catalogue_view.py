"""What a member sees of masterclasses: a page of a list and one card, as text and buttons.

Pure rendering (no database, no Telegram): times in the reader's zone, every value an
organiser typed escaped.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.masterclasses import notices
from bot.services.masterclasses.queries import MasterclassCard, MasterclassSummary
from bot.services.masterclasses.records import REGISTERED, WAITING
from bot.services.paging import Page
from bot.texts import shorten, t
from handlers.callbacks import MasterclassCb, MasterclassListCb, OrganiserCb
from handlers.paging import add_pager

View = Literal["up", "my"]
BUTTON_TITLE_CHARS = 40


def _s(key: str, **params: object) -> str:
    return t(f"mc_catalogue.{key}", **params)


def short(text: str, limit: int = BUTTON_TITLE_CHARS) -> str:
    return shorten(text, limit)


def where(item: MasterclassSummary) -> str:
    """The place, «онлайн», or both."""
    parts = []
    if item.place:
        parts.append(_s("list.place", place=html.escape(item.place)))
    if item.online:
        parts.append(_s("list.online"))
    return " · ".join(parts)


def seats(item: MasterclassSummary) -> str:
    left = item.seats_left
    if left is None:
        return _s("list.seats_unlimited")
    if left <= 0:
        return _s("list.seats_none")
    return _s("list.seats_left", seats=left)


def mine(item: MasterclassSummary) -> str:
    if item.status == "cancelled":
        return _s("mine.cancelled")
    if item.my_status == WAITING:
        return _s("mine.waiting", place=item.my_place)
    return _s("mine.registered")


def _item(n: int, item: MasterclassSummary, view: View, timezone: str) -> str:
    common = {
        "n": n,
        "title": html.escape(item.title),
        "when": notices.when(item.starts_at, timezone),
        "where": where(item),
    }
    if view == "my":
        return _s("list.item_mine", mine=mine(item), **common)
    line = _s("list.item", seats=seats(item), **common)
    if item.my_status in (REGISTERED, WAITING):
        line += "\n" + mine(item)
    return line


def list_screen(
    page: Page[MasterclassSummary], view: View, timezone: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of «Ближайшие» (`up`) or «Мои» (`my`), each item a button to its card."""
    if not page.total:
        return _s(f"list.{view}_empty"), None
    lines = [_s(f"list.{view}_title", total=page.total)]
    if page.pages > 1:
        lines.append(_s("list.page", page=page.page, pages=page.pages))
    lines += [
        _item(n, item, view, timezone) for n, item in enumerate(page.items, page.first_number)
    ]
    lines.append(_s("list.hint"))
    builder = InlineKeyboardBuilder()
    for n, item in enumerate(page.items, page.first_number):
        builder.button(
            text=_s("list.open", n=n, title=short(item.title)),
            callback_data=MasterclassCb(action="open", id=item.id),
        )
    builder.adjust(1)
    add_pager(builder, page, lambda number: MasterclassListCb(view=view, page=number))
    return "\n\n".join(lines), builder.as_markup()


def _deadline(card: MasterclassCard, now: datetime, timezone: str) -> str:
    masterclass = card.masterclass
    if now >= masterclass.starts_at:
        return _s("card.deadline_started")
    deadline = notices.when(masterclass.registration_deadline, timezone)
    if card.registration_open:
        return _s("card.deadline_open", deadline=deadline)
    return _s("card.deadline_closed", deadline=deadline)


def _status(card: MasterclassCard) -> str:
    summary = card.summary
    if summary.my_status == REGISTERED:
        return _s("card.status_registered")
    if summary.my_status == WAITING:
        return _s("card.status_waiting", place=summary.my_place)
    if not card.can_register:
        return _s("card.status_not_audience")
    return _s("card.status_none")


def card_text(card: MasterclassCard, timezone: str, now: datetime) -> str:
    masterclass = card.masterclass
    if masterclass.status == "cancelled":
        footer = _s("card.cancelled", reason=html.escape(masterclass.cancel_reason or ""))
    else:
        footer = _status(card)
    return _s(
        "card.text",
        title=html.escape(masterclass.title),
        details=notices.details(masterclass, timezone),
        description=html.escape(masterclass.description),
        seats=notices.seats_line(card.summary.seats_left),
        deadline=_deadline(card, now, timezone),
        status=footer,
    )


def card_keyboard(card: MasterclassCard, now: datetime) -> InlineKeyboardMarkup:
    masterclass, summary = card.masterclass, card.summary
    upcoming = masterclass.status == "published" and now < masterclass.starts_at
    rows: list[list[InlineKeyboardButton]] = []

    def button(key: str, action: str) -> InlineKeyboardButton:
        data = MasterclassCb(action=action, id=masterclass.id).pack()
        return InlineKeyboardButton(text=_s(f"button.{key}"), callback_data=data)

    if summary.my_status not in (REGISTERED, WAITING):
        if upcoming and card.can_register and card.registration_open:
            full = summary.seats_left == 0
            rows.append([button("join_queue" if full else "register", "reg")])
    elif upcoming:
        rows.append([button("unregister", "unreg")])
    if summary.my_status == REGISTERED:
        rows.append([button("calendar", "ics")])
    if card.can_manage:  # the organiser's own card: changing it, the people, the code
        manage = OrganiserCb(action="card", id=masterclass.id).pack()
        rows.append([InlineKeyboardButton(text=_s("button.manage"), callback_data=manage)])
    back = MasterclassListCb(view="up").pack()
    rows.append([InlineKeyboardButton(text=_s("button.back"), callback_data=back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
