"""Reading mandates: «Мои наказы», the secretary's inbox, the curator's list, one card.

Every query filters by `mandate_access` in SQL, pages with LIMIT/OFFSET after one COUNT,
and selects only the columns a list shows (a 120-character preview, not the whole text),
so a branch with 10,000 mandates costs two indexed queries per page and no N+1.
Results are plain dataclasses, safe to use after the session is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, InvalidInput, NotFound
from bot.services.mandate_access import (
    Action,
    ActorRole,
    acting_as,
    is_staff,
    may_see_branch,
    require,
    staff_scope,
)
from bot.services.mandates import (
    OPEN_STATUSES,
    MandateStatus,
    available_actions,
    is_overdue,
    load_mandate,
)
from bot.services.paging import Page, paginate_select
from bot.services.people import Person
from storage.models import Branch, Mandate, MandateEvent, MandatePhoto

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
class HistoryEntry:
    at: datetime
    actor_role: str  # ActorRole value: "author", "secretary", "curator", "admin", "member"
    action: str  # the `mandates.event.<action>` text names it
    from_status: str | None
    to_status: str | None
    comment: str | None  # raw: escape for HTML
    rating: int | None


@dataclass(frozen=True, slots=True)
class MandateCard:
    """Everything to show one mandate. Raw user text throughout: escape it for HTML.

    `actions` names what the viewer may do now (see `mandates.available_actions`);
    `question` is the pending clarification question, if any. The author's view leaves
    out curators' and admins' internal comments."""

    id: int
    number: str
    status: str
    category: str
    text: str
    address: str | None
    latitude: float | None
    longitude: float | None
    on_behalf: str
    voter_name: str | None
    voter_phone: str | None
    supporters: int
    forwarded_to: str | None
    created_at: datetime
    due_at: datetime
    first_answered_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    overdue: bool
    branch_id: int
    branch_number: str
    branch_name: str
    branch_timezone: str
    photos: list[str]
    history: list[HistoryEntry]
    viewer: ActorRole
    actions: frozenset[str]
    question: str | None


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
    page: int = 1,
    per_page: int = 10,
) -> Page[MandateSummary]:
    """Open mandates (new, accepted, clarification) of the branches the person works with
    (secretary, curator, admin), overdue first, then oldest first. `branch_id` narrows it
    to one of them. Errors: AccessDenied (a member only, or a branch outside the scope),
    `branch_not_found`."""
    condition = and_(
        await _branch_filter(session, person, branch_id),
        Mandate.status.in_(sorted(OPEN_STATUSES)),
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
        condition = Branch.id.in_(ids)
        if person.is_admin:
            condition = condition | Branch.region_id.in_(sorted(person.admin_regions))
        query = query.where(condition)
    return [BranchOption(*row) for row in (await session.execute(query)).all()]


async def mandate_card(
    session: AsyncSession, person: Person, mandate_id: int, now: datetime
) -> MandateCard:
    """One mandate with its photos and history, for whoever may read it.
    Errors: `mandate_not_found`, AccessDenied."""
    m, region_id, timezone, branch_number, branch_name = await load_mandate(session, mandate_id)
    require(person, Action.READ, branch_id=m.branch_id, region_id=region_id, author_id=m.author_id)
    viewer = acting_as(person, Action.READ, branch_id=m.branch_id, author_id=m.author_id)
    staff_view = may_see_branch(person, m.branch_id, region_id)

    photos = list(
        await session.scalars(
            select(MandatePhoto.file_id)
            .where(MandatePhoto.mandate_id == m.id)
            .order_by(MandatePhoto.position)
        )
    )
    events = (
        await session.scalars(
            select(MandateEvent)
            .where(MandateEvent.mandate_id == m.id)
            .order_by(MandateEvent.created_at, MandateEvent.id)
        )
    ).all()
    history = [
        HistoryEntry(
            e.created_at, e.actor_role, e.action, e.from_status, e.to_status, e.comment, e.rating
        )
        for e in events
        if staff_view or e.action != "comment"
    ]
    question = None
    if m.status == MandateStatus.CLARIFICATION:
        asked = [h for h in history if h.action == "clarification_asked"]
        question = asked[-1].comment if asked else None
    return MandateCard(
        id=m.id,
        number=m.number,
        status=m.status,
        category=m.category,
        text=m.text,
        address=m.address,
        latitude=m.latitude,
        longitude=m.longitude,
        on_behalf=m.on_behalf,
        voter_name=m.voter_name,
        voter_phone=m.voter_phone,
        supporters=m.supporters,
        forwarded_to=m.forwarded_to,
        created_at=m.created_at,
        due_at=m.due_at,
        first_answered_at=m.first_answered_at,
        closed_at=m.closed_at,
        rating=m.rating,
        overdue=is_overdue(m, now),
        branch_id=m.branch_id,
        branch_number=branch_number,
        branch_name=branch_name,
        branch_timezone=timezone,
        photos=photos,
        history=history,
        viewer=viewer,
        actions=available_actions(person, m, region_id),
        question=question,
    )
