"""Reading practices: the catalogue's lists, one practice's card, «Мои практики».

Every list pages with `paging.paginate_select` (one COUNT, then LIMIT/OFFSET) and returns
plain dataclasses, safe after the session is closed. The catalogue holds published
practices only; the card of any other is shown to its author and moderators alone.

**Most useful** orders by `likes_count + adoptions_count` (a like and an adoption weigh
the same: both are someone saying it helps), then by the share of «да» among the
follow-up answers given (0 while none is given: untested is not proven), then newest.
The counts live on the row, so the order needs no counting of likes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.paging import Page, paginate_select
from bot.services.people import Person
from bot.services.practices.access import PUBLISHED, home_branch, may_moderate, require_visible
from bot.services.practices.errors import PracticeError
from bot.services.practices.records import load, origin_of
from storage.models import (
    Branch,
    Practice,
    PracticeAdoption,
    PracticeLike,
    PracticePhoto,
    Region,
)

PER_PAGE_MAX = 50


@dataclass(frozen=True, slots=True)
class PracticeSummary:
    """One line of a list: where it comes from (branch and region), never who wrote it."""

    id: int
    title: str
    category: str
    branch_number: str
    branch_name: str
    region_name: str
    likes: int
    adoptions: int
    status: str
    published_at: datetime | None
    submitted_at: datetime


def _summary_query() -> Any:
    return (
        select(
            Practice.id,
            Practice.title,
            Practice.category,
            Branch.number,
            Branch.name.label("branch_name"),
            Region.name.label("region_name"),
            Practice.likes_count,
            Practice.adoptions_count,
            Practice.status,
            Practice.published_at,
            Practice.submitted_at,
        )
        .join(Branch, Branch.id == Practice.branch_id)
        .join(Region, Region.id == Branch.region_id)
    )


def _summary(row: Any) -> PracticeSummary:
    return PracticeSummary(
        id=row.id,
        title=row.title,
        category=row.category,
        branch_number=row.number,
        branch_name=row.branch_name,
        region_name=row.region_name,
        likes=row.likes_count,
        adoptions=row.adoptions_count,
        status=row.status,
        published_at=row.published_at,
        submitted_at=row.submitted_at,
    )


def _per_page(per_page: int) -> int:
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise PracticeError("per_page_invalid", max=PER_PAGE_MAX)
    return per_page


def _catalogue(category: str | None) -> Any:
    query = _summary_query().where(Practice.status == PUBLISHED)
    if category is not None:
        query = query.where(Practice.category == category)
    return query


async def newest(
    session: AsyncSession, page: int = 1, per_page: int = 5, *, category: str | None = None
) -> Page[PracticeSummary]:
    """Published practices, the latest published first; of one category with `category`."""
    query = _catalogue(category).order_by(Practice.published_at.desc(), Practice.id.desc())
    return (await paginate_select(session, query, page, _per_page(per_page))).map(_summary)


async def by_category(
    session: AsyncSession, category: str, page: int = 1, per_page: int = 5
) -> Page[PracticeSummary]:
    """One category's published practices, newest first (a code since removed from the
    settings still finds its practices)."""
    return await newest(session, page, per_page, category=category)


def yes_share() -> Any:
    """SQL: the share of «да» among the practice's answered follow-ups, 0 when none."""
    answered = PracticeAdoption.outcome.is_not(None)
    yes = func.sum(case((PracticeAdoption.outcome == "yes", 1), else_=0))
    return func.coalesce(
        select(cast(yes, Float) / func.nullif(func.count(), 0))
        .where(PracticeAdoption.practice_id == Practice.id, answered)
        .correlate(Practice)
        .scalar_subquery(),
        0.0,
    )


async def most_useful(
    session: AsyncSession, page: int = 1, per_page: int = 5, *, category: str | None = None
) -> Page[PracticeSummary]:
    """Published practices by usefulness (the module's formula)."""
    query = _catalogue(category).order_by(
        (Practice.likes_count + Practice.adoptions_count).desc(),
        yes_share().desc(),
        Practice.published_at.desc(),
        Practice.id.desc(),
    )
    return (await paginate_select(session, query, page, _per_page(per_page))).map(_summary)


