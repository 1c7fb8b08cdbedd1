"""«Полезно», «Берём в работу», and «Получилось?» four weeks later.

- `toggle_like`: one like per person; pressing again takes it back. `likes_count` moves
  with the like row in the same transaction, under the practice's row lock, so a double
  tap is two turns (on, off), never a count out of step.
- `adopt`: the person's branch (`access.home_branch`) takes the practice into work, once
  per branch; a second press from the same branch is refused naming who pressed and when.
  `adoptions_count` moves with it; the author is told how many branches adopted it; the
  adopter is asked «Получилось?» `FOLLOWUP_AFTER` later (due work `practice.followup`).
- `answer_followup`: only the adopter, and not before they were asked. **A later answer
  replaces the earlier one** (one answer per adoption is kept, so it counts once): «ещё
  пробуем» is meant to become «да» or «нет». The comment goes with its outcome: a new
  answer with a comment replaces the comment; one without keeps it while the outcome is
  the same (the chat saves the button first and the comment typed after it) and clears
  it when the outcome changes (it was about the other one).

Only published practices are liked or adopted, and not by their own author / branch: that
would count in «most useful» as evidence the practice helped someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local
from bot.services.due_work import DueJob, DueWorkRegistry, plan
from bot.services.errors import AccessDenied, NotFound
from bot.services.mandates.draft import visible
from bot.services.outbox import enqueue
from bot.services.people import Person
from bot.services.practices import notices
from bot.services.practices.access import PUBLISHED, home_branch, require_visible
from bot.services.practices.errors import PracticeError
from bot.services.practices.records import LoadedPractice, load, name_of, origin_of
from bot.services.practices.rules import COMMENT_MAX
from storage.models import Practice, PracticeAdoption, PracticeLike
from storage.statements import rows_changed

FOLLOWUP = "practice.followup"
FOLLOWUP_AFTER = timedelta(days=28)


async def _published(session: AsyncSession, person: Person, practice_id: int) -> LoadedPractice:
    """Locked; refuses what is not in the catalogue (NotFound to those who may not see
    it at all, `not_published` to its author and moderators) and the author's own."""
    loaded = await load(session, practice_id, lock=True)
    practice = loaded.practice
    if practice.status != PUBLISHED:
        require_visible(person, practice, loaded.region_id)
        raise PracticeError("not_published")
    if practice.author_id == person.id:
        raise PracticeError("own_practice")
    return loaded


async def _add_to_count(session: AsyncSession, practice: Practice, column: str, delta: int) -> int:
    """`count = count + delta` in the database (not read-modify-write), the new value back."""
    counter = getattr(Practice, column)
    new = await session.scalar(
        update(Practice)
        .where(Practice.id == practice.id)
        .values({column: counter + delta})
        .returning(counter)
        .execution_options(synchronize_session=False)
    )
    assert new is not None
    setattr(practice, column, new)
    return int(new)


@dataclass(frozen=True, slots=True)
class Liked:
    liked: bool  # the person's like after this press
    likes_count: int


async def toggle_like(
    session: AsyncSession, person: Person, practice_id: int, now: datetime
) -> Liked:
    """Errors: NotFound, `not_published`, `own_practice`."""
    practice = (await _published(session, person, practice_id)).practice
    taken_back = await rows_changed(
        session,
        delete(PracticeLike).where(
            PracticeLike.practice_id == practice.id, PracticeLike.user_id == person.id
        ),
    )
    if taken_back:
        return Liked(False, await _add_to_count(session, practice, "likes_count", -1))
    session.add(PracticeLike(practice_id=practice.id, user_id=person.id, created_at=now))
    await session.flush()
    return Liked(True, await _add_to_count(session, practice, "likes_count", 1))


@dataclass(frozen=True, slots=True)
class Adopted:
    adoption_id: int
    adoptions_count: int
    followup_at: datetime


