"""Delivering a duty: its occurrences, each recipient's reminder, «Сделано» and «Напомнить
завтра» — all due work (README, «Due work»).

Design: one series per duty, fanned out into one job per recipient and occurrence.

- `OCCURRENCE` (subject: the duty's id, no recipient) is due at the rule's moment in
  `EARLIEST`, the easternmost Russian zone, so it runs before the moment comes anywhere
  in Russia. It records the occurrence (unique per duty and wall-clock moment), plans
  the next one (none after a one-off), resolves the recipients as they are now and plans
  a `REMIND` for each at the same wall-clock moment in their own zone. The engine's
  per-kind `Recurrence` cannot carry a rule per duty, so the handler plans the next one
  itself, in the same transaction: planned once or not at all.
- `REMIND` (subject: the occurrence's id, recipient: the person) makes the person's mark
  (the occurrence's recipients are its marks) and queues the text with «✅ Сделано»
  (`dt:done:<occurrence>`) and «⏰ Напомнить завтра» (`dt:snooze:<occurrence>`). Nothing
  is sent for a paused or deleted duty, nor to a person who has already marked it done.
- «Напомнить завтра» plans another `REMIND` for that person 24 hours later; «Сделано»
  records `done_at` once and cancels a reminder still planned for that person.

The rows' unique keys (due work, occurrence, mark) make all of it once, across restarts
and with runners racing.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc, local
from bot.services.due_work import DueJob, DueWorkRegistry, Recurrence, cancel, plan, plan_many
from bot.services.duties.errors import DutyError
from bot.services.outbox import Button, Notice, enqueue
from bot.services.people import Role, timezones_of
from bot.texts import t
from storage.models import Branch, Duty, DutyMark, DutyOccurrence, Region, RoleAssignment, User
from storage.models.due_work import DueWork
from storage.statements import dialect_insert, rows_changed

OCCURRENCE = "duties.occurrence"  # subject: the duty; no recipient
REMIND = "duties.remind"  # subject: the occurrence; recipient: the person
EARLIEST = "Asia/Kamchatka"
DONE_CB = "dt:done:{occurrence}"
SNOOZE_CB = "dt:snooze:{occurrence}"
SNOOZE = timedelta(days=1)


def is_live(duty: Duty | None) -> bool:
    return duty is not None and not duty.paused and duty.deleted_at is None


def next_occurrence(rule: str, now: datetime) -> datetime | None:
    """When the rule's next occurrence after `now` is due (in `EARLIEST`); None when it
    has no more (a one-off that has passed)."""
    try:
        return Recurrence(rule, EARLIEST).next_after(now, EARLIEST)
    except ValueError:
        return None


async def plan_series(session: AsyncSession, duty: Duty, now: datetime) -> datetime | None:
    """Plan the duty's next occurrence after `now`; None when the rule has no more
    (a one-off that has passed). Idempotent."""
    due_at = next_occurrence(duty.rule, now)
    if due_at is not None:
        await plan(session, OCCURRENCE, duty.id, None, due_at, now=now)
    return due_at


async def cancel_unsent(session: AsyncSession, duty_id: int, keep: set[int] | None = None) -> int:
    """Cancel the duty's reminders planned and not sent yet — those with no mark, so a
    «Напомнить завтра» (whose person has one) stays — except to the people in `keep`.
    Returns how many were cancelled."""
    occurrences = select(cast(DutyOccurrence.id, String)).where(DutyOccurrence.duty_id == duty_id)
    marked = select(DutyMark.id).where(
        cast(DutyMark.occurrence_id, String) == DueWork.subject,
        DutyMark.user_id == DueWork.recipient_id,
    )
    statement = update(DueWork).where(
        DueWork.kind == REMIND,
        DueWork.subject.in_(occurrences),
        DueWork.status.in_(("pending", "running")),
        ~marked.exists(),
    )
    if keep:
        statement = statement.where(DueWork.recipient_id.not_in(sorted(keep)))
    return await rows_changed(
        session, statement.values(status="cancelled", claimed_by=None, claimed_until=None)
    )


async def stop_series(session: AsyncSession, duty_id: int) -> int:
    """Cancel what is planned of the duty: its next occurrence and the reminders not sent
    yet. Returns how many jobs were cancelled."""
    cancelled = await cancel(session, OCCURRENCE, duty_id)
    occurrences = select(cast(DutyOccurrence.id, String)).where(DutyOccurrence.duty_id == duty_id)
    cancelled += await rows_changed(
        session,
        update(DueWork)
        .where(
            DueWork.kind == REMIND,
            DueWork.subject.in_(occurrences),
            DueWork.status.in_(("pending", "running")),
        )
        .values(status="cancelled", claimed_by=None, claimed_until=None),
    )
    return cancelled


async def recipients_of(session: AsyncSession, duty: Duty) -> list[int]:
    """Who holds the duty's role in its scope now, each once."""
    statement = (
        select(RoleAssignment.user_id)
        .join(Branch, Branch.id == RoleAssignment.branch_id)
        .where(RoleAssignment.role == duty.role)
        .distinct()
    )
    if duty.scope == "region":
        statement = statement.where(Branch.region_id == duty.region_id)
    elif duty.scope == "local_branch":
        statement = statement.where(Branch.local_branch_id == duty.local_branch_id)
    elif duty.scope == "branch":
        statement = statement.where(Branch.id == duty.branch_id)
    return sorted(await session.scalars(statement))