async def my_practices(
    session: AsyncSession, person: Person, page: int = 1, per_page: int = 5
) -> Page[PracticeSummary]:
    """«Мои практики»: the person's own in every status, the latest sent first."""
    query = (
        _summary_query()
        .where(Practice.author_id == person.id)
        .order_by(Practice.submitted_at.desc(), Practice.id.desc())
    )
    return (await paginate_select(session, query, page, _per_page(per_page))).map(_summary)


@dataclass(frozen=True, slots=True)
class FollowupLine:
    """An answer to «Получилось?», with the branch that gave it (not the person)."""

    outcome: str  # yes, no, trying
    comment: str | None
    branch_number: str
    branch_name: str
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class PracticeCard:
    """Everything one practice's card shows to this viewer. Raw text: escape for HTML."""

    id: int
    title: str
    category: str
    what_done: str
    result: str
    photos: list[str]  # file_ids in order; empty when there is a document
    document_file_id: str | None
    document_name: str | None
    branch_number: str
    branch_name: str
    region_name: str
    likes: int
    adoptions: int
    followups: list[FollowupLine]
    contact_offer: bool
    status: str
    return_comment: str | None  # the last «на доработку»: author and moderators only
    published_at: datetime | None
    viewer_liked: bool
    viewer_branch_adopted: bool
    is_author: bool
    can_moderate: bool  # show «Опубликовать» / «Вернуть» while it waits

    @property
    def can_react(self) -> bool:
        """«Полезно» / «Берём в работу» / «Связаться»: published, not one's own."""
        return self.status == PUBLISHED and not self.is_author


async def practice_card(session: AsyncSession, viewer: Person, practice_id: int) -> PracticeCard:
    """Errors: NotFound (no such practice, or one not published and not the viewer's to
    see)."""
    loaded = await load(session, practice_id)
    practice = loaded.practice
    require_visible(viewer, practice, loaded.region_id)
    origin = await origin_of(session, practice.branch_id)
    photos = await session.scalars(
        select(PracticePhoto.file_id)
        .where(PracticePhoto.practice_id == practice.id)
        .order_by(PracticePhoto.position)
    )
    followups = await session.execute(
        select(
            PracticeAdoption.outcome,
            PracticeAdoption.outcome_comment,
            Branch.number,
            Branch.name,
            PracticeAdoption.answered_at,
        )
        .join(Branch, Branch.id == PracticeAdoption.branch_id)
        .where(PracticeAdoption.practice_id == practice.id, PracticeAdoption.outcome.is_not(None))
        .order_by(PracticeAdoption.answered_at.desc(), PracticeAdoption.id.desc())
    )
    branch_id = home_branch(viewer)
    liked = exists().where(
        PracticeLike.practice_id == practice.id, PracticeLike.user_id == viewer.id
    )
    adopted = exists().where(
        and_(PracticeAdoption.practice_id == practice.id, PracticeAdoption.branch_id == branch_id)
    )
    viewer_liked, branch_adopted = (await session.execute(select(liked, adopted))).one()
    is_author = practice.author_id == viewer.id
    moderator = may_moderate(viewer, practice.branch_id, loaded.region_id)
    return PracticeCard(
        id=practice.id,
        title=practice.title,
        category=practice.category,
        what_done=practice.what_done,
        result=practice.result,
        photos=list(photos),
        document_file_id=practice.document_file_id,
        document_name=practice.document_name,
        branch_number=origin.branch_number,
        branch_name=origin.branch_name,
        region_name=origin.region_name,
        likes=practice.likes_count,
        adoptions=practice.adoptions_count,
        followups=[
            FollowupLine(row.outcome, row.outcome_comment, row.number, row.name, row.answered_at)
            for row in followups
        ],
        contact_offer=practice.contact_offer,
        status=practice.status,
        return_comment=practice.return_comment if is_author or moderator else None,
        published_at=practice.published_at,
        viewer_liked=bool(viewer_liked),
        viewer_branch_adopted=branch_id is not None and bool(branch_adopted),
        is_author=is_author,
        can_moderate=moderator and practice.status == "moderation",
    )