async def adopt(session: AsyncSession, person: Person, practice_id: int, now: datetime) -> Adopted:
    """Errors: NotFound, `not_published`, `own_practice`, `adopt_no_branch` (the person
    acts for no branch), `own_branch` (the branch it was shared from), `already_adopted`
    (with `adopted_by`, the colleague's name, and `adopted_on`, a date in the person's
    zone)."""
    practice = (await _published(session, person, practice_id)).practice
    branch_id = home_branch(person)
    if branch_id is None:
        raise PracticeError("adopt_no_branch")
    if branch_id == practice.branch_id:
        raise PracticeError("own_branch")
    earlier = await session.scalar(
        select(PracticeAdoption).where(
            PracticeAdoption.practice_id == practice.id, PracticeAdoption.branch_id == branch_id
        )
    )
    if earlier is not None:
        raise PracticeError(
            "already_adopted",
            adopted_by=await name_of(session, earlier.adopted_by),
            adopted_on=local(earlier.adopted_at, person.timezone).strftime("%d.%m.%Y"),
        )
    adoption = PracticeAdoption(
        practice_id=practice.id, branch_id=branch_id, adopted_by=person.id, adopted_at=now
    )
    session.add(adoption)
    await session.flush()
    count = await _add_to_count(session, practice, "adoptions_count", 1)
    followup_at = now + FOLLOWUP_AFTER
    await plan(session, FOLLOWUP, adoption.id, person.id, followup_at, now=now)
    origin = await origin_of(session, branch_id)
    await enqueue(session, now, notices.adopted(practice.author_id, practice, origin, count))
    return Adopted(adoption.id, count, followup_at)


async def ask_followup(session: AsyncSession, job: DueJob, now: datetime) -> None:
    """The `practice.followup` kind: «Получилось?» to the adopter, unless the adoption is
    gone, answered already, or its practice left the catalogue."""
    adoption = await session.get(PracticeAdoption, int(job.subject))
    if adoption is None or adoption.outcome is not None or job.recipient is None:
        return
    if adoption.adopted_by != job.recipient:
        return
    practice = await session.get(Practice, adoption.practice_id)
    if practice is None or practice.status != PUBLISHED:
        return
    await enqueue(session, now, notices.followup(job.recipient, practice, adoption.id))


def register_due_work(registry: DueWorkRegistry) -> None:
    """The practices' one kind; called where the dispatcher is built (`bot/app.py`)."""
    registry.register(FOLLOWUP, ask_followup)


@dataclass(frozen=True, slots=True)
class FollowupAnswer:
    outcome: str
    comment: str | None
    replaced: str | None  # the outcome this answer replaced, None for the first


def _followup_comment(comment: str | None) -> str | None:
    if comment is None:
        return None
    cleaned = visible(comment)
    if len(cleaned) > COMMENT_MAX:
        raise PracticeError("comment_too_long", max=COMMENT_MAX)
    return cleaned or None


async def answer_followup(
    session: AsyncSession,
    person: Person,
    adoption_id: int,
    outcome: str,
    comment: str | None,
    now: datetime,
) -> FollowupAnswer:
    """Errors: NotFound, AccessDenied (not the adopter), `outcome_unknown`,
    `followup_not_yet` (with `on`: the date it is asked), `comment_too_long`."""
    adoption = await session.scalar(
        select(PracticeAdoption)
        .where(PracticeAdoption.id == adoption_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if adoption is None:
        raise NotFound("adoption_not_found")
    if adoption.adopted_by != person.id:
        raise AccessDenied()
    if outcome not in notices.OUTCOMES:
        raise PracticeError("outcome_unknown")
    asked_at = adoption.adopted_at + FOLLOWUP_AFTER
    if now < asked_at:
        on = local(asked_at, person.timezone).strftime("%d.%m.%Y")
        raise PracticeError("followup_not_yet", on=on)
    cleaned = _followup_comment(comment)
    replaced = adoption.outcome
    if cleaned is None and replaced == outcome:
        cleaned = adoption.outcome_comment  # the button again, or the comment step skipped
    adoption.outcome, adoption.outcome_comment, adoption.answered_at = outcome, cleaned, now
    await session.flush()
    return FollowupAnswer(outcome, cleaned, replaced)