async def zones_of(
    session: AsyncSession, role: str, people: Iterable[int], default: str
) -> dict[int, str]:
    """Each recipient's zone: `people.timezones_of` (their home branch, else the first
    branch they are secretary of); a curator with neither takes the zone of the first
    branch they curate."""
    people = list(people)
    zones = await timezones_of(session, people, default)
    if role == Role.CURATOR and people:
        first = (
            select(RoleAssignment.user_id, func.min(RoleAssignment.branch_id).label("branch"))
            .where(RoleAssignment.role == Role.CURATOR, RoleAssignment.user_id.in_(people))
            .group_by(RoleAssignment.user_id)
            .subquery()
        )
        homes = set(
            await session.scalars(
                select(RoleAssignment.user_id).where(
                    RoleAssignment.user_id.in_(people), RoleAssignment.role == Role.SECRETARY
                )
            )
        )
        rows = await session.execute(
            select(first.c.user_id, Region.timezone)
            .join(Branch, Branch.id == first.c.branch)
            .join(Region, Region.id == Branch.region_id)
        )
        members = set(
            await session.scalars(
                select(User.id).where(User.id.in_(people), User.branch_id.is_not(None))
            )
        )
        for user_id, zone in rows:
            if zone and user_id not in homes and user_id not in members:
                zones[user_id] = zone
    return zones


async def run_occurrence(
    session: AsyncSession, job: DueJob, now: datetime, *, default_timezone: str
) -> int:
    """The handler of `OCCURRENCE`; returns how many reminders it planned."""
    duty = await session.get(Duty, int(job.subject))
    if duty is None or not is_live(duty):
        return 0
    await plan_series(session, duty, job.due_at)
    wall = local(job.due_at, EARLIEST).replace(tzinfo=None)
    key = wall.strftime("%Y-%m-%dT%H:%M")
    await session.execute(
        dialect_insert(session, DutyOccurrence)
        .values(duty_id=duty.id, wall=key, created_at=now)
        .on_conflict_do_nothing(index_elements=["duty_id", "wall"])
    )
    occurrence_id = await session.scalar(
        select(DutyOccurrence.id).where(
            DutyOccurrence.duty_id == duty.id, DutyOccurrence.wall == key
        )
    )
    assert occurrence_id is not None
    people = await recipients_of(session, duty)
    zones = await zones_of(session, duty.role, people, default_timezone)
    jobs = [
        (occurrence_id, person, as_utc(wall.replace(tzinfo=ZoneInfo(zones[person]))))
        for person in people
    ]
    await plan_many(session, REMIND, jobs, now=now)
    return len(jobs)


def reminder_notice(chat_id: int, duty: Duty, occurrence_id: int) -> Notice:
    return Notice(
        chat_id,
        t("duties.notice.text", text=html.escape(duty.text)),
        [
            [
                Button(t("duties.button.done"), DONE_CB.format(occurrence=occurrence_id)),
                Button(t("duties.button.snooze"), SNOOZE_CB.format(occurrence=occurrence_id)),
            ]
        ],
    )


