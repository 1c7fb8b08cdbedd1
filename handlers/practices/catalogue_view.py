"""What a person sees of the catalogue of practices: the `/practices` screen, a page of a
list, the search's results and one card, as text and buttons.

Pure rendering (no database, no Telegram). A practice is shown by where it comes from —
its branch and region — never by who wrote it; every value a person typed is escaped
(the search's hits come escaped already, with their bold).
"""

from __future__ import annotations

import html
from typing import Literal

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.paging import Page
from bot.services.practices.queries import FollowupLine, PracticeCard, PracticeSummary
from bot.services.practices.rules import category_name
from bot.services.practices.search import SearchPage
from bot.texts import shorten, t
from handlers.callbacks import PracticeCb, PracticeListCb, PracticeMenuCb, PracticeOpenCb, ShareCb
from handlers.paging import add_pager

View = Literal["new", "useful", "cat", "mine"]
BUTTON_TITLE_CHARS = 40
FOLLOWUPS_SHOWN = 3  # the latest answers on the card; the counts cover them all
FOLLOWUP_COMMENT_CHARS = 150
TEXT_LIMIT = 4096


def _s(key: str, **params: object) -> str:
    return t(f"pr_catalogue.{key}", **params)


def short(text: str, limit: int = BUTTON_TITLE_CHARS) -> str:
    return shorten(text, limit)


def origin(number: str, name: str, region: str) -> str:
    return t(
        "practices.notice.origin",
        number=html.escape(number),
        name=html.escape(name),
        region=html.escape(region),
    )


def category(code: str) -> str:
    return html.escape(category_name(code))


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def open_data(practice_id: int, view: str, page: int, code: str = "") -> str:
    """A list item's button: the card, remembering this page of this list for «⬅️ К
    списку»; without it if a long topic code would not fit Telegram's 64 bytes."""
    try:
        return PracticeOpenCb(id=practice_id, view=view, page=page, category=code).pack()
    except ValueError:
        return PracticeCb(action="open", id=practice_id).pack()


def _home_button() -> list[InlineKeyboardButton]:
    return [_button(_s("button.home"), PracticeMenuCb(action="home").pack())]


# --- the /practices screen ---------------------------------------------------------------


def home_screen() -> tuple[str, InlineKeyboardMarkup]:
    def lst(key: str, view: str) -> InlineKeyboardButton:
        return _button(_s(f"button.{key}"), PracticeListCb(view=view).pack())

    rows = [
        [lst("new", "new"), lst("useful", "useful")],
        [lst("cats", "cats"), _button(_s("button.find"), PracticeMenuCb(action="find").pack())],
        [_button(_s("button.share"), ShareCb(action="new").pack())],
        [lst("mine", "mine")],
    ]
    return _s("home.text"), InlineKeyboardMarkup(inline_keyboard=rows)


def categories_screen(counts: list[tuple[str, str, int]]) -> tuple[str, InlineKeyboardMarkup]:
    """(code, name, published practices) for each category offered."""
    builder = InlineKeyboardBuilder()
    for code, name, count in counts:
        builder.button(
            text=_s("list.cat_button", category=name, count=count),
            callback_data=PracticeListCb(view="cat", category=code),
        )
    builder.adjust(1)
    builder.row(*_home_button())
    return _s("list.cats_title"), builder.as_markup()


# --- lists -------------------------------------------------------------------------------


def _mine_status(item: PracticeSummary) -> str:
    if item.status == "published":
        return _s("mine.published", likes=item.likes, adoptions=item.adoptions)
    return _s(f"mine.{item.status}") if item.status in ("moderation", "returned") else ""


def _item(n: int, item: PracticeSummary, view: View) -> str:
    title = html.escape(item.title)
    if view == "mine":
        return _s(
            "list.item_mine",
            n=n,
            title=title,
            category=category(item.category),
            status=_mine_status(item),
        )
    return _s(
        "list.item",
        n=n,
        title=title,
        category=category(item.category),
        origin=origin(item.branch_number, item.branch_name, item.region_name),
        likes=item.likes,
        adoptions=item.adoptions,
    )


def _list_title(view: View, page: Page[PracticeSummary], code: str) -> str:
    if view == "cat":
        return _s("list.cat_title", category=category(code), total=page.total)
    return _s(f"list.{view}_title", total=page.total)


