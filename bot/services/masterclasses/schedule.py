"""The masterclasses' timed work, planned and cancelled through the due-work engine.

Kinds (handlers in `reminders`, `checkin`, `feedback`; `reminders.register_due_work`
registers them all):

- `masterclass.day_before` — to each seated person, the day before at a sensible hour of
  *their* zone: the start's own time of day, kept between 10:00 and 19:00 (an 18:30 start
  is reminded at 18:30 the day before, a 09:00 one at 10:00, a 21:00 one at 19:00);
- `masterclass.hour_before` — to each seated person, an hour before the start;
- `masterclass.checkin` — at the start, the check-in code to the organiser;
- `masterclass.feedback` — at the end, the rating request to those marked present.

Rows carry ids only (subject = masterclass id, recipient = the person); each handler
looks the masterclass and the registration up when it runs and stays quiet when they no
longer call for it. A person's reminders are planned when they get a seat (registering or
promoted) and cancelled when they leave it; the event's when it is created; a change of
time re-plans all of them; a cancellation cancels all of them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.services.due_work import cancel, plan, plan_many
from bot.services.masterclasses.notices import ends_at
from bot.services.people import timezones_of
from storage.models import Masterclass, MasterclassRegistration

DAY_BEFORE = "masterclass.day_before"
HOUR_BEFORE = "masterclass.hour_before"
CHECKIN = "masterclass.checkin"
FEEDBACK = "masterclass.feedback"
PERSONAL_KINDS = (DAY_BEFORE, HOUR_BEFORE)
EVENT_KINDS = (CHECKIN, FEEDBACK)

# The day-before reminder's local hours: never at night, never at dawn.
EARLIEST, LATEST = time(10, 0), time(19, 0)


def day_before_at(starts_at: datetime, timezone: str) -> datetime:
    """The day-before reminder's moment (UTC) for a reader in `timezone`."""
    zone = ZoneInfo(timezone)
    start = as_utc(starts_at).astimezone(zone)
    at = min(max(start.time().replace(second=0, microsecond=0, tzinfo=None), EARLIEST), LATEST)
    day = start.date() - timedelta(days=1)
    return as_utc(datetime.combine(day, at, tzinfo=zone))


def hour_before_at(starts_at: datetime) -> datetime:
    return as_utc(starts_at) - timedelta(hours=1)


async def plan_for_people(
    session: AsyncSession, masterclass: Masterclass, user_ids: list[int], now: datetime
) -> None:
    """Both reminders for each of these seated people, those still ahead: one zone query
    and a statement per kind (per 500 people)."""
    if not user_ids:
        return
    zones = await timezones_of(session, user_ids, masterclass.timezone)
    day_before = [
        (masterclass.id, user_id, day_before_at(masterclass.starts_at, zones[user_id]))
        for user_id in user_ids
    ]
    await plan_many(session, DAY_BEFORE, [job for job in day_before if job[2] > now], now=now)
    hour_before = hour_before_at(masterclass.starts_at)
    if hour_before > now:
        jobs = [(masterclass.id, user_id, hour_before) for user_id in user_ids]
        await plan_many(session, HOUR_BEFORE, jobs, now=now)


async def cancel_for_person(session: AsyncSession, masterclass_id: int, user_id: int) -> None:
    for kind in PERSONAL_KINDS:
        await cancel(session, kind, masterclass_id, user_id)


async def plan_event(session: AsyncSession, masterclass: Masterclass, now: datetime) -> None:
    """The check-in code at the start and the feedback request at the end."""
    await plan(session, CHECKIN, masterclass.id, None, max(masterclass.starts_at, now), now=now)
    await plan(session, FEEDBACK, masterclass.id, None, max(ends_at(masterclass), now), now=now)


async def cancel_all(session: AsyncSession, masterclass_id: int) -> None:
    """Everything not done yet about the masterclass, for everyone."""
    for kind in (*PERSONAL_KINDS, *EVENT_KINDS):
        await cancel(session, kind, masterclass_id)


async def replan_all(session: AsyncSession, masterclass: Masterclass, now: datetime) -> None:
    """After a change of time: the old moments cancelled, the new ones planned."""
    await cancel_all(session, masterclass.id)
    await plan_event(session, masterclass, now)
    seated = await session.scalars(
        select(MasterclassRegistration.user_id).where(
            MasterclassRegistration.masterclass_id == masterclass.id,
            MasterclassRegistration.status == "registered",
        )
    )
    await plan_for_people(session, masterclass, list(seated), now)
