"""Reading masterclasses: the upcoming ones open to a person, «Мои мастер-классы», the
organiser's list, and one masterclass's card.

Every list filters by `audience`/`access` in SQL, pages with `paging.paginate_select`
(one COUNT, then LIMIT/OFFSET), nearest first, and returns plain dataclasses, safe to use
after the session is closed. Times are UTC; show them with `notices.when` in the reader's
zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services.errors import InvalidInput
from bot.services.masterclasses.access import (
    Action,
    allowed,
    managed_condition,
    may_manage,
    require,
)
from bot.services.masterclasses.audience import ResolvedAudience, places_of, visible_condition
from bot.services.masterclasses.records import ACTIVE, WAITING, loaded, registration_of
from bot.services.paging import Page, paginate_select
from bot.services.people import Person
from storage.models import Masterclass, MasterclassRegistration

PER_PAGE_MAX = 50


@dataclass(frozen=True, slots=True)
class MasterclassSummary:
    """One line of a list. `my_status`: the reader's registration (None: not registered);
    `my_place`: their 1-based place in the queue while waiting."""

    id: int
    title: str
    starts_at: datetime
    duration_minutes: int
    place: str | None
    online_url: str | None
    capacity: int | None
    seats_taken: int
    waiting: int
    status: str
    my_status: str | None
    my_place: int | None

    @property
    def seats_left(self) -> int | None:
        """None: no limit; 0: full (the waiting list is open)."""
        return None if self.capacity is None else max(self.capacity - self.seats_taken, 0)

    @property
    def online(self) -> bool:
        return self.online_url is not None


def _waiting_count() -> Any:
    waiting = aliased(MasterclassRegistration)
    return (
        select(func.count())
        .where(waiting.masterclass_id == Masterclass.id, waiting.status == WAITING)
        .correlate(Masterclass)
        .scalar_subquery()
    )


def _place_of(mine: Any) -> Any:
    ahead = aliased(MasterclassRegistration)
    return (
        select(func.count())
        .where(
            ahead.masterclass_id == mine.masterclass_id,
            ahead.status == WAITING,
            ahead.queue_number <= mine.queue_number,
        )
        .correlate(mine)
        .scalar_subquery()
    )


def _summary_query(person: Person) -> tuple[Any, Any]:
    mine = aliased(MasterclassRegistration)
    return (
        select(
            Masterclass.id,
            Masterclass.title,
            Masterclass.starts_at,
            Masterclass.duration_minutes,
            Masterclass.place,
            Masterclass.online_url,
            Masterclass.capacity,
            Masterclass.seats_taken,
            _waiting_count().label("waiting"),
            Masterclass.status,
            mine.status.label("my_status"),
            _place_of(mine).label("my_place"),
        )
        .outerjoin(mine, and_(mine.masterclass_id == Masterclass.id, mine.user_id == person.id))
        .order_by(Masterclass.starts_at, Masterclass.id)
    ), mine


def _summary(row: Any) -> MasterclassSummary:
    return MasterclassSummary(
        id=row.id,
        title=row.title,
        starts_at=row.starts_at,
        duration_minutes=row.duration_minutes,
        place=row.place,
        online_url=row.online_url,
        capacity=row.capacity,
        seats_taken=row.seats_taken,
        waiting=int(row.waiting or 0),
        status=row.status,
        my_status=row.my_status,
        my_place=int(row.my_place) if row.my_status == WAITING else None,
    )


def _per_page(per_page: int) -> int:
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise InvalidInput("per_page_invalid", max=PER_PAGE_MAX)
    return per_page


async def upcoming_for(
    session: AsyncSession, person: Person, now: datetime, page: int = 1, per_page: int = 5
) -> Page[MasterclassSummary]:
    """Published masterclasses not started yet whose audience holds the person, nearest
    first, with seats left and the person's own registration."""
    query, _ = _summary_query(person)
    places = await places_of(session, person)
    query = query.where(
        Masterclass.status == "published",
        Masterclass.starts_at > now,
        visible_condition(places),
    )
    rows = await paginate_select(session, query, page, _per_page(per_page))
    return rows.map(_summary)


async def my_masterclasses(
    session: AsyncSession, person: Person, now: datetime, page: int = 1, per_page: int = 5
) -> Page[MasterclassSummary]:
    """«Мои мастер-классы»: what the person holds a seat for or waits for, not started
    yet (cancelled events too, marked by `status`, until their time passes)."""
    query, registration = _summary_query(person)
    query = query.where(registration.status.in_(ACTIVE), Masterclass.starts_at > now)
    rows = await paginate_select(session, query, page, _per_page(per_page))
    return rows.map(_summary)


async def organised_by(
    session: AsyncSession,
    person: Person,
    now: datetime,
    page: int = 1,
    per_page: int = 5,
    *,
    past: bool = False,
) -> Page[MasterclassSummary]:
    """The masterclasses the person may manage: upcoming nearest first, or (`past`) those
    started already, latest first. Each with registered / capacity / waiting."""
    query, _ = _summary_query(person)
    query = query.where(managed_condition(person))
    if past:
        query = (
            query.where(Masterclass.starts_at <= now)
            .order_by(None)
            .order_by(Masterclass.starts_at.desc(), Masterclass.id.desc())
        )
    else:
        query = query.where(Masterclass.starts_at > now)
    rows = await paginate_select(session, query, page, _per_page(per_page))
    return rows.map(_summary)


@dataclass(frozen=True, slots=True)
class MasterclassCard:
    """Everything one masterclass's card shows to this reader."""

    masterclass: Masterclass
    summary: MasterclassSummary
    can_manage: bool
    can_register: bool  # in the audience (open or not: see `registration_open`)
    registration_open: bool


async def card(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> MasterclassCard:
    """Errors: NotFound, AccessDenied (neither in the audience nor its organiser)."""
    masterclass = await loaded(session, masterclass_id)
    places = await places_of(session, person)
    require(person, Action.SEE, masterclass, places)
    query, _ = _summary_query(person)
    row = (await session.execute(query.where(Masterclass.id == masterclass.id))).one()
    can_register = allowed(person, Action.REGISTER, masterclass, places)
    return MasterclassCard(
        masterclass=masterclass,
        summary=_summary(row),
        can_manage=may_manage(person, ResolvedAudience.of(masterclass), masterclass.organiser_id),
        can_register=can_register,
        registration_open=masterclass.status == "published"
        and now < masterclass.starts_at
        and now <= masterclass.registration_deadline,
    )


async def my_registration(
    session: AsyncSession, person: Person, masterclass_id: int
) -> MasterclassRegistration | None:
    return await registration_of(session, masterclass_id, person.id)
