"""How the staff's lists look in the chat (/inbox, /mandates) and their branch and status
filter screens. Rendering only: the lists' scope comes from `bot.services.mandates.queries`.
User text is escaped here."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.mandates.lifecycle import MandateStatus
from bot.services.mandates.notices import status_name
from bot.services.mandates.queries import BranchOption, MandateSummary
from bot.services.paging import Page, paginate
from bot.services.people import Person
from bot.texts import plural, shorten, t
from handlers.callbacks import MandateCb, MandateListCb
from handlers.mandates.card_view import due, when
from handlers.paging import add_pager

PREVIEW_CHARS = 70


# Views of MandateListCb drawn here: the two staff lists and their filter screens.
LIST_VIEWS = frozenset({"inbox", "cur"})


BRANCH_VIEW = {"inbox": "inbox_b", "cur": "cur_b"}


# The status filter of each list: the curator's shows any status by default, the inbox
# the open ones; either finds a closed mandate by its status.
STATUS_VIEW = {"inbox": "inbox_s", "cur": "cur_s"}


STATUS_VIEWS = frozenset(STATUS_VIEW.values())


FILTER_VIEWS = frozenset({*BRANCH_VIEW.values(), *STATUS_VIEWS})


BRANCHES_PER_PAGE = 8


def _preview(text: str) -> str:
    return html.escape(shorten(text, PREVIEW_CHARS))


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


def _filters_text(cb: MandateListCb, branches: list[BranchOption]) -> list[str]:
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
    if cb.status:
        lines.append(t("mandate_work.list.status_one", status=status_name(cb.status)))
    else:
        lines.append(t(f"mandate_work.list.{cb.view}_status_default"))
    return lines


def list_screen(
    cb: MandateListCb,
    result: Page[MandateSummary],
    branches: list[BranchOption],
    person: Person,
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of /inbox or /mandates with the filters in force, each mandate a button."""
    lines = [t(f"mandate_work.list.{cb.view}_title")]
    lines += _filters_text(cb, branches)
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
        lines.append(
            t("mandate_work.list.cur_empty" if cb.status else f"mandate_work.list.{cb.view}_empty")
        )

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
    filters.append(
        InlineKeyboardButton(
            text=t("mandate_work.button.status_filter"),
            callback_data=MandateListCb(
                view=STATUS_VIEW[cb.view], page=1, branch=cb.branch, status=cb.status
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
    view = next(v for v, s in STATUS_VIEW.items() if s == cb.view)
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_choice(t(f"mandate_work.button.{view}_status_default"), not cb.status),
        callback_data=MandateListCb(view=view, page=1, branch=cb.branch),
    )
    for status in MandateStatus:
        builder.button(
            text=_choice(status_name(status), cb.status == status),
            callback_data=MandateListCb(view=view, page=1, branch=cb.branch, status=status),
        )
    builder.button(
        text=t("common.back"),
        callback_data=MandateListCb(view=view, page=1, branch=cb.branch, status=cb.status),
    )
    builder.adjust(1)
    return t("mandate_work.list.pick_status"), builder.as_markup()
