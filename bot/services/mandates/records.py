"""Loading a mandate, and the steps every change of one takes: the access check, the
compare-and-set on its status, the history line, who on the branch hears about it.

Shared by `decisions`, `submission` and `similarity`; not called from handlers.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Exists, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.services.errors import DomainError, NotFound
from bot.services.mandates import notices
from bot.services.mandates.access import Action, ActorRole, require
from bot.services.people import Person, Role, curators_of, secretaries_of
from storage.models import Branch, Mandate, MandateEvent, Region, RoleAssignment
from storage.statements import rows_changed


class LoadedMandate(NamedTuple):
    """A mandate with what access checks and display need of its branch."""

    mandate: Mandate
    region_id: int
    timezone: str
    branch_number: str
    branch_name: str
    has_secretary: bool  # the branch has one now; if not, its curators stand in


def has_secretary_clause(branch_id: ColumnElement[int] | InstrumentedAttribute[int]) -> Exists:
    """SQL: the branch has a secretary now."""
    return exists().where(
        RoleAssignment.role == Role.SECRETARY, RoleAssignment.branch_id == branch_id
    )


async def load_mandate(session: AsyncSession, mandate_id: int) -> LoadedMandate:
    """Errors: `NotFound("mandate_not_found")`. Access is the caller's to check."""
    row = (
        await session.execute(
            select(
                Mandate,
                Branch.region_id,
                Region.timezone,
                Branch.number,
                Branch.name,
                has_secretary_clause(Mandate.branch_id),
            )
            .join(Branch, Branch.id == Mandate.branch_id)
            .join(Region, Region.id == Branch.region_id)
            .where(Mandate.id == mandate_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("mandate_not_found")
    m, region_id, timezone, number, name, has_secretary = row
    return LoadedMandate(m, region_id, timezone, number, name, bool(has_secretary))


def require_for(person: Person, action: Action, loaded: LoadedMandate) -> ActorRole:
    m = loaded.mandate
    return require(
        person,
        action,
        branch_id=m.branch_id,
        region_id=loaded.region_id,
        author_id=m.author_id,
        has_secretary=loaded.has_secretary,
    )


def not_allowed(mandate: Mandate) -> DomainError:
    return DomainError(
        "transition_not_allowed",
        number=html.escape(mandate.number),
        status=notices.status_name(mandate.status),
    )


async def set_status(session: AsyncSession, mandate: Mandate, **values: object) -> None:
    """Compare-and-set: change the row only if its status is still the one we read, so a
    double tap or two secretaries at once make exactly one change."""
    changed = await rows_changed(
        session,
        update(Mandate)
        .where(Mandate.id == mandate.id, Mandate.status == mandate.status)
        .values(**values)
        .execution_options(synchronize_session="evaluate"),
    )
    if changed != 1:
        await session.refresh(mandate)
        raise not_allowed(mandate)


def new_event(
    mandate: Mandate,
    person: Person | None,
    role: ActorRole,
    action: str,
    now: datetime,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    comment: str | None = None,
    rating: int | None = None,
) -> MandateEvent:
    return MandateEvent(
        mandate_id=mandate.id,
        actor_id=person.id if person else None,
        actor_role=role,
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        rating=rating,
        created_at=now,
    )


async def admins_of_region(
    session: AsyncSession, region_id: int, admin_ids: frozenset[int] = frozenset()
) -> list[int]:
    """Admins who may act in the region: those of the region, those of everything (an
    unscoped assignment) and `ADMIN_IDS` (settings), in that order, each once."""
    rows = await session.scalars(
        select(RoleAssignment.user_id)
        .where(
            RoleAssignment.role == Role.ADMIN,
            (RoleAssignment.region_id == region_id) | RoleAssignment.region_id.is_(None),
        )
        .order_by(RoleAssignment.region_id.is_(None), RoleAssignment.user_id)
    )
    return list(dict.fromkeys([*rows, *sorted(admin_ids)]))


async def who_answers(session: AsyncSession, branch_id: int) -> ActorRole:
    """Who answers the branch's mandates now: its secretary; while it has none, its
    curators; with neither, the admins of its region."""
    if await secretaries_of(session, branch_id):
        return ActorRole.SECRETARY
    if await curators_of(session, branch_id):
        return ActorRole.CURATOR
    return ActorRole.ADMIN


async def staff_chats(session: AsyncSession, branch_id: int, *also: int | None) -> list[int]:
    """Who hears about a branch's mandates: its secretaries, or its curators when it has no
    secretary yet (so nothing waits unseen), plus anyone named in `also`."""
    chats = await secretaries_of(session, branch_id) or await curators_of(session, branch_id)
    return list(dict.fromkeys([*chats, *(c for c in also if c is not None)]))
