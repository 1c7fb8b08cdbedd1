"""The secretary's morning message: every Russian working morning at 09:00 local time.

Design: one recurring sweep per time zone, fanned out into one job per secretary and day.

- `MORNING_SWEEP` is a recurring kind (``FREQ=DAILY;BYHOUR=9;BYMINUTE=0``) whose subject
  is an IANA zone: the engine runs it at 09:00 of that zone and plans the next morning
  when it is done, across restarts. `ensure_morning_sweeps` starts the series of every
  zone secretaries live in; it is idempotent (the next 09:00 is the row's key) and runs at
  startup and in every sweep, so a secretary appointed later — even in a zone new to the
  bot — is found by the next sweep of her zone with no hook where roles are granted.
- The sweep does nothing on a day off (weekends, public holidays, moved days off) and plans
  a working Saturday like any working day: `working_days.is_working_day` of the local
  date. Run late into another local day (the bot was down), it sends nothing: that
  morning has passed, and the engine already planned the next.
- For each secretary of its zone (her zone: `people.timezones_of`, the region of her own
  branch, else of the first branch she runs) with something to say, it plans a `MORNING`
  job: subject the local date, recipient the secretary, due at the sweep's moment. The
  row's unique key makes it once per secretary per day, however often a sweep runs; each
  message is built in its own short transaction, looking at the data as it is then.
- The message covers all the branches she is secretary of: how many mandates wait for a
  first answer, how many of them are overdue, the three most overdue with their numbers
  and working days overdue (as the digest counts them: `working_days_overdue`), a
  button to `/inbox`; and the masterclasses she is registered for that start tomorrow in
  her zone (in addition to their own reminders). Nothing waiting and no masterclass:
  no message. It respects quiet hours and expires at the end of her day. A secretary who
  switched it off in /settings (`preferences.Kind.MORNING`) gets none.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc, local
from bot.services import preferences
from bot.services.due_work import DueJob, Recurrence, plan_many
from bot.services.mandates.lifecycle import MandateStatus
from bot.services.masterclasses.records import REGISTERED
from bot.services.outbox import Button, Notice, enqueue
from bot.services.people import Role, timezones_of
from bot.services.working_days import is_working_day, working_days_overdue
from bot.texts import plural, t
from storage.models import (
    Branch,
    Mandate,
    Masterclass,
    MasterclassRegistration,
    Region,
    RoleAssignment,
)
from storage.models.due_work import DueWork

MORNING_SWEEP = "reminders.morning_sweep"  # subject: a zone; no recipient; recurring
MORNING = "reminders.morning"  # subject: the local date; recipient: the secretary
MORNING_RULE = "FREQ=DAILY;BYHOUR=9;BYMINUTE=0"
WORST = 3
# The callback data of «Открыть входящие»: what `MandateListCb(view="inbox").pack()` makes
# (handlers/callbacks.py), the first page of /inbox.
INBOX_CB = "ml:inbox:1:0:"


async def _zone_is_subject(session: AsyncSession, subject: str, recipient: int | None) -> str:
    return subject


SWEEP_RECURRENCE = Recurrence(MORNING_RULE, _zone_is_subject)


@dataclass(frozen=True, slots=True)
class Overdue:
    number: str
    days: int


@dataclass(frozen=True, slots=True)
class Tomorrow:
    masterclass_id: int
    title: str
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class Morning:
    """What a secretary's morning message says."""

    waiting: int = 0
    overdue: int = 0
    worst: list[Overdue] = field(default_factory=list)
    masterclasses: list[Tomorrow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.waiting and not self.masterclasses


def _secretaries() -> Select[int]:
    return select(RoleAssignment.user_id).where(RoleAssignment.role == Role.SECRETARY).distinct()


async def secretary_zones(session: AsyncSession, default_timezone: str) -> dict[int, str]:
    """Every secretary and her zone."""
    ids = list(await session.scalars(_secretaries()))
    return await timezones_of(session, ids, default_timezone)


async def ensure_morning_sweeps(session: AsyncSession, now: datetime, default_timezone: str) -> int:
    """Start the morning series of every zone secretaries live in; returns how many were
    not planned yet. Idempotent: the next 09:00 of a zone is planned once."""
    zones = sorted(set((await secretary_zones(session, default_timezone)).values()))
    jobs = [(zone, None, SWEEP_RECURRENCE.next_after(now, zone)) for zone in zones]
    return await plan_many(session, MORNING_SWEEP, jobs, now=now)


def _waiting() -> ColumnElement[bool]:
    return and_(Mandate.first_answered_at.is_(None), Mandate.status == MandateStatus.NEW)


def _day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    return as_utc(start), as_utc(start + timedelta(days=1))


async def _with_something(session: AsyncSession, candidates: list[int], now: datetime) -> set[int]:
    """Which of the secretaries may have something to say: a mandate waiting in a branch
    they run, or a masterclass they are registered for starting within two days (the
    message itself decides what «tomorrow» is, in their zone)."""
    if not candidates:
        return set()
    with_mandates = await session.scalars(
        select(RoleAssignment.user_id)
        .join(Mandate, Mandate.branch_id == RoleAssignment.branch_id)
        .where(
            RoleAssignment.role == Role.SECRETARY,
            RoleAssignment.user_id.in_(candidates),
            _waiting(),
        )
        .distinct()
    )
    with_masterclasses = await session.scalars(
        select(MasterclassRegistration.user_id)
        .join(Masterclass, Masterclass.id == MasterclassRegistration.masterclass_id)
        .where(
            MasterclassRegistration.user_id.in_(candidates),
            MasterclassRegistration.status == REGISTERED,
            Masterclass.status == "published",
            Masterclass.starts_at > now,
            Masterclass.starts_at < now + timedelta(days=2),
        )
        .distinct()
    )
    return set(with_mandates) | set(with_masterclasses)


async def sweep(session: AsyncSession, job: DueJob, now: datetime, *, default_timezone: str) -> int:
    """The handler of `MORNING_SWEEP`: plans the morning message of each secretary of the
    zone who may have something to say; returns how many."""
    zone = job.subject
    await ensure_morning_sweeps(session, now, default_timezone)
    day = local(job.due_at, zone).date()
    if local(now, zone).date() != day or not is_working_day(day):
        return 0
    zones = await secretary_zones(session, default_timezone)
    here = sorted(s for s, z in zones.items() if z == zone)
    chosen = await _with_something(session, here, now)
    jobs = [(day.isoformat(), secretary, job.due_at) for secretary in sorted(chosen)]
    await plan_many(session, MORNING, jobs, now=now)
    return len(jobs)


async def morning_of(session: AsyncSession, secretary: int, now: datetime, zone: str) -> Morning:
    """What the secretary's message says now: her branches' mandates waiting for a first
    answer, and her masterclasses of tomorrow in `zone`."""
    branches = (
        select(RoleAssignment.branch_id)
        .where(RoleAssignment.user_id == secretary, RoleAssignment.role == Role.SECRETARY)
        .scalar_subquery()
    )
    is_overdue = Mandate.due_at <= now
    waiting, overdue = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(case((is_overdue, 1), else_=0)), 0))
            .select_from(Mandate)
            .where(Mandate.branch_id.in_(branches), _waiting())
        )
    ).one()
    worst_rows = await session.execute(
        select(Mandate.number, Mandate.due_at, Region.timezone)
        .join(Branch, Branch.id == Mandate.branch_id)
        .join(Region, Region.id == Branch.region_id)
        .where(Mandate.branch_id.in_(branches), _waiting(), is_overdue)
        .order_by(Mandate.due_at, Mandate.id)
        .limit(WORST)
    )
    worst = [
        Overdue(
            number,
            working_days_overdue(as_utc(due), now, branch_zone),
        )
        for number, due, branch_zone in worst_rows
    ]
    start, end = _day_bounds(local(now, zone).date() + timedelta(days=1), zone)
    masterclasses = await session.execute(
        select(Masterclass.id, Masterclass.title, Masterclass.starts_at)
        .join(MasterclassRegistration, MasterclassRegistration.masterclass_id == Masterclass.id)
        .where(
            MasterclassRegistration.user_id == secretary,
            MasterclassRegistration.status == REGISTERED,
            Masterclass.status == "published",
            and_(Masterclass.starts_at >= start, Masterclass.starts_at < end),
        )
        .order_by(Masterclass.starts_at, Masterclass.id)
    )
    return Morning(
        waiting=int(waiting),
        overdue=int(overdue),
        worst=worst,
        masterclasses=[Tomorrow(i, title, as_utc(at)) for i, title, at in masterclasses],
    )


