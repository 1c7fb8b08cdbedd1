"""One page of a longer list, the same for every list the bot shows.

Pages are numbered from 1 and a requested number is clamped to 1..pages, so a page
number from an old button, a forged one or 0 still gives a real page. There is always at
least one page, so an empty list is shown as «1/1».
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, func
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    page: int  # 1-based, clamped to 1..pages
    pages: int  # at least 1, even when there is nothing
    total: int
    per_page: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The position of the page's first item in the whole list, from 1."""
        return (self.page - 1) * self.per_page + 1

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with every item converted, e.g. rows into dataclasses."""
        return Page(
            [convert(item) for item in self.items], self.page, self.pages, self.total, self.per_page
        )


def locate(total: int, page: int, per_page: int) -> tuple[int, int]:
    """(page clamped to 1..pages, pages) for `total` items shown `per_page` at a time."""
    if per_page < 1:
        raise ValueError("per_page must be positive")
    pages = max(1, math.ceil(total / per_page))
    return min(max(page, 1), pages), pages


def paginate(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """A page of a list already in memory and in order."""
    total = len(items)
    page, pages = locate(total, page, per_page)
    start = (page - 1) * per_page
    return Page(list(items[start : start + per_page]), page, pages, total, per_page)


async def paginate_select(
    session: AsyncSession, query: Select[Any], page: int, per_page: int
) -> Page[Row[Any]]:
    """A page of the rows of an ordered SELECT: one COUNT with the same FROM and WHERE,
    then the rows with OFFSET/LIMIT. For a plain select: no GROUP BY, DISTINCT or LIMIT
    of its own, which the count would not respect."""
    count = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = await session.scalar(count) or 0
    page, pages = locate(total, page, per_page)
    rows = (await session.execute(query.offset((page - 1) * per_page).limit(per_page))).all()
    return Page(list(rows), page, pages, total, per_page)
