"""The day-before and hour-before reminders, and the registration of every masterclass
kind with the due-work engine (`register_due_work`, called where the dispatcher is built).

A reminder's row names the masterclass and the person only; when it runs it looks both up
and says nothing (the job is simply done) if the masterclass was cancelled, its time
moved away from this reminder (a re-planned one is due instead), or the person no longer
holds a seat (a person who moved to another zone keeps the moment planned for the old
one: a reminder an hour off beats none). The day-before one asks «Придёте?» with
«Приду» / «Не смогу» (`mc:come:<id>`, `mc:decline:<id>`; «Не смогу» is
`registration.decline`). A person who switched masterclass reminders off in /settings
(`preferences.Kind.MASTERCLASS`) gets neither; the check-in code and feedback still come.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local
from bot.services import preferences
from bot.services.due_work import DueJob, DueWorkRegistry
from bot.services.masterclasses import notices, schedule
from bot.services.masterclasses.checkin import send_code_at_start
from bot.services.masterclasses.feedback import ask_at_end
from bot.services.masterclasses.records import REGISTERED, registration_of
from bot.services.outbox import enqueue
from bot.services.people import timezones_of
from storage.models import Masterclass


async def _due_for(
    session: AsyncSession, job: DueJob, now: datetime
) -> tuple[Masterclass, str] | None:
    """The masterclass and the recipient's zone, if the reminder is still wanted."""
    if job.recipient is None:
        return None
    if not await preferences.wants(session, job.recipient, preferences.Kind.MASTERCLASS):
        return None  # switched off in /settings
    masterclass = await session.get(Masterclass, int(job.subject))
    if masterclass is None or masterclass.status != "published" or now >= masterclass.starts_at:
        return None
    registration = await registration_of(session, masterclass.id, job.recipient)
    if registration is None or registration.status != REGISTERED:
        return None
    zones = await timezones_of(session, [job.recipient], masterclass.timezone)
    return masterclass, zones[job.recipient]


async def remind_day_before(session: AsyncSession, job: DueJob, now: datetime) -> None:
    found = await _due_for(session, job, now)
    if found is None:
        return
    masterclass, zone = found
    if not timedelta(0) < masterclass.starts_at - job.due_at <= timedelta(days=2):
        return  # planned for an old time (a change of time re-plans; this is a leftover)
    if local(now, zone).date() >= local(masterclass.starts_at, zone).date():
        return  # run late (the bot was down): «завтра» would be wrong; the hour-before comes
    assert job.recipient is not None
    await enqueue(session, now, notices.day_before(job.recipient, masterclass, zone))


async def remind_hour_before(session: AsyncSession, job: DueJob, now: datetime) -> None:
    found = await _due_for(session, job, now)
    if found is None:
        return
    masterclass, zone = found
    if job.due_at != schedule.hour_before_at(masterclass.starts_at):
        return
    assert job.recipient is not None
    await enqueue(session, now, notices.hour_before(job.recipient, masterclass, zone))


def register_due_work(registry: DueWorkRegistry) -> None:
    """Every masterclass kind; one call where the dispatcher is built (`bot/app.py`)."""
    registry.register(schedule.DAY_BEFORE, remind_day_before)
    registry.register(schedule.HOUR_BEFORE, remind_hour_before)
    registry.register(schedule.CHECKIN, send_code_at_start)
    registry.register(schedule.FEEDBACK, ask_at_end)
