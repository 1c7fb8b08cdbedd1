"""How a duty is done: per occurrence, who was reminded, who marked it done, who did not;
and the same as an `.xlsx`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc, local
from bot.services.duties.schedule import occurrence_label
from bot.services.mandates.workbook import build_workbook
from storage.models import Duty, DutyMark, DutyOccurrence, User


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    name: str
    sent_at: datetime
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class OccurrenceReport:
    occurrence_id: int
    wall: str  # «YYYY-MM-DDTHH:MM», the rule's local moment
    label: str  # «ноябрь 2026», «23.11.2026»
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.recipients)

    @property
    def done(self) -> int:
        return sum(1 for r in self.recipients if r.done_at is not None)

    @property
    def missing(self) -> list[Recipient]:
        return [r for r in self.recipients if r.done_at is None]


async def completion(session: AsyncSession, duty: Duty) -> list[OccurrenceReport]:
    """Every occurrence of the duty, the newest first, with its recipients by name."""
    occurrences = list(
        await session.execute(
            select(DutyOccurrence.id, DutyOccurrence.wall)
            .where(DutyOccurrence.duty_id == duty.id)
            .order_by(DutyOccurrence.wall.desc())
        )
    )
    marks = await session.execute(
        select(
            DutyMark.occurrence_id,
            DutyMark.user_id,
            User.full_name,
            DutyMark.sent_at,
            DutyMark.done_at,
        )
        .join(DutyOccurrence, DutyOccurrence.id == DutyMark.occurrence_id)
        .outerjoin(User, User.id == DutyMark.user_id)
        .where(DutyOccurrence.duty_id == duty.id)
        .order_by(User.full_name, DutyMark.user_id)
    )
    by_occurrence: dict[int, list[Recipient]] = {}
    for occurrence_id, user_id, name, sent_at, done_at in marks:
        by_occurrence.setdefault(occurrence_id, []).append(
            Recipient(
                user_id,
                name or str(user_id),
                as_utc(sent_at),
                as_utc(done_at) if done_at else None,
            )
        )
    return [
        OccurrenceReport(i, wall, occurrence_label(duty.kind, wall), by_occurrence.get(i, []))
        for i, wall in occurrences
    ]


SUMMARY = ("Сводка", ["Срок", "Сделали", "Всего", "Доля, %"], [16, 10, 10, 10])
MARKS = ("Отметки", ["Срок", "Кто", "Напомнено", "Сделано"], [16, 32, 18, 18])


def workbook(reports: list[OccurrenceReport], zone: str) -> bytes:
    """The duty's completion as an `.xlsx`: a summary sheet, and a sheet of every mark
    (times in `zone`, the admin's)."""

    def moment(value: datetime | None) -> str:
        return local(value, zone).strftime("%d.%m.%Y %H:%M") if value else ""

    summary = [
        [r.label, r.done, r.total, round(100 * r.done / r.total) if r.total else 0] for r in reports
    ]
    marks = [
        [r.label, p.name, moment(p.sent_at), moment(p.done_at)]
        for r in reports
        for p in r.recipients
    ]
    return build_workbook((SUMMARY, MARKS), summary, marks, freeze_header=True)
