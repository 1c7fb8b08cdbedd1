"""The region → local branch → primary branch picker, shared by joining and by invites.

It only renders; the handlers that use it keep what was picked in FSM data and ask a
service to check the final choice.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.paging import Page
from bot.services.structure import queries
from bot.texts import t
from handlers.callbacks import PickCb
from handlers.paging import add_pager

PER_PAGE = 8


def _pager(
    builder: InlineKeyboardBuilder, purpose: str, level: str, page: Page[Any], item_id: int = 0
) -> None:
    add_pager(builder, page, lambda n: PickCb(purpose=purpose, level=level, id=item_id, page=n))


def _back(builder: InlineKeyboardBuilder, purpose: str, to_level: str, item_id: int = 0) -> None:
    builder.row(
        InlineKeyboardButton(
            text=t("common.back"),
            callback_data=PickCb(purpose=purpose, level=to_level, id=item_id).pack(),
        )
    )


async def regions(
    session: AsyncSession,
    purpose: str,
    title: str,
    page: int = 1,
    only: frozenset[int] | None = None,
    last: str = "br",
) -> tuple[str, InlineKeyboardMarkup]:
    """With `only` given, just those regions (the rest are not the picking person's).
    `last`: the level whose press is the choice ("reg", "loc" or "br"), for the step count."""
    result = await queries.list_regions(session, page, PER_PAGE, only)
    builder = InlineKeyboardBuilder()
    for item in result.items:
        builder.row(
            InlineKeyboardButton(
                text=item.name,
                callback_data=PickCb(purpose=purpose, level="reg", id=item.id).pack(),
            )
        )
    _pager(builder, purpose, "regp", result)
    key = {"reg": "picker.region_only", "loc": "picker.regions_of_2"}.get(last, "picker.regions")
    text = t(key, title=title) if result.total else t("picker.empty")
    return text, builder.as_markup()


async def local_branches(
    session: AsyncSession,
    purpose: str,
    title: str,
    region_id: int,
    page: int = 1,
    last: str = "br",
) -> tuple[str, InlineKeyboardMarkup]:
    region = await queries.get_region(session, region_id)
    result = await queries.list_local_branches(session, region_id, page, PER_PAGE)
    builder = InlineKeyboardBuilder()
    for item in result.items:
        builder.row(
            InlineKeyboardButton(
                text=item.name,
                callback_data=PickCb(purpose=purpose, level="loc", id=item.id).pack(),
            )
        )
    _pager(builder, purpose, "locp", result, region_id)
    _back(builder, purpose, "regp")
    key = "picker.locals_last" if last == "loc" else "picker.locals"
    return t(key, title=title, region=region.name), builder.as_markup()


async def branches(
    session: AsyncSession,
    purpose: str,
    title: str,
    local_branch_id: int,
    page: int = 1,
    selected: set[int] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """With `selected` given, a multiple choice with ✅ marks and a «Готово» button."""
    local = await queries.get_local_branch(session, local_branch_id)
    result = await queries.list_branches(session, local_branch_id, page, PER_PAGE)
    builder = InlineKeyboardBuilder()
    for item in result.items:
        label = t("picker.branch_button", number=item.number, name=item.name)
        if selected is not None and item.id in selected:
            label = t("picker.selected_mark") + label
        builder.row(
            InlineKeyboardButton(
                text=label, callback_data=PickCb(purpose=purpose, level="br", id=item.id).pack()
            )
        )
    _pager(builder, purpose, "brp", result, local_branch_id)
    if selected is not None:
        builder.row(
            InlineKeyboardButton(
                text=t("picker.done", count=len(selected)),
                callback_data=PickCb(purpose=purpose, level="done").pack(),
            )
        )
    _back(builder, purpose, "locp", local.region_id)
    if selected is None:
        text = t("picker.branches", title=title, region=local.region_name, local=local.name)
    else:
        text = t(
            "picker.branches_multi",
            title=title,
            region=local.region_name,
            local=local.name,
            count=len(selected),
        )
    return text, builder.as_markup()


async def render(
    session: AsyncSession,
    callback: PickCb,
    title: str,
    selected: set[int] | None = None,
    only: frozenset[int] | None = None,
    last: str = "br",
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The screen a navigation button asks for; None for a final choice ("br", "done").
    `only` and `last`: see `regions`."""
    if callback.level == "regp":
        return await regions(session, callback.purpose, title, callback.page, only, last)
    if callback.level == "reg":
        return await local_branches(session, callback.purpose, title, callback.id, last=last)
    if callback.level == "locp":
        return await local_branches(
            session, callback.purpose, title, callback.id, callback.page, last
        )
    if callback.level == "loc":
        return await branches(session, callback.purpose, title, callback.id, selected=selected)
    if callback.level == "brp":
        return await branches(
            session, callback.purpose, title, callback.id, callback.page, selected=selected
        )
    return None
