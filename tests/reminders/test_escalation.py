"""Escalation of a mandate without a first answer `MANDATE_ESCALATE_DAYS` (2) working days
after its deadline: once across a second tick, a restart and two runners racing; the
curators told with a button to the card, the secretary told it was; nothing when it was
answered in time; the notices held by quiet hours until the morning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from bot.delivery import OutboxSender
from bot.services.mandates import decisions
from bot.services.people import Role
from bot.services.reminders.escalation import ESCALATE, escalation_at
from storage.db import Database
from storage.models import Mandate, RoleAssignment
from storage.models.due_work import DueWork
from tests.due_work.helpers import due_rows
from tests.mandates.helpers import act, buttons, get_mandate, submit
from tests.masterclasses.helpers import FAR_MEMBER
from tests.reminders.helpers import (
    ADMIN_ID,
    add_member,
    make_runner,
    messages_to,
    reminders_registry,
    run_all,
    start,
)

# Submitted Monday 23.11.2026 (10:00 in Moscow): the last day to answer is Thursday 26.11,
# two working days more (Friday 27.11, Monday 30.11) end at 24:00 of 30.11 = 21:00 UTC.
ESCALATION = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
ALARM = "без ответа"


@pytest.fixture
def registry():
    return reminders_registry()


def test_two_working_days_after_the_deadline_at_midnight_local():
    due = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # 24:00 of Thursday 26.11 in Moscow
    assert escalation_at(due, 2, "Europe/Moscow") == ESCALATION
    # Over the holiday of 04.11: last day Tuesday 03.11, then Thursday 05.11 and Friday 06.11.
    due = datetime(2026, 11, 3, 21, 0, tzinfo=UTC)
    assert escalation_at(due, 2, "Europe/Moscow") == datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
    # Novosibirsk: 24:00 local is 17:00 UTC.
    due = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert escalation_at(due, 1, "Asia/Novosibirsk") == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


async def test_planned_at_submission_and_escalated_once_across_ticks_and_a_restart(
    database, world, clock, registry, settings
):
    mandate = await submit(database, world.author, clock.now())
    [row] = [r for r in await due_rows(database) if r.kind == ESCALATE]
    assert (row.subject, row.recipient_id, row.due_at) == (str(mandate.id), 0, ESCALATION)

    first = make_runner(database, registry, clock, "first")
    clock.set(ESCALATION - timedelta(seconds=1))
    await run_all(first)
    assert await messages_to(database, world.curator, ALARM) == []

    clock.set(ESCALATION)
    assert await run_all(first) == 1
    [to_curator] = await messages_to(database, world.curator, ALARM)
    assert f"Наказ № {mandate.number} без ответа" in to_curator.payload["text"]
    assert "26.11.2026" in to_curator.payload["text"]
    assert buttons(to_curator) == [f"md:open:{mandate.id}"]
    [to_secretary] = await messages_to(database, world.secretary, "передан на контроль")
    assert mandate.number in to_secretary.payload["text"]
    assert buttons(to_secretary) == [f"md:open:{mandate.id}"]
    assert (await get_mandate(database, mandate.id)).escalated_at == ESCALATION
    # Nobody else hears of it.
    assert await messages_to(database, world.foreign_curator, ALARM) == []
    assert await messages_to(database, world.admin, ALARM) == []

    # A second tick, then a restart: a new engine and a new runner over the same database.
    clock.advance(minutes=1)
    assert await run_all(first) == 0
    again = Database(settings.database_url)
    try:
        assert await run_all(make_runner(again, registry, clock, "second")) == 0
    finally:
        await again.dispose()
    assert len(await messages_to(database, world.curator, ALARM)) == 1
    assert len(await messages_to(database, world.secretary, "передан на контроль")) == 1


async def test_the_same_job_run_twice_escalates_once(database, world, clock, registry):
    """Belt and braces: a leftover or revived row finds `escalated_at` set."""
    mandate = await submit(database, world.author, clock.now())
    clock.set(ESCALATION)
    await run_all(make_runner(database, registry, clock))
    async with database.transaction() as session:
        await session.execute(
            update(DueWork).where(DueWork.kind == ESCALATE).values(status="pending", attempts=0)
        )
    await run_all(make_runner(database, registry, clock, "again"))
    assert len(await messages_to(database, world.curator, ALARM)) == 1
    assert (await get_mandate(database, mandate.id)).escalated_at == ESCALATION


async def test_two_runners_racing_escalate_once(database, world, clock, registry, settings):
    mandates = [await submit(database, world.author, clock.now()) for _ in range(5)]
    clock.set(ESCALATION)
    other = Database(settings.database_url)
    try:
        workers = [
            make_runner(database, registry, clock, "a"),
            make_runner(other, registry, clock, "b"),
        ]
        done = await asyncio.gather(*(w.run_due() for w in workers))
    finally:
        await other.dispose()
    assert sum(done) == 5
    told = await messages_to(database, world.curator, ALARM)
    assert sorted(m.payload["text"].split("\n")[0] for m in told) == sorted(
        f"🚨 <b>Наказ № {m.number} без ответа</b>" for m in mandates
    )


async def test_a_runner_that_died_holding_it_leaves_it_to_another_once(
    database, world, clock, registry
):
    await submit(database, world.author, clock.now())
    clock.set(ESCALATION)
    assert await make_runner(database, registry, clock, "dead").claim()
    alive = make_runner(database, registry, clock, "alive")
    assert await run_all(alive) == 0  # the lease holds
    clock.advance(minutes=6)
    assert await run_all(alive) == 1
    assert len(await messages_to(database, world.curator, ALARM)) == 1


async def test_not_escalated_when_answered_in_time_or_even_late(database, world, clock, registry):
    in_time = await submit(database, world.author, clock.now())
    late = await submit(database, world.author, clock.now())
    asked = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, in_time.id, clock.now())
    # After the deadline (Friday 27.11) but before the escalation: no escalation either.
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    await act(database, decisions.accept_mandate, world.secretary, late.id, friday)
    await act(
        database, decisions.ask_clarification, world.secretary, asked.id, "Какой подъезд?", friday
    )
    clock.set(ESCALATION)
    assert await run_all(make_runner(database, registry, clock)) == 3  # done, saying nothing
    assert await messages_to(database, world.curator, ALARM) == []
    for mandate in (in_time, late, asked):
        assert (await get_mandate(database, mandate.id)).escalated_at is None


async def test_a_branch_without_curators_escalates_to_its_regions_admins(
    database, world, clock, registry
):
    await add_member(database, world.far_branch, FAR_MEMBER)
    mandate = await submit(database, FAR_MEMBER, clock.now())
    clock.set(mandate.due_at + timedelta(days=10))
    await run_all(make_runner(database, registry, clock))
    for admin in (world.region_admin, ADMIN_ID):
        [told] = await messages_to(database, admin, ALARM)
        assert mandate.number in told.payload["text"]
    [to_secretary] = await messages_to(database, world.far_secretary, ALARM)
    assert "передан на контроль администратору региона" in to_secretary.payload["text"]


async def test_with_nobody_to_hand_it_to_the_secretary_is_not_told_somebody_was(
    database, world, clock, registry
):
    await add_member(database, world.far_branch, FAR_MEMBER)
    mandate = await submit(database, FAR_MEMBER, clock.now())
    async with database.transaction() as session:  # the region's and every admin gone
        await session.execute(delete(RoleAssignment).where(RoleAssignment.role == Role.ADMIN))
    clock.set(mandate.due_at + timedelta(days=10))
    await run_all(make_runner(database, reminders_registry(admin_ids=frozenset()), clock))
    [to_secretary] = await messages_to(database, world.far_secretary, ALARM)
    assert mandate.number in to_secretary.payload["text"]
    assert "передан" not in to_secretary.payload["text"]
    assert (await get_mandate(database, mandate.id)).escalated_at is not None


async def test_escalation_at_midnight_waits_for_the_morning(
    database, world, clock, registry, bot, recording
):
    await submit(database, world.author, clock.now())
    clock.set(ESCALATION)  # 00:00 in Moscow
    await run_all(make_runner(database, registry, clock))
    sender = OutboxSender(bot, database, clock)
    await sender.send_due()  # the new-mandate notice of 23.11 is long gone (expired or sent)
    assert not [t for t in recording.texts_to(world.curator) if ALARM in t]
    held = await messages_to(database, world.curator, ALARM)
    assert [m.held_until for m in held] == [datetime(2026, 12, 1, 6, 0, tzinfo=UTC)]

    clock.set(datetime(2026, 12, 1, 5, 59, tzinfo=UTC))
    await sender.send_due()
    assert not [t for t in recording.texts_to(world.curator) if ALARM in t]
    clock.set(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))  # 09:00 in Moscow
    await sender.send_due()
    clock.advance(seconds=2)
    await sender.send_due()
    assert [t for t in recording.texts_to(world.curator) if ALARM in t]
    assert [t for t in recording.texts_to(world.secretary) if "передан на контроль" in t]


async def test_the_morning_message_is_not_held(database, world, clock, bot, recording):
    registry = reminders_registry()
    await submit(database, world.author, clock.now())
    await start(database, clock)
    sender = OutboxSender(bot, database, clock)
    await sender.send_due()  # the new-mandate notice, now (10:00 in Moscow)
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    await run_all(make_runner(database, registry, clock))
    await sender.send_due()
    assert [t for t in recording.texts_to(world.secretary) if "Доброе утро" in t]
    [row] = await messages_to(database, world.secretary, "Доброе утро")
    assert (row.status, row.held_until) == ("sent", None)


async def _lose_escalation(database: Database, *mandate_ids: int) -> None:
    """As if submitted before escalations existed: no row."""
    async with database.transaction() as session:
        await session.execute(
            delete(DueWork).where(
                DueWork.kind == ESCALATE, DueWork.subject.in_([str(i) for i in mandate_ids])
            )
        )


async def _escalation_rows(database: Database) -> dict[str, list[tuple[datetime, str]]]:
    rows: dict[str, list[tuple[datetime, str]]] = {}
    for row in await due_rows(database):
        if row.kind == ESCALATE:
            rows.setdefault(row.subject, []).append((row.due_at, row.status))
    return rows


async def test_the_back_fill_plans_each_missing_escalation_once(database, world, clock, registry):
    lost = await submit(database, world.author, clock.now())
    kept = await submit(database, world.author, clock.now())
    escalated = await submit(database, world.author, clock.now())
    answered = await submit(database, world.author, clock.now())
    # A month old and never planned: its moment has passed, so it runs on the next tick.
    old = await submit(database, world.author, clock.now() - timedelta(days=30))
    await act(database, decisions.accept_mandate, world.secretary, answered.id, clock.now())
    async with database.transaction() as session:
        await session.execute(
            update(Mandate).where(Mandate.id == escalated.id).values(escalated_at=clock.now())
        )
    await _lose_escalation(database, lost.id, escalated.id, answered.id, old.id)

    await start(database, clock)  # at startup
    await start(database, clock)  # twice: still one row each
    rows = await _escalation_rows(database)
    assert rows[str(lost.id)] == [(ESCALATION, "pending")]
    assert rows[str(kept.id)] == [(ESCALATION, "pending")]
    assert str(escalated.id) not in rows  # escalated already: not planned again
    assert str(answered.id) not in rows  # answered: nothing to escalate
    [(old_at, _)] = rows[str(old.id)]
    assert old_at < clock.now()

    # The old one is escalated on the next tick; the rest at their moment, once.
    worker = make_runner(database, registry, clock)
    await run_all(worker)
    [told] = await messages_to(database, world.curator, ALARM)
    assert old.number in told.payload["text"]
    clock.set(ESCALATION)
    await run_all(worker)
    told = await messages_to(database, world.curator, ALARM)
    assert sorted(m.payload["text"].split("\n")[0] for m in told) == sorted(
        f"🚨 <b>Наказ № {m.number} без ответа</b>" for m in (old, lost, kept)
    )
    await start(database, clock)  # after it ran: nothing planned again
    assert len((await _escalation_rows(database))[str(lost.id)]) == 1


async def test_the_morning_sweep_back_fills_a_lost_escalation(database, world, clock, registry):
    await submit(database, world.author, clock.now())  # a secretary with work: a sweep
    await start(database, clock)
    lost = await submit(database, world.author, clock.now())
    await _lose_escalation(database, lost.id)
    clock.set(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # Tuesday 09:00 in Moscow
    await run_all(make_runner(database, registry, clock))
    assert (await _escalation_rows(database))[str(lost.id)] == [(ESCALATION, "pending")]
    clock.set(ESCALATION)
    await run_all(make_runner(database, registry, clock))
    assert len(await messages_to(database, world.curator, f"№ {lost.number} без ответа")) == 1
