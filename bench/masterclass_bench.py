"""Masterclasses: many people pressing «Записаться» on one masterclass at once, and the
day-before reminders for a big one planned and run through the due-work engine.

Both run on a migrated SQLite file with the services the chat flows will call
(`bot.services.masterclasses`), without the dispatcher: what is measured is the
registration's own transaction and the engine's, not aiogram.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench import Result, bench_settings, count_statements, migrated_database, percentiles
from bot.clock import SystemClock
from bot.services.due_work import DueWorkRegistry, DueWorkRunner
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses import schedule
from bot.services.masterclasses.audience import Audience, Scope
from bot.services.masterclasses.events import MasterclassDraft, create_masterclass
from bot.services.masterclasses.reminders import register_due_work
from bot.services.people import Person, load_person
from storage.db import Database
from storage.models import (
    Branch,
    Consent,
    LocalBranch,
    Masterclass,
    MasterclassRegistration,
    OutboxMessage,
    Region,
    User,
)
from storage.models.due_work import DueWork

ORGANISER = 1
PEOPLE_FROM = 5_000_000
TIMEZONE = "Europe/Moscow"


class _Clock(SystemClock):
    """The system's clock, or a moment the bench sets (to make reminders due)."""

    def __init__(self) -> None:
        self.moment: datetime | None = None

    def now(self) -> datetime:
        return self.moment or super().now()


async def _seed(database: Database, people: int) -> tuple[int, list[int]]:
    """One branch with `people` members (who gave consent) and its organiser, an admin."""
    now = SystemClock().now()
    ids = [PEOPLE_FROM + n for n in range(people)]
    async with database.transaction() as session:
        region = Region(code="23", name="Краснодарский край", timezone=TIMEZONE)
        session.add(region)
        await session.flush()
        local = LocalBranch(region_id=region.id, name="Краснодарское местное отделение")
        session.add(local)
        await session.flush()
        branch = Branch(region_id=region.id, local_branch_id=local.id, number="20-03", name="округ")
        session.add(branch)
        await session.flush()
        users = [{"id": ORGANISER, "full_name": "Организатор", "branch_id": None}]
        users += [{"id": u, "full_name": f"Участник {u}", "branch_id": branch.id} for u in ids]
        for start in range(0, len(users), 5000):
            chunk = [{**u, "is_reachable": True, "created_at": now} for u in users[start:][:5000]]
            await session.execute(insert(User), chunk)
            await session.execute(
                insert(Consent),
                [{"user_id": u["id"], "version": 1, "accepted": True, "decided_at": now}
                 for u in chunk],
            )  # fmt: skip
    return branch.id, ids


async def _persons(database: Database, ids: list[int]) -> list[Person]:
    async with database.sessions() as session:
        users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
        return [
            await load_person(
                session,
                users[i],
                admin_ids=frozenset({ORGANISER}),
                consent_version=1,
                default_timezone=TIMEZONE,
            )
            for i in ids
        ]


async def _masterclass(
    database: Database, branch_id: int, capacity: int | None, starts_in: timedelta
) -> int:
    [organiser] = await _persons(database, [ORGANISER])
    now = SystemClock().now()
    draft = MasterclassDraft(
        title="Как работать с наказами",
        description="Разбор практик",
        host="Михаил Есаян",
        starts_at=now + starts_in,
        duration_minutes=90,
        audience=Audience(Scope.BRANCH, branch_id),
        place="Краснодар, ул. Красная, 1",
        capacity=capacity,
    )
    async with database.transaction() as session:
        return (await create_masterclass(session, organiser, draft, now)).id