async def send_reminder(session: AsyncSession, job: DueJob, now: datetime) -> bool:
    """The handler of `REMIND`; True when a message was queued."""
    if job.recipient is None:
        return False
    occurrence = await session.get(DutyOccurrence, int(job.subject))
    if occurrence is None:
        return False
    duty = await session.get(Duty, occurrence.duty_id)
    if duty is None or not is_live(duty):
        return False
    await session.execute(
        dialect_insert(session, DutyMark)
        .values(occurrence_id=occurrence.id, user_id=job.recipient, sent_at=now, snoozed=0)
        .on_conflict_do_nothing(index_elements=["occurrence_id", "user_id"])
    )
    done_at = await session.scalar(
        select(DutyMark.done_at).where(
            DutyMark.occurrence_id == occurrence.id, DutyMark.user_id == job.recipient
        )
    )
    if done_at is not None:
        return False
    await enqueue(session, now, reminder_notice(job.recipient, duty, occurrence.id))
    return True


async def _mark(session: AsyncSession, occurrence_id: int, user_id: int) -> DutyMark:
    mark = await session.scalar(
        select(DutyMark).where(DutyMark.occurrence_id == occurrence_id, DutyMark.user_id == user_id)
    )
    if mark is None:
        raise DutyError("not_yours")
    return mark


async def _duty_of(session: AsyncSession, occurrence_id: int) -> Duty | None:
    occurrence = await session.get(DutyOccurrence, occurrence_id)
    return await session.get(Duty, occurrence.duty_id) if occurrence else None


async def reminder_text(session: AsyncSession, occurrence_id: int, user_id: int) -> str:
    """The text of the person's reminder of this occurrence, as it was sent (HTML), for
    showing it again with its answer under it. Error: `not_yours`."""
    await _mark(session, occurrence_id, user_id)
    duty = await _duty_of(session, occurrence_id)
    if duty is None:
        raise DutyError("not_yours")
    return reminder_notice(user_id, duty, occurrence_id).text


async def done_at(session: AsyncSession, occurrence_id: int, user_id: int) -> datetime | None:
    """When the person marked the occurrence done (None: not yet). Error: `not_yours`."""
    return (await _mark(session, occurrence_id, user_id)).done_at


async def mark_done(session: AsyncSession, occurrence_id: int, user_id: int, now: datetime) -> bool:
    """«✅ Сделано»: True when recorded now, False when it was already. Errors:
    `not_yours` (no reminder of this occurrence was sent to the person), `not_found` (the
    duty was deleted since: nothing more is recorded for it)."""
    await _mark(session, occurrence_id, user_id)
    duty = await _duty_of(session, occurrence_id)
    if duty is None or duty.deleted_at is not None:
        raise DutyError("not_found")
    changed = await rows_changed(
        session,
        update(DutyMark)
        .where(
            DutyMark.occurrence_id == occurrence_id,
            DutyMark.user_id == user_id,
            DutyMark.done_at.is_(None),
        )
        .values(done_at=now),
    )
    await cancel(session, REMIND, occurrence_id, user_id)
    return changed == 1


async def snooze(
    session: AsyncSession, occurrence_id: int, user_id: int, now: datetime
) -> datetime:
    """«⏰ Напомнить завтра»: the person's reminder again 24 hours from now; returns when.
    Errors: `not_yours`, `already_done`, `duty_stopped` (paused or deleted)."""
    mark = await _mark(session, occurrence_id, user_id)
    if mark.done_at is not None:
        raise DutyError("already_done")
    if not is_live(await _duty_of(session, occurrence_id)):
        raise DutyError("duty_stopped")
    when = as_utc(now).replace(second=0, microsecond=0) + SNOOZE
    await plan(session, REMIND, occurrence_id, user_id, when, now=now)
    mark.snoozed += 1
    return when


def register_due_work(
    registry: DueWorkRegistry, *, default_timezone: str = "Europe/Moscow"
) -> None:
    async def occurrence(session: AsyncSession, job: DueJob, now: datetime) -> None:
        await run_occurrence(session, job, now, default_timezone=default_timezone)

    async def remind(session: AsyncSession, job: DueJob, now: datetime) -> None:
        await send_reminder(session, job, now)

    registry.register(OCCURRENCE, occurrence)
    registry.register(REMIND, remind)
