"""What `manage` shows: the organiser's list (upcoming or past) with registered / capacity /
waiting, one masterclass's card with what the organiser can do with it, and the buttons of
the questions. Pure rendering: no database, no Telegram; every value a person typed is
escaped on the way in."""

from __future__ import annotations

import html
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.masterclasses import notices
from bot.services.masterclasses.queries import MasterclassCard, MasterclassSummary
from bot.services.paging import Page
from bot.texts import plural, t
from handlers.callbacks import MasterclassListCb, NewMasterclassCb, OrganiserCb
from handlers.masterclasses.catalogue_view import short
from handlers.paging import add_pager
from storage.models import Masterclass

# The fields the card's «Изменить» offers, in order, two buttons a row.
FIELDS = ("title", "starts", "duration", "place", "capacity", "deadline", "host", "description")


def say(key: str, **params: object) -> str:
    return t(f"mc_manage.{key}", **params)


def people(count: int) -> str:
    return plural(count, "mc_manage.plural.person")


def button(text: str, action: str, masterclass_id: int) -> InlineKeyboardButton:
    data = OrganiserCb(action=action, id=masterclass_id).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def back_to_card(masterclass_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(say("back_to_card"), "card", masterclass_id)]]
    )


def counts(registered: int, capacity: int | None, waiting: int) -> str:
    if capacity is None:
        return say("list.counts_unlimited", registered=registered, waiting=waiting)
    return say("list.counts", registered=registered, capacity=capacity, waiting=waiting)


# --- the list ------------------------------------------------------------------------------


def _item(n: int, item: MasterclassSummary, timezone: str) -> str:
    where = html.escape(item.place) if item.place else say("list.online")
    line = say(
        "list.item",
        n=n,
        title=html.escape(item.title),
        when=notices.when(item.starts_at, timezone),
        where=where,
        counts=counts(item.seats_taken, item.capacity, item.waiting),
    )
    return f"{line}\n{say('list.cancelled')}" if item.status == "cancelled" else line


def list_screen(
    page: Page[MasterclassSummary], past: bool, timezone: str
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the organiser's upcoming (nearest first) or past (latest first) ones,
    each a button to its card, and the switch between the two."""
    view = "past" if past else "up"
    builder = InlineKeyboardBuilder()
    if not page.total:
        text = say(f"list.{view}_empty")
    else:
        lines = [say(f"list.{view}_title", total=page.total)]
        if page.pages > 1:
            lines.append(say("list.page", page=page.page, pages=page.pages))
        first = page.first_number
        lines += [_item(n, item, timezone) for n, item in enumerate(page.items, first)]
        lines.append(say("list.hint"))
        text = "\n\n".join(lines)
        for n, item in enumerate(page.items, first):
            builder.row(button(say("list.open", n=n, title=short(item.title)), "card", item.id))
        cb_view = "past" if past else "org"
        add_pager(builder, page, lambda number: MasterclassListCb(view=cb_view, page=number))
    other = MasterclassListCb(view="org" if past else "past")
    builder.row(
        InlineKeyboardButton(
            text=say("list.upcoming" if past else "list.past"), callback_data=other.pack()
        )
    )
    if not past:
        new = NewMasterclassCb(action="new").pack()
        builder.row(InlineKeyboardButton(text=say("list.new"), callback_data=new))
    return text, builder.as_markup()


# --- the card ------------------------------------------------------------------------------


def _status(masterclass: Masterclass, now: datetime, timezone: str) -> str:
    if masterclass.status == "cancelled":
        return say("card.status_cancelled", reason=html.escape(masterclass.cancel_reason or ""))
    if now >= notices.ends_at(masterclass):
        return say("card.status_over")
    if now >= masterclass.starts_at:
        return say("card.status_running")
    deadline = notices.when(masterclass.registration_deadline, timezone)
    if now <= masterclass.registration_deadline:
        return say("card.status_open", deadline=deadline)
    return say("card.status_closed", deadline=deadline)


def card_text(card: MasterclassCard, link: str, now: datetime, timezone: str) -> str:
    masterclass, summary = card.masterclass, card.summary
    return say(
        "card.text",
        title=html.escape(masterclass.title),
        details=notices.details(masterclass, timezone),
        counts=counts(summary.seats_taken, summary.capacity, summary.waiting),
        status=_status(masterclass, now, timezone),
        link=html.escape(link),
    )


def card_keyboard(masterclass: Masterclass, now: datetime) -> InlineKeyboardMarkup:
    """What can be done now: change or cancel before the start, write and send materials
    unless cancelled, the people always, the code and the feedback once it began."""
    mid = masterclass.id
    live = masterclass.status != "cancelled"
    rows: list[list[InlineKeyboardButton]] = []
    if live and now < masterclass.starts_at:
        rows.append(
            [button(say("card.edit"), "edit", mid), button(say("card.cancel"), "drop", mid)]
        )
    if live:
        rows.append([button(say("card.message"), "write", mid)])
        rows.append([button(say("card.materials"), "files", mid)])
    people_row = [button(say("card.people"), "people", mid)]
    if live:
        people_row.append(button(say("card.code"), "code", mid))
    rows.append(people_row)
    if live and now >= masterclass.starts_at:
        rows.append([button(say("card.feedback"), "feedback", mid)])
    view = "org" if now < notices.ends_at(masterclass) else "past"
    back = MasterclassListCb(view=view).pack()
    rows.append([InlineKeyboardButton(text=say("card.back"), callback_data=back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- the questions' buttons ----------------------------------------------------------------


def fields_keyboard(masterclass_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in FIELDS:
        builder.add(button(say(f"edit.button.{field}"), f"edit.{field}", masterclass_id))
    builder.adjust(2)
    builder.row(button(say("back_to_card"), "card", masterclass_id))
    return builder.as_markup()


def with_back(masterclass_id: int, *extra: InlineKeyboardButton) -> InlineKeyboardMarkup:
    rows = [[b] for b in extra]
    rows.append([button(say("back_to_card"), "card", masterclass_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_keyboard(
    masterclass_id: int, yes: tuple[str, str], other: tuple[str, str] | None = None
) -> InlineKeyboardMarkup:
    """The confirmation of a step: its action, maybe «do it differently», back to the card."""
    rows = [[button(yes[0], yes[1], masterclass_id)]]
    if other:
        rows.append([button(other[0], other[1], masterclass_id)])
    rows.append([button(say("back_to_card"), "card", masterclass_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
