"""The weekly digest as due work: one series per curator, started by the tick's sweep
(a curator appointed later too), sent once across a restart and a doubled tick, its
chart and workbook uploaded by the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram.methods import SendDocument, SendMessage, SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy import delete, func, select

from bot.delivery import OutboxSender
from bot.services.digest import weekly
from bot.services.due_work import DueWorkRegistry, DueWorkRunner
from bot.services.people import Role, grant_role
from storage.models import DueWork, OutboxFile, OutboxMessage, RoleAssignment
from tests.digest.helpers import NOW, utc
from tests.harness.factories import make_user


def registry() -> DueWorkRegistry:
    registry = DueWorkRegistry()
    weekly.register_due_work(registry)
    return registry


def runner(database, clock, name: str, concurrency: int = 1) -> DueWorkRunner:
    return DueWorkRunner(database, registry(), clock, worker_id=name, concurrency=concurrency)


async def series(database) -> list[tuple[int, object, str]]:
    async with database.reading() as session:
        rows = await session.execute(
            select(DueWork.recipient_id, DueWork.due_at, DueWork.status)
            .where(DueWork.kind == weekly.KIND)
            .order_by(DueWork.recipient_id, DueWork.due_at)
        )
        return [tuple(row) for row in rows]


async def digests_for(database, chat_id: int) -> list[OutboxMessage]:
    async with database.reading() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
        )


async def planned(database, clock) -> None:
    """The sweep on the Sunday before: every curator's first Monday planned."""
    clock.set(NOW - timedelta(days=1))
    await weekly.plan_missing_series(database, clock.now())
    clock.set(NOW)


async def test_the_sweep_plans_one_series_per_curator_at_9_monday_in_their_zone(
    database, clock, week
):
    w = week.world
    clock.set(NOW - timedelta(days=1))
    assert await weekly.plan_missing_series(database, clock.now()) == 2
    assert await weekly.plan_missing_series(database, clock.now()) == 0  # once
    assert await series(database) == [
        (w.curator, NOW, "pending"),
        (w.foreign_curator, NOW, "pending"),
    ]
    # A curator appointed later, in Novosibirsk: their series at 09:00 there.
    await make_user(database, 600, roles={Role.CURATOR: [w.far_branch]})
    assert await weekly.plan_missing_series(database, clock.now()) == 1
    assert (600, utc(11, 23, 2), "pending") in await series(database)


async def test_a_digest_is_queued_once_and_the_next_week_planned(database, clock, week):
    w = week.world
    await planned(database, clock)
    assert await runner(database, clock, "a").run_due() == 2
    assert await runner(database, clock, "a").run_due() == 0
    rows = await digests_for(database, w.curator)
    assert [row.method for row in rows] == ["send_message", "send_photo", "send_document"]
    assert "Просрочено: 2 наказа" in rows[0].payload["text"]
    assert rows[0].payload["buttons"][0][0]["callback_data"] == f"pr:open:{week.practices[0]}"
    assert rows[1].payload["upload"] == "svodka_2026-11-23.png"
    assert rows[2].payload["upload"] == "svodka_2026-11-23.xlsx"
    foreign = await digests_for(database, w.foreign_curator)
    assert "O1" in foreign[0].payload["text"]
    assert "M4" not in foreign[0].payload["text"]
    assert await series(database) == [
        (w.curator, NOW, "done"),
        (w.curator, NOW + timedelta(days=7), "pending"),
        (w.foreign_curator, NOW, "done"),
        (w.foreign_curator, NOW + timedelta(days=7), "pending"),
    ]
    await weekly.plan_missing_series(database, clock.now())  # the sweep adds nothing
    assert len(await series(database)) == 4


async def test_a_digest_run_late_covers_the_week_it_was_due_for(database, clock, week):
    w = week.world
    await planned(database, clock)
    clock.advance(hours=23)  # the bot was down all Monday
    assert await runner(database, clock, "late").run_due() == 2
    late = await digests_for(database, w.curator)
    assert "16.11–23.11.2026" in late[0].payload["text"]
    assert "Просрочено: 2 наказа" in late[0].payload["text"]
    assert late[1].payload["upload"] == "svodka_2026-11-23.png"


