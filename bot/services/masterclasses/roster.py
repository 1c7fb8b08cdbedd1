"""The organiser's list of people: seated ones in the order they got their seat, then the
queue in order, each with their branch; those who left come last. And its `.xlsx`, written
by `mandates.workbook` (XlsxWriter, in a child process) like the mandates export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.mandates.workbook import build_workbook, off_process
from bot.services.masterclasses.access import require_manage
from bot.services.masterclasses.records import (
    ACTIVE,
    CANCELLED,
    DECLINED,
    REGISTERED,
    WAITING,
    loaded,
)
from bot.services.paging import Page, paginate
from bot.services.people import Person
from bot.texts import t
from storage.models import Branch, MasterclassRegistration, User

_ORDER = {REGISTERED: 0, WAITING: 1, DECLINED: 2, CANCELLED: 3}


@dataclass(frozen=True, slots=True)
class RosterLine:
    """One person. `place`: 1-based place in the queue while waiting. Raw texts: escape."""

    user_id: int
    full_name: str
    branch_number: str | None
    branch_name: str | None
    status: str
    place: int | None
    registered_at: datetime
    attended: bool
    rating: int | None
    comment: str | None


async def roster(
    session: AsyncSession, person: Person, masterclass_id: int, *, everyone: bool = False
) -> list[RosterLine]:
    """Seated, then waiting (or, with `everyone`, also those who cancelled or declined).
    Errors: NotFound, AccessDenied."""
    masterclass = await loaded(session, masterclass_id)
    require_manage(person, masterclass)
    order = case(_ORDER, value=MasterclassRegistration.status)
    query = (
        select(
            MasterclassRegistration,
            User.full_name,
            Branch.number,
            Branch.name,
        )
        .join(User, User.id == MasterclassRegistration.user_id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(MasterclassRegistration.masterclass_id == masterclass.id)
        .order_by(
            order,
            MasterclassRegistration.seated_at,
            MasterclassRegistration.queue_number,
            MasterclassRegistration.id,
        )
    )
    if not everyone:
        query = query.where(MasterclassRegistration.status.in_(ACTIVE))
    lines = []
    place = 0
    for registration, full_name, number, name in (await session.execute(query)).all():
        if registration.status == WAITING:
            place += 1
        lines.append(
            RosterLine(
                user_id=registration.user_id,
                full_name=full_name,
                branch_number=number,
                branch_name=name,
                status=registration.status,
                place=place if registration.status == WAITING else None,
                registered_at=registration.created_at,
                attended=registration.attended,
                rating=registration.rating,
                comment=registration.comment,
            )
        )
    return lines


async def roster_page(
    session: AsyncSession, person: Person, masterclass_id: int, page: int, per_page: int = 20
) -> Page[RosterLine]:
    """A page of `roster` for the chat (the list is one masterclass's: it fits in memory)."""
    return paginate(await roster(session, person, masterclass_id), page, per_page)


COLUMNS = (
    ("name", 32),
    ("branch", 34),
    ("status", 18),
    ("queue", 14),
    ("registered_at", 18),
    ("attended", 8),
    ("rating", 8),
    ("comment", 50),
)


async def roster_xlsx(
    session: AsyncSession, person: Person, masterclass_id: int, timezone: str
) -> bytes:
    """The whole list (those who left included) as an `.xlsx`, times in `timezone`.
    Errors: NotFound, AccessDenied."""
    lines = await roster(session, person, masterclass_id, everyone=True)
    zone = ZoneInfo(timezone)
    yes, no = t("masterclasses.xlsx.yes"), t("masterclasses.xlsx.no")
    rows = [
        [
            line.full_name,
            f"{line.branch_number} {line.branch_name}" if line.branch_number else None,
            t(f"masterclasses.status.{line.status}"),
            line.place,
            line.registered_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0),
            yes if line.attended else no,
            line.rating,
            line.comment,
        ]
        for line in lines
    ]
    sheet = (
        t("masterclasses.xlsx.sheet"),
        [t(f"masterclasses.xlsx.{key}") for key, _ in COLUMNS],
        [width for _, width in COLUMNS],
    )
    return await off_process(build_workbook, (sheet,), rows)
