"""How a mandate looks in the chat: its card and the staff's lists. Rendering only — what
the viewer may see and do comes from `mandate_queries` (the card's `actions`, the lists'
scope); nothing here decides access.

User text (the mandate, comments, names, addresses) is escaped here, once, where it meets
HTML. Times are shown in the viewer's time zone.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import local
from bot.services.mandates.access import ActorRole
from bot.services.mandates.card import HistoryEntry, MandateCard
from bot.services.mandates.draft import category_name
from bot.services.mandates.lifecycle import MandateStatus
from bot.services.mandates.notices import status_name
from bot.services.mandates.queries import BranchOption, MandateSummary
from bot.services.paging import Page, paginate
from bot.services.people import Person
from bot.services.working_days import last_day_to_answer
from bot.texts import plural, t
from handlers.callbacks import MandateCb, MandateListCb, MandateRateCb
from handlers.paging import add_pager

# Telegram allows 4096 characters of visible text; keep a margin.
CARD_LIMIT = 4000
PREVIEW_CHARS = 70
# The card's buttons, in the order shown; each appears only if the card's `actions` has it.
ACTION_BUTTONS = ("accept", "ask", "forward", "resolve", "reject", "comment", "answer", "rate")
# Views of MandateListCb drawn here: the two staff lists and their filter screens.
LIST_VIEWS = frozenset({"inbox", "cur"})
BRANCH_VIEW = {"inbox": "inbox_b", "cur": "cur_b"}
STATUS_VIEW = "cur_s"
FILTER_VIEWS = frozenset({*BRANCH_VIEW.values(), STATUS_VIEW})
BRANCHES_PER_PAGE = 8
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


# --- the card ------------------------------------------------------------------------------


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


def _history_line(entry: HistoryEntry, timezone: str) -> str:
    event = t(f"mandates.event.{entry.action}")
    if entry.rating is not None:
        event = t("mandate_work.card.history_rating", event=event, rating=entry.rating)
    line = t(
        "mandate_work.card.history_line",
        when=when(entry.at, timezone),
        who=t(f"mandates.actor.{entry.actor_role}"),
        event=event,
    )
    if entry.comment:
        comment = t("mandate_work.card.history_comment", comment=html.escape(entry.comment))
        line = f"{line}\n{comment}"
    return line


def card_text(card: MandateCard, person: Person) -> str:
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
    if card.rating is not None:
        head.append(t("mandate_work.card.rating", rating=card.rating))

    details = []
    if card.address:
        details.append(t("mandate_work.card.address", address=html.escape(card.address)))
    if card.latitude is not None and card.longitude is not None:
        details.append(
            t("mandate_work.card.location", latitude=card.latitude, longitude=card.longitude)
        )
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
        blocks.append(t("mandate_work.card.question", question=html.escape(card.question)))
    lines = [_history_line(entry, person.timezone) for entry in card.history]
    return _with_history(blocks, lines)


def _with_history(blocks: list[str], lines: list[str]) -> str:
    """The card with as much of the history as fits, newest kept: a long-lived mandate's
    history can outgrow one message, and its start matters least."""
    title = t("mandate_work.card.history")
    for skipped in range(len(lines) + 1):
        shown = lines[skipped:]
        history = [title]
        if skipped:
            history.append(t("mandate_work.card.history_cut", count=skipped))
        text = "\n\n".join([*blocks, "\n".join([*history, *shown])])
        if _visible_length(text) <= CARD_LIMIT:
            return text
    return "\n\n".join(blocks)


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


def rate_keyboard(mandate_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for score in range(1, 6):
        builder.button(text=str(score), callback_data=MandateRateCb(id=mandate_id, score=score))
    builder.button(
        text=t("mandates.button.rate_no"), callback_data=MandateRateCb(id=mandate_id, score=0)
    )
    builder.adjust(5, 1)
    return builder.as_markup()


# --- the lists -----------------------------------------------------------------------------


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > PREVIEW_CHARS:
        flat = flat[: PREVIEW_CHARS - 1].rstrip() + "…"
    return html.escape(flat)


def _list_line(index: int, item: MandateSummary, person: Person) -> str:
    params = {
        "index": index,
        "number": html.escape(item.number),
        "status": status_name(item.status),
        "preview": _preview(item.preview),
    }
    if item.first_answered_at is None:
        return t(
            "mandate_work.list.line",
            due=due(item.due_at, person.timezone),
            overdue=t("mandate_work.list.overdue") if item.overdue else "",
            **params,
        )
    return t(
        "mandate_work.list.line_answered", created=when(item.created_at, person.timezone), **params
    )


def _filters_text(cb: MandateListCb, branches: list[BranchOption], with_status: bool) -> list[str]:
    chosen = next((b for b in branches if b.id == cb.branch), None)
    lines = []
    if chosen is not None:
        lines.append(
            t(
                "mandate_work.list.branch_one",
                number=html.escape(chosen.number),
                name=html.escape(chosen.name),
            )
        )
    elif len(branches) > 1:
        lines.append(t("mandate_work.list.branch_all"))
    if with_status:
        lines.append(
            t("mandate_work.list.status_one", status=status_name(cb.status))
            if cb.status
            else t("mandate_work.list.status_all")
        )
    return lines


def list_screen(
    cb: MandateListCb,
    result: Page[MandateSummary],
    branches: list[BranchOption],
    person: Person,
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of /inbox or /mandates with the filters in force, each mandate a button."""
    inbox = cb.view == "inbox"
    lines = [t(f"mandate_work.list.{cb.view}_title")]
    lines += _filters_text(cb, branches, with_status=not inbox)
    if result.total:
        lines.append(t("mandate_work.list.total", count=plural(result.total, "plural.mandate")))
    lines.append("")
    if result.items:
        lines += [
            _list_line(n, item, person) + "\n"
            for n, item in enumerate(result.items, result.first_number)
        ]
        lines.append(t("mandate_work.list.open_hint"))
    else:
        lines.append(t(f"mandate_work.list.{cb.view}_empty"))

    builder = InlineKeyboardBuilder()
    for item in result.items:
        mark = t("mandate_work.list.overdue_mark") if item.overdue else ""
        builder.row(
            InlineKeyboardButton(
                text=t(
                    "mandate_work.list.item",
                    mark=mark,
                    number=item.number,
                    status=status_name(item.status),
                ),
                callback_data=MandateCb(action="open", id=item.id).pack(),
            )
        )
    add_pager(
        builder,
        result,
        lambda p: MandateListCb(view=cb.view, page=p, branch=cb.branch, status=cb.status),
    )
    filters = []
    if len(branches) > 1:
        filters.append(
            InlineKeyboardButton(
                text=t("mandate_work.button.branch_filter"),
                callback_data=MandateListCb(
                    view=BRANCH_VIEW[cb.view], page=1, branch=cb.branch, status=cb.status
                ).pack(),
            )
        )
    if not inbox:
        filters.append(
            InlineKeyboardButton(
                text=t("mandate_work.button.status_filter"),
                callback_data=MandateListCb(
                    view=STATUS_VIEW, page=1, branch=cb.branch, status=cb.status
                ).pack(),
            )
        )
    if filters:
        builder.row(*filters)
    builder.row(
        InlineKeyboardButton(
            text=t("common.to_menu"), callback_data=MandateCb(action="menu", id=0).pack()
        )
    )
    return "\n".join(lines).rstrip(), builder.as_markup()