def list_screen(
    page: Page[PracticeSummary], view: View, code: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of «Новые», «Полезные», one category (`code`) or «Мои практики», each item
    a button to its card."""
    builder = InlineKeyboardBuilder()
    if not page.total:
        empty = _s("list.cat_empty", category=category(code)) if view == "cat" else None
        builder.row(*_home_button())
        return empty or _s(f"list.{view}_empty"), builder.as_markup()
    lines = [_list_title(view, page, code)]
    if page.pages > 1:
        lines.append(_s("list.page", page=page.page, pages=page.pages))
    numbered = list(enumerate(page.items, page.first_number))
    lines += [_item(n, item, view) for n, item in numbered]
    lines.append(_s("list.hint"))
    for n, item in numbered:
        builder.button(
            text=_s("list.open", n=n, title=short(item.title)),
            callback_data=open_data(item.id, view, page.page, code),
        )
    builder.adjust(1)
    add_pager(builder, page, lambda number: PracticeListCb(view=view, category=code, page=number))
    builder.row(*_home_button())
    return "\n\n".join(lines), builder.as_markup()


def found_screen(found: SearchPage, words: str) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the search's results (there is at least one), in place like a list."""
    per_page = found.limit
    page = Page(
        list(found.hits),
        found.offset // per_page + 1,
        max(1, -(-found.total // per_page)),
        found.total,
        per_page,
    )
    lines = [_s("list.find_title", words=html.escape(words), total=found.total)]
    if page.pages > 1:
        lines.append(_s("list.page", page=page.page, pages=page.pages))
    builder = InlineKeyboardBuilder()
    for n, hit in enumerate(found.hits, found.offset + 1):
        lines.append(
            _s(
                "list.item_found",
                n=n,
                title=hit.title_html,
                category=category(hit.category),
                snippet=hit.snippet_html,
            )
        )
        builder.button(
            text=_s("list.open", n=n, title=short(_plain(hit.title_html))),
            callback_data=open_data(hit.practice_id, "find", page.page),
        )
    lines.append(_s("list.hint"))
    builder.adjust(1)
    add_pager(builder, page, lambda number: PracticeListCb(view="find", page=number))
    builder.row(
        _button(_s("button.find_again"), PracticeMenuCb(action="find").pack()),
        *_home_button(),
    )
    return "\n\n".join(lines), builder.as_markup()


def _plain(markup: str) -> str:
    """A hit's HTML as plain text (for a button): the bold off, the entities read."""
    return html.unescape(markup.replace("<b>", "").replace("</b>", ""))


# --- the card ----------------------------------------------------------------------------


def _attachments(card: PracticeCard) -> str:
    if card.document_file_id:
        what = _s("card.document", name=html.escape(card.document_name or "—"))
    elif card.photos:
        what = _s("card.photos", count=len(card.photos))
    else:
        return ""
    return _s("card.attachments", what=what)


def _status(card: PracticeCard) -> str:
    if card.status == "moderation":
        return _s("card.moderation")
    if card.status == "returned":
        if card.return_comment:
            return _s("card.returned_comment", comment=html.escape(card.return_comment))
        return _s("card.returned")
    return ""


def _followup(line: FollowupLine) -> str:
    outcome = t(f"practices.outcome.{line.outcome}")
    number = html.escape(line.branch_number)
    if line.comment:
        comment = html.escape(short(line.comment, FOLLOWUP_COMMENT_CHARS))
        return _s("card.followup_comment", number=number, outcome=outcome, comment=comment)
    return _s("card.followup", number=number, outcome=outcome)


def _followups(card: PracticeCard, shown: int) -> str:
    if not card.followups:
        return ""
    counts = {o: sum(1 for f in card.followups if f.outcome == o) for o in ("yes", "no", "trying")}
    lines = [_s("card.followups", **counts)]
    lines += [_followup(line) for line in card.followups[:shown]]
    if len(card.followups) > shown:
        lines.append(_s("card.followups_more", more=len(card.followups) - shown))
    return "\n".join(lines)


def card_text(card: PracticeCard) -> str:
    """The whole practice; the follow-up lines give way when it would not fit a message."""
    for shown in (FOLLOWUPS_SHOWN, 1, 0):
        text = _s(
            "card.text",
            title=html.escape(card.title),
            category=category(card.category),
            origin=origin(card.branch_number, card.branch_name, card.region_name),
            status=_status(card),
            what_done=html.escape(card.what_done),
            result=html.escape(card.result),
            attachments=_attachments(card),
            likes=card.likes,
            adoptions=card.adoptions,
            followups=_followups(card, shown),
        )
        if len(text) <= TEXT_LIMIT:  # markup included: an upper bound of what Telegram counts
            break
    return text


def card_keyboard(card: PracticeCard, back: PracticeListCb | None = None) -> InlineKeyboardMarkup:
    """The card's buttons; «⬅️ К списку» goes to `back`, the list it was opened from, or
    (from a notice, a link) to the author's own list, the moderator's queue or «Новые»."""
    rows: list[list[InlineKeyboardButton]] = []

    def button(text: str, action: str) -> InlineKeyboardButton:
        return _button(text, PracticeCb(action=action, id=card.id).pack())

    if card.can_react:
        like = _s("button.liked" if card.viewer_liked else "button.like", count=card.likes)
        adopt = _s("button.adopted" if card.viewer_branch_adopted else "button.adopt")
        rows.append([button(like, "like")])
        rows.append([button(adopt, "adopt")])
        if card.contact_offer:
            rows.append([button(_s("button.contact"), "contact")])
    if card.photos:
        rows.append([button(_s("button.photos", count=len(card.photos)), "photos")])
    elif card.document_file_id:
        rows.append([button(_s("button.document"), "photos")])
    if card.can_moderate:  # the decision itself is handlers/practices/moderate.py's
        rows.append(
            [
                button(t("practices.button.publish"), "pub"),
                button(t("practices.button.return"), "ret"),
            ]
        )
    if back is None:
        view = "mine" if card.is_author else "mod" if card.can_moderate else "new"
        back = PracticeListCb(view=view)
    rows.append([_button(_s("button.back"), back.pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question_markup() -> InlineKeyboardMarkup:
    """Under a typed question of the catalogue's: «✖️ Отмена»."""
    cancel = _button(_s("button.cancel"), PracticeMenuCb(action="cancel").pack())
    return InlineKeyboardMarkup(inline_keyboard=[[cancel]])
