"""What the due-work tests share: a registry with a kind that queues a notice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.services.due_work import DueJob, DueWorkRegistry, DueWorkRunner
from bot.services.outbox import Notice, enqueue
from storage.db import Database
from storage.models import OutboxMessage
from storage.models.due_work import DueWork

REMIND = "test.remind"


class Recorder:
    """A handler that queues one notice per job and counts the jobs it ran."""

    def __init__(self) -> None:
        self.runs: Counter[int] = Counter()

    async def __call__(self, session, job: DueJob, now) -> None:
        self.runs[job.id] += 1
        await enqueue(session, now, Notice(chat_id=job.recipient or 0, text=f"about {job.subject}"))


def registry_with(recorder: Recorder) -> DueWorkRegistry:
    registry = DueWorkRegistry()
    registry.register(REMIND, recorder)
    return registry


def runner(database: Database, registry: DueWorkRegistry, clock, name: str, **options):
    return DueWorkRunner(database, registry, clock, worker_id=name, **options)


async def due_rows(database: Database) -> list[DueWork]:
    async with database.transaction() as session:
        return list(await session.scalars(select(DueWork).order_by(DueWork.due_at, DueWork.id)))


async def notices(database: Database) -> list[tuple[int, str]]:
    async with database.transaction() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.chat_id, row.payload["text"]) for row in rows]
