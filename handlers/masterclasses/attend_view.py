"""What `attend` shows: the organiser's list of people with its tick buttons, the code
screen, the feedback summary paged under Telegram's 4,096 characters. No handlers here;
every value a person typed is escaped on the way in."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import local
from bot.services.masterclasses import notices
from bot.services.masterclasses.feedback import FeedbackSummary
from bot.services.masterclasses.records import REGISTERED, WAITING
from bot.services.masterclasses.roster import RosterLine
from bot.services.paging import Page, paginate
from bot.texts import t
from handlers.callbacks import AttendCb, OrganiserCb
from handlers.paging import add_pager
from storage.models import Masterclass

PEOPLE_PER_PAGE = 10
NAME_CHARS = 60  # in the list's lines
BUTTON_NAME_CHARS = 30  # in a tick button
BRANCH_CHARS = 60
# The feedback's comments are laid out in pages of at most this many characters (HTML,
# escaped), leaving room for the heading and the counts within Telegram's 4,096.
FEEDBACK_PAGE_CHARS = 3_200
COMMENT_CHARS = 3_000  # one comment longer than that (escaped) is cut


def _s(key: str, **params: object) -> str:
    return t(f"mc_attend.{key}", **params)


def cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def back_row(builder: InlineKeyboardBuilder, masterclass_id: int) -> None:
    builder.row(
        InlineKeyboardButton(
            text=_s("back_to_card"),
            callback_data=OrganiserCb(action="card", id=masterclass_id).pack(),
        )
    )


def back_markup(masterclass_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    back_row(builder, masterclass_id)
    return builder.as_markup()


# --- the list of people ------------------------------------------------------------------


def _branch(line: RosterLine) -> str:
    if not line.branch_number:
        return _s("people.no_branch")
    return _s(
        "people.branch",
        number=html.escape(line.branch_number),
        name=html.escape(cut(line.branch_name or "", BRANCH_CHARS)),
    )


def _line(n: int, line: RosterLine) -> str:
    name = html.escape(cut(line.full_name, NAME_CHARS))
    if line.status == WAITING:
        return _s("people.line_waiting", n=n, name=name, branch=_branch(line), place=line.place)
    mark = _s("people.present_mark") if line.attended else ""
    return _s("people.line", n=n, mark=mark, name=name, branch=_branch(line))


def people_screen(
    masterclass: Masterclass,
    lines: Sequence[RosterLine],
    page_number: int,
    registration_ids: dict[int, int],
) -> tuple[str, InlineKeyboardMarkup, Page[RosterLine]]:
    """A page of the list: the seated (✅ when marked present), then the queue; a tick
    button for each seated person on the page (`registration_ids`: user id → their
    registration's id), the pager, the file and the way back to the card."""
    registered = sum(1 for line in lines if line.status == REGISTERED)
    waiting = sum(1 for line in lines if line.status == WAITING)
    present = sum(1 for line in lines if line.status == REGISTERED and line.attended)
    page = paginate(list(lines), page_number, PEOPLE_PER_PAGE)
    head = [_s("people.title", title=html.escape(masterclass.title))]
    builder = InlineKeyboardBuilder()
    if not lines:
        head.append(_s("people.empty"))
        back_row(builder, masterclass.id)
        return "\n\n".join(head), builder.as_markup(), page
    if masterclass.capacity is None:
        counts = _s("people.counts", registered=registered, waiting=waiting, present=present)
    else:
        counts = _s(
            "people.counts_capacity",
            registered=registered,
            capacity=masterclass.capacity,
            waiting=waiting,
            present=present,
        )
    head.append(counts)
    if page.pages > 1:
        head.append(_s("people.page", page=page.page, pages=page.pages))
    blocks = ["\n".join(head)]
    seated = [
        (n, line)
        for n, line in enumerate(page.items, page.first_number)
        if line.status == REGISTERED
    ]
    queued = [
        (n, line) for n, line in enumerate(page.items, page.first_number) if line.status == WAITING
    ]
    if seated:
        blocks.append(
            "\n".join([_s("people.registered_head"), *(_line(n, line) for n, line in seated)])
        )
    if queued:
        # The queue is numbered by place in it, so the numbers go on from the seated ones.
        blocks.append(
            "\n".join([_s("people.waiting_head"), *(_line(n, line) for n, line in queued)])
        )
    if seated:
        blocks.append(_s("people.hint"))
    for n, line in seated:
        registration_id = registration_ids.get(line.user_id)
        if registration_id is None:
            continue
        key = "people.tick_on" if line.attended else "people.tick_off"
        builder.button(
            text=_s(key, n=n, name=cut(line.full_name, BUTTON_NAME_CHARS)),
            callback_data=AttendCb(
                action="untick" if line.attended else "tick", id=registration_id, page=page.page
            ),
        )
    builder.adjust(1)
    add_pager(
        builder, page, lambda number: OrganiserCb(action="people", id=masterclass.id, page=number)
    )
    builder.row(
        InlineKeyboardButton(
            text=_s("people.xlsx"), callback_data=AttendCb(action="xlsx", id=masterclass.id).pack()
        )
    )
    back_row(builder, masterclass.id)
    return "\n\n".join(blocks), builder.as_markup(), page


def xlsx_name(masterclass: Masterclass, timezone: str) -> str:
    day = local(masterclass.starts_at, timezone).strftime("%Y-%m-%d")
    return f"uchastniki_{day}_mk{masterclass.id}.xlsx"


def xlsx_caption(masterclass: Masterclass, timezone: str) -> str:
    return _s(
        "people.xlsx_caption",
        title=html.escape(masterclass.title),
        date=notices.when(masterclass.starts_at, timezone),
    )


# --- the code ----------------------------------------------------------------------------


def code_screen(masterclass: Masterclass, code: str, timezone: str) -> str:
    until = masterclass.checkin_expires_at
    return _s(
        "code.text",
        title=html.escape(masterclass.title),
        code=code,
        until=notices.when(until, timezone) if until else "",
    )


def not_open_text(opens: datetime, timezone: str) -> str:
    return _s("code.not_open", opens=notices.when(opens, timezone))


# --- the feedback ------------------------------------------------------------------------


def _comment_line(score: int, text: str) -> str:
    escaped = html.escape(text)
    if len(escaped) > COMMENT_CHARS:
        # Cut the raw text until its escaped form fits: an entity is never cut in half.
        raw = text
        while len(html.escape(raw)) > COMMENT_CHARS - 1:
            raw = raw[: max(len(raw) - max(len(raw) // 10, 1), 0)]
        escaped = html.escape(raw.rstrip()) + "…"
    return _s("feedback.comment", score=score, text=escaped)


def comment_pages(comments: Sequence[tuple[int, str]]) -> list[list[str]]:
    """The comments as lines, grouped into pages of at most FEEDBACK_PAGE_CHARS."""
    pages: list[list[str]] = []
    current: list[str] = []
    size = 0
    for score, text in comments:
        line = _comment_line(score, text)
        if current and size + len(line) + 2 > FEEDBACK_PAGE_CHARS:
            pages.append(current)
            current, size = [], 0
        current.append(line)
        size += len(line) + 2
    if current:
        pages.append(current)
    return pages


def feedback_screen(
    masterclass: Masterclass, summary: FeedbackSummary, page_number: int
) -> tuple[str, InlineKeyboardMarkup]:
    head = [
        _s("feedback.title", title=html.escape(masterclass.title)),
        _s("feedback.counts", present=summary.present, ratings=summary.ratings),
    ]
    if summary.average is None:
        head.append(_s("feedback.no_ratings"))
    else:
        average = f"{summary.average:.1f}".replace(".", ",")
        head.append(_s("feedback.average", average=average))
    pages = comment_pages(summary.comments)
    builder = InlineKeyboardBuilder()
    blocks = ["\n".join(head)]
    if not pages:
        blocks.append(_s("feedback.no_comments"))
    else:
        # Pages of unequal sizes: `paginate` over the page list turns them one at a time.
        page = paginate(pages, page_number, 1)
        title = _s("feedback.comments_head", count=len(summary.comments))
        if page.pages > 1:
            title = f"{title} {_s('feedback.page', page=page.page, pages=page.pages)}"
        blocks.append("\n\n".join([title, *page.items[0]]))
        add_pager(
            builder,
            page,
            lambda number: OrganiserCb(action="feedback", id=masterclass.id, page=number),
        )
    back_row(builder, masterclass.id)
    return "\n\n".join(blocks), builder.as_markup()