async def test_a_restart_during_the_run_sends_each_digest_once(database, clock, week):
    w = week.world
    await planned(database, clock)
    dead = runner(database, clock, "before-restart")
    claimed = await dead.claim()  # claimed, then the process stopped
    assert len(claimed) == 2
    restarted = runner(database, clock, "after-restart")
    assert await restarted.run_due() == 0  # the lease still holds
    clock.advance(minutes=6)
    assert await restarted.run_due() == 2
    assert [await dead.execute(job) for job in claimed] == ["skipped", "skipped"]
    assert len(await digests_for(database, w.curator)) == 3
    assert len(await digests_for(database, w.foreign_curator)) == 3


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_two_ticks_racing_send_each_digest_once(database, clock, week, concurrency):
    w = week.world
    await planned(database, clock)
    done = await asyncio.gather(
        runner(database, clock, "one", concurrency).run_due(),
        runner(database, clock, "two", concurrency).run_due(),
    )
    assert sum(done) == 2
    assert len(await digests_for(database, w.curator)) == 3
    assert len(await digests_for(database, w.foreign_curator)) == 3


async def test_the_outbox_uploads_the_chart_and_the_workbook(database, clock, week, bot, recording):
    w = week.world
    await planned(database, clock)
    await runner(database, clock, "a").run_due()
    sender = OutboxSender(bot, database, clock)
    for _ in range(4):
        await sender.send_due()
        clock.advance(seconds=2)
    mine = [r for r in recording.sent() if getattr(r, "chat_id", None) == w.curator]
    assert [type(r) for r in mine] == [SendMessage, SendPhoto, SendDocument]
    assert isinstance(mine[1].photo, BufferedInputFile)
    assert mine[1].photo.data.startswith(b"\x89PNG")
    assert isinstance(mine[2].document, BufferedInputFile)
    assert mine[2].document.filename == "svodka_2026-11-23.xlsx"
    assert mine[2].document.data.startswith(b"PK")
    # Pruned with their rows.
    assert await sender.prune(clock.now() + timedelta(days=1)) == 6
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxFile)) == 0


async def test_a_former_curators_series_ends_and_comes_back_with_the_role(database, clock, week):
    w = week.world
    await planned(database, clock)
    async with database.transaction() as session:
        await session.execute(
            delete(RoleAssignment).where(RoleAssignment.user_id == w.foreign_curator)
        )
    # The tick at Monday 09:00: nothing for the former curator, and nothing planned after.
    assert await runner(database, clock, "a").run_due() == 2
    assert await digests_for(database, w.foreign_curator) == []
    assert len(await digests_for(database, w.curator)) == 3
    assert [row for row in await series(database) if row[0] == w.foreign_curator] == [
        (w.foreign_curator, NOW, "done")
    ]
    # Weeks later nothing wakes for them, and the sweep does not start it again.
    clock.set(NOW + timedelta(days=7))
    assert await weekly.plan_missing_series(database, clock.now()) == 0
    assert await runner(database, clock, "a").run_due() == 1  # the curator's own
    assert await digests_for(database, w.foreign_curator) == []
    # The role given back: the sweep plans the series, the next Monday sends the digest.
    async with database.transaction() as session:
        await grant_role(session, w.foreign_curator, Role.CURATOR, clock.now(),
                         branch_id=w.other_branch)  # fmt: skip
    assert await weekly.plan_missing_series(database, clock.now()) == 1
    assert (w.foreign_curator, NOW + timedelta(days=14), "pending") in await series(database)
    clock.set(NOW + timedelta(days=14))
    await runner(database, clock, "a").run_due()
    assert len(await digests_for(database, w.foreign_curator)) == 3


async def test_a_former_curators_other_pending_digest_is_cancelled(database, clock, week):
    """A moved digest left a second row pending: the series ends whole."""
    w = week.world
    await planned(database, clock)
    async with database.transaction() as session:
        await weekly.plan(session, weekly.KIND, weekly.SUBJECT, w.foreign_curator,
                          NOW + timedelta(days=3), now=clock.now())  # fmt: skip
        await session.execute(
            delete(RoleAssignment).where(RoleAssignment.user_id == w.foreign_curator)
        )
    await runner(database, clock, "a").run_due()
    assert [row for row in await series(database) if row[0] == w.foreign_curator] == [
        (w.foreign_curator, NOW, "done"),
        (w.foreign_curator, NOW + timedelta(days=3), "cancelled"),
    ]


async def test_grant_is_enough_for_the_next_tick(database, clock, week):
    await planned(database, clock)
    async with database.transaction() as session:
        await grant_role(session, week.world.member, Role.CURATOR, NOW, branch_id=week.world.branch)
    assert await weekly.plan_missing_series(database, clock.now()) == 1
