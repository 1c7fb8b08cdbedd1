"""A moderator's decisions, and what waits for them.

- `publish` / `return_for_rework` (the comment is required and reaches the author): only
  the curators of the practice's branch and the admins of its region (else AccessDenied).
  The decision is a compare-and-set `UPDATE … WHERE status = 'moderation'`: of two
  moderators pressing at once one changes the row; the other is refused with
  `already_decided`, naming who decided (`decided_by`) and what (`outcome`), and nothing
  of theirs is written. The same refusal meets a stale button on a decided practice.
- Publishing puts the practice into the search index (`search.index_practice`) in the
  same transaction, so the catalogue and the index never disagree.
- `waiting_for`: what waits for this moderator, oldest first, a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.mandates.draft import visible
from bot.services.outbox import enqueue
from bot.services.paging import Page, paginate_select
from bot.services.people import Person
from bot.services.practices import notices
from bot.services.practices.access import (
    MODERATION,
    PUBLISHED,
    RETURNED,
    moderation_condition,
    moderator_role,
    require_moderator,
)
from bot.services.practices.errors import PracticeError
from bot.services.practices.records import LoadedPractice, event, load, name_of
from bot.services.practices.rules import COMMENT_MAX
from bot.services.practices.search import index_practice
from bot.texts import t
from storage.models import Branch, Practice
from storage.statements import rows_changed

PER_PAGE_MAX = 50


async def _already_decided(session: AsyncSession, practice: Practice) -> PracticeError:
    """The refusal for the moderator who came second, read fresh from the database."""
    await session.refresh(practice)
    return PracticeError(
        "already_decided",
        decided_by=await name_of(session, practice.moderated_by),
        outcome=t(f"practices.outcome_decided.{practice.status}"),
        status=practice.status,
    )


async def require_undecided(session: AsyncSession, person: Person, practice_id: int) -> Practice:
    """Before asking a moderator for the comment of a return: the practice, if it still
    waits and is theirs to decide. Errors: NotFound, AccessDenied, `already_decided`."""
    loaded = await load(session, practice_id)
    require_moderator(person, loaded.practice.branch_id, loaded.region_id)
    if loaded.practice.status != MODERATION:
        raise await _already_decided(session, loaded.practice)
    return loaded.practice


async def _decide(
    session: AsyncSession,
    person: Person,
    practice_id: int,
    now: datetime,
    status: str,
    **values: object,
) -> LoadedPractice:
    """Access, then the compare-and-set from `moderation` to `status`."""
    loaded = await load(session, practice_id)
    practice = loaded.practice
    require_moderator(person, practice.branch_id, loaded.region_id)
    if practice.status != MODERATION:
        raise await _already_decided(session, practice)
    changed = await rows_changed(
        session,
        update(Practice)
        .where(Practice.id == practice.id, Practice.status == MODERATION)
        .values(status=status, moderated_by=person.id, moderated_at=now, updated_at=now, **values)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise await _already_decided(session, practice)
    await session.refresh(practice)
    return loaded


async def publish(
    session: AsyncSession, person: Person, practice_id: int, now: datetime
) -> Practice:
    """Errors: NotFound, AccessDenied, `already_decided` (`decided_by`, `outcome`)."""
    loaded = await _decide(session, person, practice_id, now, PUBLISHED, published_at=now)
    practice = loaded.practice
    role = moderator_role(person, practice.branch_id)
    session.add(event(practice, person.id, role, "published", now))
    await index_practice(session, practice)
    await enqueue(session, now, notices.published(practice.author_id, practice))
    return practice


def validate_comment(text: str | None) -> str:
    """The moderator's «что доработать». Errors: `comment_required` (empty, or spaces
    only), `comment_too_long` (with `max`)."""
    cleaned = visible(text or "")
    if not cleaned:
        raise PracticeError("comment_required")
    if len(cleaned) > COMMENT_MAX:
        raise PracticeError("comment_too_long", max=COMMENT_MAX)
    return cleaned


async def return_for_rework(
    session: AsyncSession, person: Person, practice_id: int, comment: str, now: datetime
) -> Practice:
    """Errors: NotFound, AccessDenied, `comment_required`, `comment_too_long`,
    `already_decided`. The comment is checked before anything is written."""
    cleaned = validate_comment(comment)
    loaded = await _decide(session, person, practice_id, now, RETURNED, return_comment=cleaned)
    practice = loaded.practice
    role = moderator_role(person, practice.branch_id)
    session.add(event(practice, person.id, role, "returned", now, comment=cleaned))
    await enqueue(session, now, notices.returned(practice.author_id, practice, cleaned))
    return practice


@dataclass(frozen=True, slots=True)
class WaitingPractice:
    """One line of `/moderation`."""

    id: int
    title: str
    category: str
    branch_number: str
    branch_name: str
    submitted_at: datetime
    again: bool  # sent again after a return (it has a `return_comment`)


def _waiting(row: Any) -> WaitingPractice:
    return WaitingPractice(
        id=row.id,
        title=row.title,
        category=row.category,
        branch_number=row.number,
        branch_name=row.name,
        submitted_at=row.submitted_at,
        again=row.return_comment is not None,
    )


async def waiting_for(
    session: AsyncSession, person: Person, page: int = 1, per_page: int = 5
) -> Page[WaitingPractice]:
    """Practices in moderation that this person may decide, oldest sent first (a
    practice sent again queues by the time it was sent again)."""
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise PracticeError("per_page_invalid", max=PER_PAGE_MAX)
    query: Any = (
        select(
            Practice.id,
            Practice.title,
            Practice.category,
            Branch.number,
            Branch.name,
            Practice.submitted_at,
            Practice.return_comment,
        )
        .join(Branch, Branch.id == Practice.branch_id)
        .where(Practice.status == MODERATION, moderation_condition(person))
        .order_by(Practice.submitted_at, Practice.id)
    )
    rows = await paginate_select(session, query, page, per_page)
    return rows.map(_waiting)
