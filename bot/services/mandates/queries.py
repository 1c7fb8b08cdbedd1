"""Reading mandates: «Мои наказы», the secretary's inbox, the curator's list and the
choices of its branch filter (one mandate's card is `card`).

Every query filters by `access` in SQL, pages with LIMIT/OFFSET after one COUNT, and
selects only the columns a list shows (a 120-character preview, not the whole text), so a
branch with 10,000 mandates costs two indexed queries per page and no N+1.
Results are plain dataclasses, safe to use after the session is closed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, InvalidInput, NotFound
from bot.services.mandates.access import is_staff, may_see_branch, staff_scope
from bot.services.mandates.lifecycle import OPEN_STATUSES, MandateStatus
from bot.services.paging import Page, paginate_select
from bot.services.people import Person
from storage.models import Branch, Mandate

PER_PAGE_MAX = 50


PREVIEW_CHARS = 120


@dataclass(frozen=True, slots=True)
class MandateSummary:
    """One line of a list. `preview` is the text's start, raw: escape it for HTML."""

    id: int
    number: str
    status: str
    category: str
    branch_id: int
    created_at: datetime
    due_at: datetime
    first_answered_at: datetime | None
    overdue: bool
    supporters: int
    preview: str


@dataclass(frozen=True, slots=True)
class BranchOption:
    id: int
    number: str
    name: str


def _summary_columns() -> tuple[Any, ...]:
    return (
        Mandate.id,
        Mandate.number,
        Mandate.status,
        Mandate.category,
        Mandate.branch_id,
        Mandate.created_at,
        Mandate.due_at,
        Mandate.first_answered_at,
        Mandate.supporters,
        func.substr(Mandate.text, 1, PREVIEW_CHARS).label("preview"),
    )


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Mandate.first_answered_at.is_(None), Mandate.due_at <= now)


async def _page(
    session: AsyncSession,
    condition: ColumnElement[bool],
    order: list[Any],
    page: int,
    per_page: int,
    now: datetime,
) -> Page[MandateSummary]:
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise InvalidInput("per_page_invalid", max=PER_PAGE_MAX)
    query = select(*_summary_columns()).where(condition).order_by(*order)
    rows = await paginate_select(session, query, page, per_page)

    def summary(r: Row[Any]) -> MandateSummary:
        return MandateSummary(
            id=r.id,
            number=r.number,
            status=r.status,
            category=r.category,
            branch_id=r.branch_id,
            created_at=r.created_at,
            due_at=r.due_at,
            first_answered_at=r.first_answered_at,
            overdue=r.first_answered_at is None and now >= r.due_at,
            supporters=r.supporters,
            preview=r.preview,
        )

    return rows.map(summary)


async def _branch_filter(
    session: AsyncSession, person: Person, branch_id: int | None
) -> ColumnElement[bool]:
    if not is_staff(person):
        raise AccessDenied()
    scope = staff_scope(person)
    if branch_id is None:
        return scope
    region_id = await session.scalar(select(Branch.region_id).where(Branch.id == branch_id))
    if region_id is None:
        raise NotFound("branch_not_found")
    if not may_see_branch(person, branch_id, region_id):
        raise AccessDenied()
    return and_(scope, Mandate.branch_id == branch_id)


async def my_mandates(
    session: AsyncSession, person: Person, now: datetime, *, page: int = 1, per_page: int = 10
) -> Page[MandateSummary]:
    """The person's own mandates, newest first."""
    return await _page(
        session,
        Mandate.author_id == person.id,
        [Mandate.created_at.desc(), Mandate.id.desc()],
        page,
        per_page,
        now,
    )


async def inbox(
    session: AsyncSession,
    person: Person,
    now: datetime,
    *,
    branch_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 10,
) -> Page[MandateSummary]:
    """Open mandates (new, accepted, clarification) of the branches the person works with
    (secretary, curator, admin), overdue first, then oldest first; with `status`, those
    in it instead (a closed one is found this way). `branch_id` narrows it to one of the
    branches. Errors: AccessDenied (a member only, or a branch outside the scope),
    `branch_not_found`, `mandate_status_unknown`."""
    if status is not None and status not in MandateStatus.__members__.values():
        raise InvalidInput("mandate_status_unknown")
    wanted = [status] if status is not None else sorted(OPEN_STATUSES)
    condition = and_(
        await _branch_filter(session, person, branch_id),
        Mandate.status.in_(wanted),
    )
    overdue_first = case((_overdue(now), 0), else_=1)
    order = [overdue_first, Mandate.created_at, Mandate.id]
    return await _page(session, condition, order, page, per_page, now)


async def curator_list(
    session: AsyncSession,
    person: Person,
    now: datetime,
    *,
    branch_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 10,
) -> Page[MandateSummary]:
    """All mandates of the branches the person works with (any staff role), newest first,
    filtered by branch and/or status. Errors: AccessDenied, `branch_not_found`,
    `mandate_status_unknown`."""
    condition = await _branch_filter(session, person, branch_id)
    if status is not None:
        if status not in MandateStatus.__members__.values():
            raise InvalidInput("mandate_status_unknown")
        condition = and_(condition, Mandate.status == status)
    order = [Mandate.created_at.desc(), Mandate.id.desc()]
    return await _page(session, condition, order, page, per_page, now)


async def staff_branches(session: AsyncSession, person: Person) -> list[BranchOption]:
    """The branches the person works with as secretary, curator or admin, by number: the
    choices of a branch filter."""
    query = select(Branch.id, Branch.number, Branch.name).order_by(Branch.number, Branch.id)
    if not (person.is_admin and not person.admin_regions):
        ids = sorted(person.secretary_of | person.curator_of)
        condition: ColumnElement[bool] = Branch.id.in_(ids)
        if person.is_admin:
            condition = condition | Branch.region_id.in_(sorted(person.admin_regions))
        query = query.where(condition)
    return [BranchOption(*row) for row in (await session.execute(query)).all()]


# A mandate's number as people write it: «20-03/2026/0015», «№ 20-03/2026/15», «23:7/2026/1».
NUMBER_PATTERN = r"^\s*№?\s*([^\s/]{1,32})\s*/\s*(\d{4})\s*/\s*(\d{1,6})\s*$"
_NUMBER = re.compile(NUMBER_PATTERN)


def parse_number(text: str) -> str | None:
    """The mandate number in `text` as it is stored (the sequence with four digits), or
    None when the text is not one."""
    match = _NUMBER.match(text)
    if match is None:
        return None
    branch, year, sequence = match.groups()
    return f"{branch}/{year}/{int(sequence):04d}"


async def find_by_number(session: AsyncSession, person: Person, text: str) -> int:
    """The id of the mandate with this number, among those the person may read (their
    own, or in their staff scope). Errors: `mandate_number_invalid`; `mandate_not_found`
    for one they may not see too, so a search tells nothing about others' mandates."""
    number = parse_number(text)
    if number is None:
        raise InvalidInput("mandate_number_invalid")
    scope = Mandate.author_id == person.id
    if is_staff(person):
        scope = scope | staff_scope(person)
    found = await session.scalar(select(Mandate.id).where(Mandate.number == number, scope))
    if found is None:
        raise NotFound("mandate_not_found_number", number=html.escape(number))
    return found