def morning_notice(chat_id: int, morning: Morning, zone: str, now: datetime) -> Notice:
    lines = [t("reminders.morning.title")]
    buttons: list[list[Button]] = []
    if morning.waiting:
        lines += [
            "",
            t("reminders.morning.waiting", waiting=plural(morning.waiting, "plural.mandate")),
        ]
        if morning.overdue:
            lines.append(
                t("reminders.morning.overdue", overdue=plural(morning.overdue, "plural.mandate"))
            )
        else:
            lines.append(t("reminders.morning.none_overdue"))
        if morning.worst:
            lines += ["", t("reminders.morning.worst_title")]
            lines += [
                t(
                    "reminders.morning.worst_line",
                    number=html.escape(m.number),
                    days=plural(m.days, "plural.working_day"),
                )
                for m in morning.worst
            ]
        buttons.append([Button(t("reminders.button.inbox"), INBOX_CB)])
    if morning.masterclasses:
        title = (
            "masterclasses_title" if len(morning.masterclasses) == 1 else "masterclasses_title_many"
        )
        lines += ["", t(f"reminders.morning.{title}")]
        lines += [
            t(
                "reminders.morning.masterclass_line",
                when=local(m.starts_at, zone).strftime("%H:%M"),
                title=html.escape(m.title),
            )
            for m in morning.masterclasses
        ]
    _, end_of_day = _day_bounds(local(now, zone).date(), zone)
    return Notice(chat_id, "\n".join(lines), buttons, expires_at=end_of_day)


async def send_morning(
    session: AsyncSession, job: DueJob, now: datetime, *, default_timezone: str
) -> bool:
    """The handler of `MORNING`; True when a message was queued."""
    if job.recipient is None:
        return False
    secretary = job.recipient
    if not await preferences.wants(session, secretary, preferences.Kind.MORNING):
        return False  # switched off in /settings
    zone = (await timezones_of(session, [secretary], default_timezone))[secretary]
    if local(now, zone).date().isoformat() != job.subject:
        return False  # late into another day of hers: that morning has passed
    other = await session.scalar(
        select(DueWork.id).where(
            DueWork.kind == MORNING,
            DueWork.subject == job.subject,
            DueWork.recipient_id == secretary,
            DueWork.id != job.id,
            DueWork.status == "done",
        )
    )
    if other is not None:
        return False  # planned by the sweeps of two zones (she moved): sent already
    morning = await morning_of(session, secretary, now, zone)
    if morning.empty:
        return False
    await enqueue(session, now, morning_notice(secretary, morning, zone, now))
    return True