async def bench_rush(people: int, seats: int) -> Result:
    """`people` registering at once for `seats` seats, each in its own transaction, all
    started together under `asyncio.gather` (what `handle_as_tasks=true` does)."""
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        database = await migrated_database(bench_settings(Path(folder)))
        try:
            branch_id, ids = await _seed(database, people + 1)
            warm_up, ids = ids[0], ids[1:]
            masterclass_id = await _masterclass(database, branch_id, seats + 1, timedelta(days=3))
            persons = await _persons(database, [warm_up, *ids])
            clock = SystemClock()
            async with database.transaction() as session:  # the first use of each path
                await reg.register(session, persons.pop(0), masterclass_id, clock.now())
            latencies: list[float] = []

            async def press(who: Person) -> reg.Registered:
                began = time.perf_counter()
                async with database.transaction() as session:
                    result = await reg.register(session, who, masterclass_id, clock.now())
                latencies.append(time.perf_counter() - began)
                return result

            statements = count_statements(database)
            started = time.perf_counter()
            results = await asyncio.gather(*(press(who) for who in persons))
            seconds = time.perf_counter() - started
            async with database.sessions() as session:
                rows = (
                    await session.execute(
                        select(MasterclassRegistration.status, MasterclassRegistration.queue_number)
                        .where(MasterclassRegistration.masterclass_id == masterclass_id)
                        .where(MasterclassRegistration.user_id != warm_up)
                    )
                ).all()
                taken = await session.scalar(
                    select(Masterclass.seats_taken).where(Masterclass.id == masterclass_id)
                )
        finally:
            await database.dispose()
    seated = sum(status == "registered" for status, _ in rows)
    queue = sorted(number for status, number in rows if status == "waiting")
    places = sorted(r.place for r in results if not r.seated and r.place is not None)
    in_order = queue == list(range(1, people - seats + 1)) and places == queue
    notes = [
        f"{seated}/{seats} seated (counter {taken - 1 if taken else taken})",
        f"{len(queue):,} queued, " + ("numbers 1..n, places match" if in_order else "QUEUE BROKEN"),
        f"{statements[0] / people:.1f} SQL statements each",
        f"{percentiles(latencies)} each (waiting for the others)",
    ]
    name = f"masterclass: {people:,} register at once for {seats} seats"
    return Result(name, people, seconds, "; ".join(notes))


async def bench_reminders(registrations: int) -> list[Result]:
    """Day-before reminders of a masterclass with `registrations` seated people: planned
    (`schedule.plan_for_people`, 500 people a transaction, as promotions plan them), then
    run by the real `DueWorkRunner` until none is left, one transaction per reminder."""
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        database = await migrated_database(bench_settings(Path(folder)))
        try:
            branch_id, ids = await _seed(database, registrations)
            masterclass_id = await _masterclass(database, branch_id, None, timedelta(days=3))
            now = SystemClock().now()
            async with database.transaction() as session:
                await session.execute(
                    insert(MasterclassRegistration),
                    [{"masterclass_id": masterclass_id, "user_id": u, "status": "registered",
                      "attended": False, "ics_sequence": 0, "created_at": now,
                      "updated_at": now, "seated_at": now} for u in ids],
                )  # fmt: skip
            started = time.perf_counter()
            for start in range(0, len(ids), 500):
                async with database.transaction() as session:
                    masterclass = await session.get(Masterclass, masterclass_id)
                    assert masterclass is not None
                    await schedule.plan_for_people(session, masterclass, ids[start:][:500], now)
            planned_in = time.perf_counter() - started
            async with database.sessions() as session:
                masterclass = await session.get(Masterclass, masterclass_id)
                assert masterclass is not None
                due_at = schedule.day_before_at(masterclass.starts_at, TIMEZONE)
                planned = await session.scalar(
                    select(func.count()).where(DueWork.kind == schedule.DAY_BEFORE)
                )

            registry = DueWorkRegistry()
            register_due_work(registry)
            clock = _Clock()
            clock.moment = due_at
            runner = DueWorkRunner(database, registry, clock, worker_id="bench")
            statements = count_statements(database)
            started = time.perf_counter()
            done = 0
            while ran := await runner.run_due():
                done += ran
            run_in = time.perf_counter() - started
            async with database.sessions() as session:
                queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        finally:
            await database.dispose()
    return [
        Result(
            f"masterclass: plan day-before + hour-before for {registrations:,}",
            registrations,
            planned_in,
            f"{planned:,} day-before rows planned, 500 people a transaction",
        ),
        Result(
            f"masterclass: run {registrations:,} day-before reminders",
            done,
            run_in,
            f"{queued:,} notices queued; {statements[0] / max(done, 1):.1f} SQL statements "
            f"per reminder; {runner.batch_size} claimed at a time",
        ),
    ]


async def run(people: int, seats: int, reminders: int) -> list[Result]:
    results: list[Result] = []
    if people:
        results.append(await bench_rush(people, seats))
    if reminders:
        results += await bench_reminders(reminders)
    return results
