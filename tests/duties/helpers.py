"""What the duty tests share: a registry with the duties' kinds, a duty made by the admin,
the runner driven until nothing more is due, and the reminders each person got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.services.due_work import DueWorkRegistry, DueWorkRunner
from bot.services.duties import delivery, records, schedule
from bot.services.people import Person
from storage.db import Database
from storage.models import Duty, OutboxMessage
from tests.due_work.helpers import runner
from tests.mandates.helpers import buttons

ADMIN_ID = 1
# The admin of everything, as the services see the one making a change.
ADMIN = Person(
    id=ADMIN_ID,
    full_name="Алексей",
    branch_id=None,
    secretary_of=frozenset(),
    curator_of=frozenset(),
    is_admin=True,
    admin_regions=frozenset(),
    consent_given=True,
    timezone="Europe/Moscow",
)
MARK = "📌"


def duties_registry() -> DueWorkRegistry:
    registry = DueWorkRegistry()
    delivery.register_due_work(registry, default_timezone="Europe/Moscow")
    return registry


async def make_duty(
    database: Database,
    now: datetime,
    kind: str,
    typed: str,
    text: str = "Сдайте отчёт о работе отделения",
    target: records.Target | None = None,
) -> Duty:
    rule = schedule.parse(schedule.Kind(kind), typed, now, "Europe/Moscow")
    async with database.transaction() as session:
        return await records.create_duty(
            session, now, ADMIN, target or records.Target("secretary"), rule, text
        )


async def run_all(worker: DueWorkRunner) -> int:
    total = 0
    for _ in range(10):
        done = await worker.run_due()
        if not done:
            return total
        total += done
    raise AssertionError("due work keeps coming")


def make_runner(database: Database, registry: DueWorkRegistry, clock, name: str = "r"):
    return runner(database, registry, clock, name)


async def reminders_to(database: Database, chat_id: int) -> list[OutboxMessage]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row for row in rows if MARK in row.payload.get("text", "")]


async def reminded(database: Database, *people: int) -> dict[int, int]:
    return {person: len(await reminders_to(database, person)) for person in people}


def occurrence_of(message: OutboxMessage) -> int:
    """The occurrence id in the reminder's «✅ Сделано» button."""
    return int(buttons(message)[0].rsplit(":", 1)[1])


async def deliver(bot, database: Database, clock) -> None:
    """Send what the outbox holds through the bot (the recording session), so the people
    see their reminders in the chat and press the buttons under them."""
    from bot.delivery import OutboxSender
    from bot.services.outbox import QuietHours

    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    for _ in range(5):
        await sender.send_due()
        clock.advance(seconds=1)
