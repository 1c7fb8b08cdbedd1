"""The due-work kinds of the secretaries' reminders, registered in one call where the
dispatcher is built (`bot/app.py`), and the start of the morning series at startup. At
startup and in every morning sweep, the escalations missing are planned too
(`escalation.plan_missing_escalations`, idempotent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.due_work import DueJob, DueWorkRegistry
from bot.services.reminders import escalation, morning

ESCALATE_DAYS = 2  # MANDATE_ESCALATE_DAYS' default


def register_due_work(
    registry: DueWorkRegistry,
    *,
    default_timezone: str = "Europe/Moscow",
    admin_ids: frozenset[int] = frozenset(),
    escalate_days: int = ESCALATE_DAYS,
) -> None:
    async def sweep(session: AsyncSession, job: DueJob, now: datetime) -> None:
        await morning.sweep(session, job, now, default_timezone=default_timezone)
        await escalation.plan_missing_escalations(session, escalate_days, now)

    async def send_morning(session: AsyncSession, job: DueJob, now: datetime) -> None:
        await morning.send_morning(session, job, now, default_timezone=default_timezone)

    async def escalate(session: AsyncSession, job: DueJob, now: datetime) -> None:
        await escalation.escalate(session, job, now, admin_ids=admin_ids)

    registry.register(morning.MORNING_SWEEP, sweep, recurrence=morning.SWEEP_RECURRENCE)
    registry.register(morning.MORNING, send_morning)
    registry.register(escalation.ESCALATE, escalate)


async def start_series(
    session: AsyncSession,
    now: datetime,
    default_timezone: str,
    *,
    escalate_days: int = ESCALATE_DAYS,
) -> int:
    """At startup: the morning series of every zone secretaries live in, and the
    escalations missing (both idempotent). Returns how many morning series started."""
    await escalation.plan_missing_escalations(session, escalate_days, now)
    return await morning.ensure_morning_sweeps(session, now, default_timezone)
