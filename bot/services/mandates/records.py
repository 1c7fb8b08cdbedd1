"""Loading a mandate, and the steps every change of one takes: the access check, the
compare-and-set on its status, the history line, who on the branch hears about it.

Shared by `decisions`, `submission` and `similarity`; not called from handlers.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import DomainError, NotFound
from bot.services.mandates import notices
from bot.services.mandates.access import Action, ActorRole, require
from bot.services.people import Person, curators_of, secretaries_of
from storage.models import Branch, Mandate, MandateEvent, Region
from storage.statements import rows_changed


class LoadedMandate(NamedTuple):
    """A mandate with what access checks and display need of its branch."""

    mandate: Mandate
    region_id: int
    timezone: str
    branch_number: str
    branch_name: str


async def load_mandate(session: AsyncSession, mandate_id: int) -> LoadedMandate:
    """Errors: `NotFound("mandate_not_found")`. Access is the caller's to check."""
    row = (
        await session.execute(
            select(Mandate, Branch.region_id, Region.timezone, Branch.number, Branch.name)
            .join(Branch, Branch.id == Mandate.branch_id)
            .join(Region, Region.id == Branch.region_id)
            .where(Mandate.id == mandate_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("mandate_not_found")
    return LoadedMandate(*row)


def require_for(person: Person, action: Action, loaded: LoadedMandate) -> ActorRole:
    m = loaded.mandate
    return require(
        person, action, branch_id=m.branch_id, region_id=loaded.region_id, author_id=m.author_id
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


async def staff_chats(session: AsyncSession, branch_id: int, *also: int | None) -> list[int]:
    """Who hears about a branch's mandates: its secretaries, or its curators when it has no
    secretary yet (so nothing waits unseen), plus anyone named in `also`."""
    chats = await secretaries_of(session, branch_id) or await curators_of(session, branch_id)
    return list(dict.fromkeys([*chats, *(c for c in also if c is not None)]))
