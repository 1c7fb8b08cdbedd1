"""What the reminder tests share: a registry with the reminders' kinds, the morning series
started, and the runner driven until nothing more is due."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.due_work import DueWorkRegistry, DueWorkRunner
from bot.services.reminders.kinds import register_due_work, start_series
from storage.db import Database
from storage.models import Consent, OutboxMessage, User
from tests.due_work.helpers import runner
from tests.harness.factories import NOW

ADMIN_ID = 1
GREETING = "Доброе утро"


def reminders_registry(admin_ids: frozenset[int] = frozenset({ADMIN_ID})) -> DueWorkRegistry:
    registry = DueWorkRegistry()
    register_due_work(registry, default_timezone="Europe/Moscow", admin_ids=admin_ids)
    return registry


async def start(database: Database, clock) -> int:
    async with database.transaction() as session:
        return await start_series(session, clock.now(), "Europe/Moscow")


async def run_all(worker: DueWorkRunner) -> int:
    """Ticks until nothing is due: a sweep plans the secretaries' jobs, the next tick runs
    them."""
    total = 0
    for _ in range(10):
        done = await worker.run_due()
        if not done:
            return total
        total += done
    raise AssertionError("due work keeps coming")


def make_runner(database: Database, registry: DueWorkRegistry, clock, name: str = "r"):
    return runner(database, registry, clock, name)


async def messages_to(
    database: Database, chat_id: int, containing: str = ""
) -> list[OutboxMessage]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row for row in rows if containing in row.payload.get("text", "")]


async def mornings(database: Database, chat_id: int) -> list[str]:
    return [m.payload["text"] for m in await messages_to(database, chat_id, GREETING)]


async def add_member(database: Database, branch_id: int, user_id: int) -> None:
    """A member who accepted the consent, so may submit mandates."""
    async with database.transaction() as session:
        session.add(
            User(id=user_id, full_name=f"Участник {user_id}", branch_id=branch_id, created_at=NOW)
        )
        await session.flush()
        session.add(Consent(user_id=user_id, version=1, accepted=True, decided_at=NOW))
