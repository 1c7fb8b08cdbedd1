"""The escalation of a mandate left without a first answer.

Planned when the mandate is submitted (`plan_escalation`, in `submit_mandate`'s
transaction): one due-work row of kind `ESCALATE` about the mandate, at 24:00 local time
of the `MANDATE_ESCALATE_DAYS`-th working day after its last day to answer (the Russian
calendar of `working_days`, the branch's zone). Nothing cancels it when the mandate is
answered: the handler looks the mandate up when it runs and does nothing if it was.

**Back-fill** (`plan_missing_escalations`, at startup and in every morning sweep): a
mandate still waiting for a first answer with no escalation row (submitted before
escalations existed, or its row lost) gets one, at the same moment, so it is idempotent;
an escalated one (`escalated_at` set) is left alone.

Once: the engine runs a row once, and the handler first sets `Mandate.escalated_at` by a
compare-and-set (still no first answer, not escalated yet), in the transaction that queues
the notices; a second run, a leftover row or an answer committed meanwhile changes no row
and nothing is sent. The curators of the branch are told (the region's admins when it has
none), with the mandate's number and a button to its card; its secretaries are told to
whom it was handed (or, with nobody to hand it to, only that it is overdue). The notices
respect quiet hours: an escalation at midnight reaches people at the end of their quiet
hours. Whoever switched escalations off in /settings
(`preferences.Kind.ESCALATION`) is not told; the escalation is recorded all the same.
"""

from __future__ import annotations

import html
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.services import preferences
from bot.services.due_work import DueJob, plan, plan_many
from bot.services.mandates.notices import mandate_cb
from bot.services.mandates.records import admins_of_region
from bot.services.outbox import Button, Notice, enqueue
from bot.services.people import curators_of, secretaries_of
from bot.services.working_days import add_working_days, last_day_to_answer
from bot.texts import t
from storage.models import Branch, DueWork, Mandate, Region
from storage.statements import rows_changed

ESCALATE = "mandate.escalate"
_KIND = preferences.Kind.ESCALATION


def escalation_at(due_at: datetime, days: int, timezone: str) -> datetime:
    """24:00 local time of the `days`-th working day after the last day to answer."""
    last_day = last_day_to_answer(due_at, timezone)
    noon = datetime.combine(last_day, time(12), tzinfo=ZoneInfo(timezone))
    return add_working_days(noon, days, timezone)


async def plan_escalation(
    session: AsyncSession, mandate: Mandate, days: int, timezone: str, now: datetime
) -> datetime:
    """Plan the escalation of a just submitted mandate; returns when it is due."""
    due_at = escalation_at(mandate.due_at, days, timezone)
    await plan(session, ESCALATE, mandate.id, None, due_at, now=now)
    return due_at


async def plan_missing_escalations(session: AsyncSession, days: int, now: datetime) -> int:
    """Back-fill: plan the escalation of every mandate still waiting for a first answer
    (and not escalated) that has no escalation row — submitted before escalations existed,
    or its row lost. At the moment `plan_escalation` would have chosen (already past for
    an old mandate: then it runs on the next tick), so the row's unique key makes it
    idempotent: run twice, one row. Returns how many were planned."""
    planned = exists().where(
        DueWork.kind == ESCALATE,
        DueWork.subject == cast(Mandate.id, String),
        DueWork.status != "cancelled",
    )
    rows = await session.execute(
        select(Mandate.id, Mandate.due_at, Region.timezone)
        .join(Branch, Branch.id == Mandate.branch_id)
        .join(Region, Region.id == Branch.region_id)
        .where(Mandate.first_answered_at.is_(None), Mandate.escalated_at.is_(None), ~planned)
    )
    jobs = [
        (mandate_id, None, escalation_at(as_utc(due_at), days, zone))
        for mandate_id, due_at, zone in rows
    ]
    return await plan_many(session, ESCALATE, jobs, now=now)


def _open(mandate_id: int) -> list[list[Button]]:
    return [[Button(t("mandates.button.open"), mandate_cb("open", mandate_id))]]


async def escalate(
    session: AsyncSession, job: DueJob, now: datetime, *, admin_ids: frozenset[int] = frozenset()
) -> bool:
    """The handler of `ESCALATE`; True when the mandate was escalated now."""
    mandate_id = int(job.subject)
    claimed = await rows_changed(
        session,
        update(Mandate)
        .where(
            Mandate.id == mandate_id,
            Mandate.first_answered_at.is_(None),
            Mandate.escalated_at.is_(None),
        )
        .values(escalated_at=now),
    )
    if not claimed:
        return False  # answered, escalated already, or gone
    found = (
        await session.execute(
            select(
                Mandate.number,
                Mandate.branch_id,
                Mandate.due_at,
                Branch.number,
                Branch.region_id,
                Region.timezone,
            )
            .join(Branch, Branch.id == Mandate.branch_id)
            .join(Region, Region.id == Branch.region_id)
            .where(Mandate.id == mandate_id)
        )
    ).one()
    number, branch_id, due_at, branch_number, region_id, zone = found
    last_day = last_day_to_answer(as_utc(due_at), zone).strftime("%d.%m.%Y")
    curators = await curators_of(session, branch_id)
    handed_to = "curator" if curators else "admin"
    curators = curators or await admins_of_region(session, region_id, admin_ids)
    if not curators:
        handed_to = "nobody"  # the secretary must not read that someone else was told
    shown = html.escape(number)
    secretaries = [c for c in await secretaries_of(session, branch_id) if c not in curators]
    told = set(await preferences.wanting(session, [*curators, *secretaries], _KIND))
    owed = [
        Notice(
            chat,
            t(
                "reminders.escalation.to_curators",
                number=shown,
                branch=html.escape(branch_number),
                last_day=last_day,
            ),
            _open(mandate_id),
        )
        for chat in curators
        if chat in told
    ]
    owed += [
        Notice(
            chat,
            t(f"reminders.escalation.to_secretary_{handed_to}", number=shown, last_day=last_day),
            _open(mandate_id),
        )
        for chat in secretaries
        if chat in told
    ]
    await enqueue(session, now, *owed)
    return True
