"""How a mandate's card looks in the chat. Rendering only — what the viewer may see and do
comes from `bot.services.mandates.card` (the card's `actions`); nothing here decides
access.

User text (the mandate, comments, names, addresses) is escaped here, once, where it meets
HTML. Times are shown in the viewer's time zone.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import local
from bot.services.mandates.access import ActorRole
from bot.services.mandates.card import HistoryEntry, MandateCard
from bot.services.mandates.draft import category_name
from bot.services.mandates.notices import status_name
from bot.services.mandates.place import place_line
from bot.services.people import Person
from bot.services.working_days import last_day_to_answer
from bot.texts import plural, t
from handlers.callbacks import MandateCb, MandateListCb

# Telegram allows 4096 characters of visible text; keep a margin.
CARD_LIMIT = 4000


# The card's buttons, in the order shown; each appears only if the card's `actions` has it.
ACTION_BUTTONS = ("accept", "ask", "forward", "resolve", "reject", "comment", "answer", "rate")


_TAG = re.compile(r"<[^>]+>")


def when(moment: datetime, timezone: str) -> str:
    return local(moment, timezone).strftime("%d.%m.%Y %H:%M")


def day(due_at: datetime, timezone: str) -> str:
    """The last day to answer, as the branch counts it."""
    return last_day_to_answer(due_at, timezone).strftime("%d.%m.%Y")


def due(due_at: datetime, timezone: str) -> str:
    """The deadline for a list line in the viewer's zone: a day when it ends at the
    viewer's midnight (their own branch), else the day and the hour."""
    moment = local(due_at, timezone)
    if (moment.hour, moment.minute) == (0, 0):
        return day(due_at, timezone)
    return moment.strftime("%d.%m.%Y %H:%M")


def _visible_length(text: str) -> int:
    return len(html.unescape(_TAG.sub("", text)))


def is_staff_view(card: MandateCard) -> bool:
    """Read as staff, not as its author: voter details and photos are shown."""
    return card.viewer != ActorRole.AUTHOR


def _deadline(card: MandateCard, person: Person) -> str:
    if card.first_answered_at is not None:
        return t(
            "mandate_work.card.first_answer", when=when(card.first_answered_at, person.timezone)
        )
    last_day = day(card.due_at, card.branch_timezone)
    here, there = local(card.due_at, person.timezone), local(card.due_at, card.branch_timezone)
    if here.utcoffset() == there.utcoffset():
        line = t("mandate_work.card.due", day=last_day)
    else:  # the branch's days count; say when that ends for the viewer
        line = t(
            "mandate_work.card.due_elsewhere",
            day=last_day,
            when=when(card.due_at, person.timezone),
        )
    return line + (t("mandate_work.card.overdue") if card.overdue else "")


def _history_line(entry: HistoryEntry, timezone: str, own: bool) -> str:
    """`own`: the author reads their own card, where what they did is «вы», not «автор»."""
    event = t(f"mandates.event.{entry.action}")
    if entry.rating is not None:
        event = t("mandate_work.card.history_rating", event=event, rating=entry.rating)
    yours = own and entry.actor_role == ActorRole.AUTHOR
    line = t(
        "mandate_work.card.history_line",
        when=when(entry.at, timezone),
        who=t("mandates.actor.you") if yours else t(f"mandates.actor.{entry.actor_role}"),
        event=event,
    )
    if entry.comment:
        comment = t("mandate_work.card.history_comment", comment=html.escape(entry.comment))
        line = f"{line}\n{comment}"
    return line


