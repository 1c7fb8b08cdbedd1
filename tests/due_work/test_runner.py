"""The due-work engine: plan, claim, run once, cancel, survive a crash, retry, race.

Everything runs on the FrozenClock: time passes only when a test moves it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bot.services.due_work import DueWorkRegistry, cancel, plan
from storage.db import Database
from storage.models.due_work import DueWork
from tests.conftest import POSTGRES_URL
from tests.due_work.helpers import REMIND, Recorder, due_rows, notices, registry_with, runner


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def registry(recorder) -> DueWorkRegistry:
    return registry_with(recorder)


async def plan_one(database, clock, subject=7, recipient=100, *, after=timedelta(hours=1)):
    async with database.transaction() as session:
        return await plan(session, REMIND, subject, recipient, clock.now() + after, now=clock.now())


async def test_a_job_planned_is_claimed_and_done_once_when_due(database, clock, registry, recorder):
    await plan_one(database, clock)
    worker = runner(database, registry, clock, "a")

    assert await worker.run_due() == 0  # not due yet
    due = clock.advance(hours=1)
    assert await worker.run_due() == 1
    assert await worker.run_due() == 0
    clock.advance(days=1)
    assert await worker.run_due() == 0

    [row] = await due_rows(database)
    assert (row.status, row.attempts, row.done_at, row.claimed_by) == ("done", 1, due, "a")
    assert list(recorder.runs.values()) == [1]
    assert await notices(database) == [(100, "about 7")]


async def test_planning_the_same_thing_twice_plans_it_once(database, clock):
    moment = clock.now() + timedelta(days=1)
    async with database.transaction() as session:
        assert await plan(session, REMIND, 7, 100, moment) is True
        assert await plan(session, REMIND, "7", 100, moment) is False  # the id as text or int
        assert await plan(session, REMIND, 7, None, moment) is True
        assert await plan(session, REMIND, 7, None, moment) is False  # no recipient: still one
        assert await plan(session, REMIND, 7, 101, moment) is True  # someone else
        assert await plan(session, REMIND, 7, 100, moment + timedelta(hours=1)) is True
    assert len(await due_rows(database)) == 4


async def test_the_unique_key_holds_in_the_database_itself_without_a_recipient(database, clock):
    row = {"kind": REMIND, "subject": "7", "due_at": clock.now(), "not_before": clock.now(),
           "status": "pending", "attempts": 0, "created_at": clock.now()}  # fmt: skip
    async with database.transaction() as session:
        await session.execute(insert(DueWork).values(**row))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await session.execute(insert(DueWork).values(**row))


async def test_a_cancelled_job_does_not_run_and_can_be_planned_again(
    database, clock, registry, recorder
):
    for recipient in (100, 101, 102):
        await plan_one(database, clock, recipient=recipient)
    async with database.transaction() as session:
        assert await cancel(session, REMIND, 7, 100) == 1
        assert await cancel(session, REMIND, 7, 100) == 0
        assert await cancel(session, REMIND, 8) == 0  # another subject
    clock.advance(hours=1)
    assert await runner(database, registry, clock, "a").run_due() == 2
    assert await notices(database) == [(101, "about 7"), (102, "about 7")]

    await plan_one(database, clock, recipient=200)
    await plan_one(database, clock, recipient=201)
    async with database.transaction() as session:
        assert await cancel(session, REMIND, 7) == 2  # everyone's
        # a registration made anew gets its reminder back; a done one is never planned again
        assert await plan(session, REMIND, 7, 200, clock.now() + timedelta(hours=1)) is True
        assert await plan(session, REMIND, 7, 101, clock.now()) is False
    clock.advance(hours=1)
    assert await runner(database, registry, clock, "a").run_due() == 1
    assert [chat for chat, _ in await notices(database)] == [101, 102, 200]
    assert sum(recorder.runs.values()) == 3


async def test_a_job_cancelled_after_its_claim_is_skipped(database, clock, registry, recorder):
    await plan_one(database, clock, after=timedelta(0))
    worker = runner(database, registry, clock, "a")
    [job] = await worker.claim()
    async with database.transaction() as session:
        assert await cancel(session, REMIND, 7, 100) == 1

    assert await worker.execute(job) == "skipped"
    assert not recorder.runs
    assert await notices(database) == []
    assert [row.status for row in await due_rows(database)] == ["cancelled"]


async def test_a_crash_between_claim_and_done_does_the_job_once_after_the_lease(
    database, clock, registry, recorder
):
    await plan_one(database, clock, after=timedelta(0))
    crashed = runner(database, registry, clock, "crashed", lease=timedelta(minutes=5))
    [job] = await crashed.claim()  # ... and the process dies here

    survivor = runner(database, registry, clock, "survivor")
    clock.advance(minutes=4)
    assert await survivor.run_due() == 0  # the lease still holds
    clock.advance(minutes=2)
    assert await survivor.run_due() == 1
    assert await survivor.run_due() == 0

    # the crashed worker's code comes back to finish what it claimed: it is no longer its own
    assert await crashed.execute(job) == "skipped"
    assert list(recorder.runs.values()) == [1]
    assert await notices(database) == [(100, "about 7")]
    [row] = await due_rows(database)
    assert (row.status, row.claimed_by, row.attempts) == ("done", "survivor", 2)


async def test_a_crash_inside_the_handler_undoes_its_notices_and_the_retry_sends_one(
    database, clock, registry
):
    calls = []

    async def crashes_once(session, job, now):
        calls.append(now)
        await registry.get(REMIND).handler(session, job, now)  # queues the notice...
        if len(calls) == 1:
            raise ConnectionError("the database went away")  # ...and never commits it

    registry.register("test.flaky", crashes_once)
    async with database.transaction() as session:
        await plan(session, "test.flaky", 7, 100, clock.now())
    worker = runner(database, registry, clock, "a", backoff=timedelta(minutes=1))

    assert await worker.run_due() == 0
    assert await notices(database) == []
    clock.advance(minutes=1)
    assert await worker.run_due() == 1
    assert await notices(database) == [(100, "about 7")]


async def test_a_failing_handler_is_retried_with_backoff_then_kept_as_failed(
    database, clock, caplog
):
    async def broken(session, job, now):
        raise RuntimeError("the masterclass is gone")

    registry = DueWorkRegistry()
    registry.register("test.broken", broken)
    async with database.transaction() as session:
        await plan(session, "test.broken", 7, 100, clock.now())
    worker = runner(database, registry, clock, "a", max_attempts=4,
                    backoff=timedelta(minutes=1), max_backoff=timedelta(minutes=3))  # fmt: skip

    pauses = []
    for _ in range(3):
        assert await worker.run_due() == 0
        [row] = await due_rows(database)
        assert row.status == "pending"
        assert row.last_error == "RuntimeError: the masterclass is gone"
        pauses.append(row.not_before - clock.now())
        assert await worker.run_due() == 0  # not again before its time
        clock.set(row.not_before)
    assert pauses == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=3)]

    with caplog.at_level(logging.ERROR, logger="bot.services.due_work.runner"):
        assert await worker.run_due() == 0
    [row] = await due_rows(database)
    assert (row.status, row.attempts) == ("failed", 4)
    assert row.last_error == "RuntimeError: the masterclass is gone"
    assert f"due work {row.id} (test.broken about 7) failed for good" in caplog.text
    clock.advance(days=30)
    assert await worker.run_due() == 0  # kept, never run again


async def test_an_unknown_kind_fails_with_a_clear_reason(database, clock, registry):
    async with database.transaction() as session:
        await plan(session, "test.retired", 7, None, clock.now())
    worker = runner(database, registry, clock, "a", max_attempts=1)
    assert await worker.run_due() == 0
    [row] = await due_rows(database)
    assert row.status == "failed"
    assert row.last_error == "UnknownKind: no handler is registered for kind 'test.retired'"


async def test_a_job_whose_runner_keeps_dying_is_failed_not_claimed_forever(
    database, clock, registry, recorder
):
    await plan_one(database, clock, after=timedelta(0))
    for attempt in range(3):
        assert len(await runner(database, registry, clock, f"dies-{attempt}",
                                max_attempts=3).claim()) == 1  # fmt: skip
        clock.advance(minutes=6)
    assert await runner(database, registry, clock, "next", max_attempts=3).run_due() == 0
    [row] = await due_rows(database)
    assert row.status == "failed"
    assert row.last_error == "its runner stopped while running it 3 times (last dies-2)"
    assert not recorder.runs


async def test_two_runners_over_one_database_do_each_job_once(settings, database, clock):
    recorder = Recorder()
    registry = registry_with(recorder)
    async with database.transaction() as session:
        for subject in range(60):
            await plan(session, REMIND, subject, 100 + subject, clock.now())
    other = Database(settings.database_url)  # another process: its own engine and connections
    try:
        workers = [
            runner(database, registry, clock, "a", batch_size=4, max_batches=100),
            runner(other, registry, clock, "b", batch_size=4, max_batches=100),
        ]
        done = await asyncio.gather(*(worker.run_due() for worker in workers))
    finally:
        await other.dispose()

    assert sum(done) == 60
    assert sorted(recorder.runs.values()) == [1] * 60
    assert len(await notices(database)) == 60
    rows = await due_rows(database)
    assert {row.status for row in rows} == {"done"}
    assert {row.attempts for row in rows} == {1}


@pytest.mark.skipif(not POSTGRES_URL, reason="SKIP LOCKED is PostgreSQL's; SQLite has one writer")
async def test_on_postgresql_a_claim_skips_rows_another_connection_holds(
    settings, database, clock, registry
):
    for subject in (1, 2):
        await plan_one(database, clock, subject=subject, after=timedelta(0))
    other = Database(settings.database_url)
    try:
        async with other.transaction() as holding:
            held = await holding.scalar(
                select(DueWork).where(DueWork.subject == "1").with_for_update()
            )
            assert held is not None
            [job] = await runner(database, registry, clock, "a").claim()
            assert job.subject == "2"  # did not wait for the held row, took the free one
    finally:
        await other.dispose()


async def test_the_bots_tick_runs_due_work_and_wakes_the_outbox(dp, database, clock, recording):
    recorder = Recorder()
    dp["due_work"].register(REMIND, recorder)  # what a feature does when the bot is built
    async with database.transaction() as session:
        await plan(session, REMIND, 7, 100, clock.now() + timedelta(minutes=1))
    woken = []
    dp["outbox"].wake = lambda: woken.append(True)

    await dp["tick"].run()
    assert not recorder.runs
    assert len(woken) == 1  # the outbox's own tick job, the safety net
    clock.advance(minutes=1)
    await dp["tick"].run()
    assert list(recorder.runs.values()) == [1]
    assert len(woken) == 3  # and once more by the runner after its commit: sent at once
    assert await dp["outbox"].send_due() == 1
    assert recording.texts_to(100) == ["about 7"]
