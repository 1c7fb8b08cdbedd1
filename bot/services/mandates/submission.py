"""Saving a submitted mandate: its number from the branch's atomic counter, its deadline,
its attachments (photos with their captions, voice messages), the notice to the
branch's secretaries, and its escalation should it wait too long for a first answer
(`bot.services.reminders.escalation`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.mandates import notices
from bot.services.mandates.access import ActorRole, may_submit_to
from bot.services.mandates.draft import MandateDraft, MandateRules
from bot.services.mandates.lifecycle import UNFINISHED_STATUSES, S
from bot.services.mandates.records import admins_of_region, new_event
from bot.services.outbox import Notice, enqueue
from bot.services.people import Person, curators_of, secretaries_of
from bot.services.reminders.escalation import plan_escalation
from bot.services.working_days import add_working_days, last_day_to_answer
from storage.models import Branch, Mandate, MandateCounter, MandatePhoto, Region
from storage.statements import dialect_insert


async def _next_sequence(session: AsyncSession, branch_id: int, year: int) -> int:
    """The next number in the branch's year, atomically: one upsert that either creates the
    counter at 1 or increments it, returning the new value. The row stays locked until the
    transaction ends (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row lock), so two
    submissions never get the same number, and a rolled-back one leaves no gap."""
    table = MandateCounter.__table__
    statement = dialect_insert(session, table).values(branch_id=branch_id, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.branch_id, table.c.year],
        set_={"last": table.c.last + 1},
    ).returning(table.c.last)
    return int((await session.execute(statement)).scalar_one())


def submission_branch(person: Person) -> int | None:
    """The branch a mandate goes to without asking: a member's own; a secretary's one
    branch (a secretary is a member of the branch she runs). None: there is a choice to
    make (several branches, or an admin), or no branch at all."""
    choices = submission_choices(person)
    if len(choices) == 1 and not person.is_admin:
        return choices[0]
    return None


def submission_choices(person: Person) -> list[int]:
    """The branches the person may submit to by name, without the admin's picker: their
    own first, then those they run, then those they curate."""
    own = [person.branch_id] if person.branch_id is not None else []
    return list(dict.fromkeys([*own, *sorted(person.secretary_of), *sorted(person.curator_of)]))


async def submit_mandate(
    session: AsyncSession,
    person: Person,
    draft: MandateDraft,
    now: datetime,
    rules: MandateRules,
    *,
    admin_ids: frozenset[int] = frozenset(),
    branch_id: int | None = None,
) -> Mandate:
    """Save a member's mandate in their branch and tell the branch's secretaries.

    `branch_id`: the branch chosen by a secretary, curator or admin (`access.may_submit_to`,
    else AccessDenied); without it, the person's own (`submission_branch`).

    A branch without a secretary: its curators get the notice, told that they answer it;
    the admins of its region (`admin_ids`: those of the settings too) are told that the
    branch has no secretary when the first unfinished mandate arrives there, and get every
    one while the branch has no curator either, so nothing waits unseen.

    The draft is validated again (`InvalidInput` as in `draft`). The number is
    `<branch number>/<year>/<4-digit sequence>` (year in the branch's time zone); `due_at` is
    `rules.sla_days` working days later (`working_days.add_working_days`). Errors:
    `mandate_no_branch` when the person is in no branch, `consent_required` without consent.
    """
    target = branch_id if branch_id is not None else submission_branch(person)
    if target is None:
        raise DomainError("mandate_no_branch")
    if not person.consent_given:
        raise DomainError("consent_required")
    clean = draft.validated(rules)
    found = (
        await session.execute(
            select(Branch.number, Branch.name, Branch.region_id, Region.timezone)
            .join(Region, Region.id == Branch.region_id)
            .where(Branch.id == target)
        )
    ).one_or_none()
    if found is None:
        raise NotFound("branch_not_found")
    branch_number, branch_name, region_id, timezone = found
    if not may_submit_to(person, target, region_id):
        raise AccessDenied()
    year = local(now, timezone).year
    sequence = await _next_sequence(session, target, year)
    mandate = Mandate(
        number=f"{branch_number}/{year}/{sequence:04d}",
        branch_id=target,
        author_id=person.id,
        category=clean.category,
        text=clean.text,
        address=clean.address,
        latitude=clean.latitude,
        longitude=clean.longitude,
        on_behalf=clean.on_behalf,
        voter_name=clean.voter_name,
        voter_phone=clean.voter_phone,
        status=S.NEW,
        supporters=0,
        created_at=now,
        updated_at=now,
        due_at=add_working_days(now, rules.sla_days, timezone),
    )
    session.add(mandate)
    await session.flush()
    await plan_escalation(session, mandate, rules.escalate_days, timezone, now)
    session.add_all(
        MandatePhoto(
            mandate_id=mandate.id,
            position=i,
            file_id=file_id,
            kind="photo",
            caption=clean.captions.get(file_id),
        )
        for i, file_id in enumerate(clean.photos)
    )
    session.add_all(
        MandatePhoto(
            mandate_id=mandate.id, position=len(clean.photos) + i, file_id=file_id, kind="voice"
        )
        for i, file_id in enumerate(clean.voices)
    )
    session.add(new_event(mandate, person, ActorRole.AUTHOR, "submitted", now, to_status=S.NEW))
    last_day = last_day_to_answer(mandate.due_at, timezone).strftime("%d.%m.%Y")
    photos = len(clean.photos)
    secretaries = await secretaries_of(session, mandate.branch_id)
    if secretaries:
        owed = [
            notices.new_mandate(c, mandate, photos, last_day, voices=len(clean.voices))
            for c in secretaries
        ]
    else:
        owed = await _without_secretary(
            session, mandate, photos, last_day, (branch_number, branch_name, region_id), admin_ids
        )
    await enqueue(session, now, *owed)
    return mandate


async def _without_secretary(
    session: AsyncSession,
    mandate: Mandate,
    photos: int,
    last_day: str,
    branch: tuple[str, str, int],
    admin_ids: frozenset[int],
) -> list[Notice]:
    number, name, region_id = branch
    curators = await curators_of(session, mandate.branch_id)
    owed = [notices.new_mandate(c, mandate, photos, last_day, standing_in=True) for c in curators]
    others = await session.scalar(
        select(Mandate.id)
        .where(
            Mandate.branch_id == mandate.branch_id,
            Mandate.id != mandate.id,
            Mandate.status.in_(sorted(UNFINISHED_STATUSES)),
        )
        .limit(1)
    )
    if curators and others is not None:
        return owed  # the admins were told with the first one
    for admin in await admins_of_region(session, region_id, admin_ids):
        if admin not in curators:
            owed.append(
                notices.new_mandate(
                    admin,
                    mandate,
                    photos,
                    last_day,
                    no_secretary=(number, name, len(curators)),
                )
            )
    return owed