def card_text(card: MandateCard, person: Person, tail: str | None = None) -> str:
    """The card; `tail` goes under it (a question being asked, what was just done), where
    the person's eyes are, and the history gives way to it when space runs short."""
    head = [
        t("mandate_work.card.title", number=html.escape(card.number)),
        t("mandate_work.card.status", status=status_name(card.status)),
        t("mandate_work.card.category", category=html.escape(category_name(card.category))),
        t(
            "mandate_work.card.branch",
            number=html.escape(card.branch_number),
            name=html.escape(card.branch_name),
        ),
        t("mandate_work.card.created", when=when(card.created_at, person.timezone)),
        _deadline(card, person),
    ]
    if card.forwarded_to:
        head.append(t("mandate_work.card.forwarded_to", authority=html.escape(card.forwarded_to)))
    own = card.viewer == ActorRole.AUTHOR
    if card.rating is not None:
        key = "rating_own" if own else "rating"
        head.append(t(f"mandate_work.card.{key}", rating=card.rating))

    details = []
    if card.address:
        details.append(t("mandate_work.card.address", address=html.escape(card.address)))
    if card.latitude is not None and card.longitude is not None:
        details.append(place_line(card.latitude, card.longitude))
    staff = is_staff_view(card)
    if card.on_behalf != "voter":
        details.append(t("mandate_work.card.behalf_self"))
    elif staff and card.voter_name:
        details.append(t("mandate_work.card.behalf_voter_named", name=html.escape(card.voter_name)))
        if card.voter_phone:
            details.append(t("mandate_work.card.voter_phone", phone=html.escape(card.voter_phone)))
    else:  # the voter's name and phone are for the staff who act on it
        details.append(t("mandate_work.card.behalf_voter"))
    if card.supporters:
        details.append(
            t(
                "mandate_work.card.supporters",
                supporters=plural(card.supporters, "plural.supporter"),
            )
        )
    if card.photos:
        details.append(t("mandate_work.card.photos", count=len(card.photos)))

    blocks = ["\n".join(head), html.escape(card.text), "\n".join(details)]
    if card.question:
        key = "question_own" if own else "question"
        blocks.append(t(f"mandate_work.card.{key}", question=html.escape(card.question)))
    lines = [_history_line(entry, person.timezone, own) for entry in card.history]
    return _with_history(blocks, lines, [tail] if tail else [])


def _with_history(blocks: list[str], lines: list[str], tail: list[str]) -> str:
    """The card with as much of the history as fits, newest kept: a long-lived mandate's
    history can outgrow one message, and its start matters least."""
    title = t("mandate_work.card.history")
    for skipped in range(len(lines) + 1):
        shown = lines[skipped:]
        history = [title]
        if skipped:
            history.append(t("mandate_work.card.history_cut", count=skipped))
        text = "\n\n".join([*blocks, "\n".join([*history, *shown]), *tail])
        if _visible_length(text) <= CARD_LIMIT:
            return text
    return "\n\n".join([*blocks, *tail])


def card_keyboard(card: MandateCard, back: MandateListCb) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    actions = [a for a in ACTION_BUTTONS if a in card.actions]
    for action in actions:
        builder.button(
            text=t(f"mandate_work.button.{action}"),
            callback_data=MandateCb(action=action, id=card.id),
        )
    builder.button(text=t("mandate_work.button.back_to_list"), callback_data=back)
    builder.button(text=t("common.to_menu"), callback_data=MandateCb(action="menu", id=card.id))
    # Two action buttons a row; the way back and the menu share the last one.
    builder.adjust(*([2] * (len(actions) // 2)), *([1] if len(actions) % 2 else []), 2)
    return builder.as_markup()


def prompt_keyboard(mandate_id: int, *, no_note: bool = False) -> InlineKeyboardMarkup:
    """Under a question being asked on the card: its buttons give way to «Отменить»
    (back to the card), and «Без комментария» where a comment may be left out."""
    builder = InlineKeyboardBuilder()
    if no_note:
        builder.button(
            text=t("mandate_work.button.no_note"),
            callback_data=MandateCb(action="fwd_skip", id=mandate_id),
        )
    builder.button(
        text=t("mandate_work.button.cancel_prompt"),
        callback_data=MandateCb(action="open", id=mandate_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def back_to_list(card: MandateCard, remembered: str | None) -> MandateListCb:
    """Where «К списку» leads: the author's own list; for staff the list the card was
    opened from, else the one of their role."""
    if card.viewer == ActorRole.AUTHOR:
        return MandateListCb(view="my", page=1)
    if remembered:
        try:
            return MandateListCb.unpack(remembered)
        except (TypeError, ValueError):
            pass  # an old format: fall back to the default list
    if card.viewer == ActorRole.SECRETARY:
        return MandateListCb(view="inbox", page=1)
    return MandateListCb(view="cur", page=1)