def _choice(label: str, chosen: bool) -> str:
    return t("mandate_work.button.chosen", label=label) if chosen else label


def branch_screen(
    cb: MandateListCb, branches: list[BranchOption]
) -> tuple[str, InlineKeyboardMarkup]:
    """The branch filter: the person's branches, a page of them at a time. `cb.page` is the
    page of this list; `cb.branch` the branch chosen now."""
    view = next(v for v, b in BRANCH_VIEW.items() if b == cb.view)
    shown = paginate(branches, cb.page, BRANCHES_PER_PAGE)
    builder = InlineKeyboardBuilder()
    builder.row(
        InlineKeyboardButton(
            text=_choice(t("mandate_work.button.all_branches"), cb.branch == 0),
            callback_data=MandateListCb(view=view, page=1, status=cb.status).pack(),
        )
    )
    for branch in shown.items:
        builder.row(
            InlineKeyboardButton(
                text=_choice(f"№{branch.number} — {branch.name}", cb.branch == branch.id),
                callback_data=MandateListCb(
                    view=view, page=1, branch=branch.id, status=cb.status
                ).pack(),
            )
        )
    add_pager(
        builder,
        shown,
        lambda p: MandateListCb(view=cb.view, page=p, branch=cb.branch, status=cb.status),
    )
    builder.row(
        InlineKeyboardButton(
            text=t("common.back"),
            callback_data=MandateListCb(
                view=view, page=1, branch=cb.branch, status=cb.status
            ).pack(),
        )
    )
    return t("mandate_work.list.pick_branch"), builder.as_markup()


def status_screen(cb: MandateListCb) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_choice(t("mandate_work.button.all_statuses"), not cb.status),
        callback_data=MandateListCb(view="cur", page=1, branch=cb.branch),
    )
    for status in MandateStatus:
        builder.button(
            text=_choice(status_name(status), cb.status == status),
            callback_data=MandateListCb(view="cur", page=1, branch=cb.branch, status=status),
        )
    builder.button(
        text=t("common.back"),
        callback_data=MandateListCb(view="cur", page=1, branch=cb.branch, status=cb.status),
    )
    builder.adjust(1)
    return t("mandate_work.list.pick_status"), builder.as_markup()
