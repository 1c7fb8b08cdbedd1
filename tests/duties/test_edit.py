"""`records.edit_duty` and `create_duty` on the FrozenClock: a refusal leaves nothing
changed behind (the chat's handlers catch it and the update still commits), new
recipients cancel the reminders not sent yet to those no longer among them, and a changed
schedule keeps a «Напомнить завтра» already asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.duties import delivery, records
from bot.services.duties.errors import DutyError
from storage.models import Branch
from tests.duties.helpers import (
    ADMIN,
    duties_registry,
    make_duty,
    make_runner,
    occurrence_of,
    reminded,
    reminders_to,
    run_all,
)
from tests.duties.test_delivery import MSK_18, NSK_18, START

PAST_ONE_OFF = "FREQ=DAILY;BYMONTH=11;BYMONTHDAY=20;BYHOUR=10;BYMINUTE=0;UNTIL=20261120T235959"


async def _at(database, clock, moment: datetime) -> None:
    clock.set(moment)
    await run_all(make_runner(database, duties_registry(), clock))


async def test_a_refused_edit_changes_nothing(database, world, clock):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "monthly", "последний день в 18:00")
    async with database.transaction() as session:
        with pytest.raises(DutyError) as refused:
            await records.edit_duty(
                session, duty.id, clock.now(), by=ADMIN, rule=PAST_ONE_OFF, text="Новый"
            )
        assert refused.value.code == "no_occurrence"
        with pytest.raises(DutyError):
            await records.edit_duty(session, duty.id, clock.now(), by=ADMIN, text=" ")
    async with database.sessions() as session:
        kept = await records.get_duty(session, duty.id, ADMIN)
        assert (kept.rule, kept.text) == (duty.rule, "Сдайте отчёт о работе отделения")
    await _at(database, clock, MSK_18)
    assert (await reminded(database, world.secretary))[world.secretary] == 1


async def test_a_refused_new_duty_leaves_no_row(database, world, clock):
    clock.set(START)
    async with database.transaction() as session:
        with pytest.raises(DutyError):
            await records.create_duty(
                session, clock.now(), ADMIN, records.Target("secretary"), PAST_ONE_OFF, "Текст"
            )
        assert await records.list_duties(session, ADMIN) == []


async def test_new_recipients_cancel_the_unsent_reminders_of_the_others(database, world, clock):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "monthly", "последний день в 18:00")
    await _at(database, clock, NSK_18)  # fanned out; Novosibirsk's sent, Moscow's pending
    async with database.transaction() as session:
        await records.edit_duty(
            session,
            duty.id,
            clock.now(),
            by=ADMIN,
            target=records.Target("secretary", "region", await _region_of(session, world)),
        )
    await _at(database, clock, MSK_18)
    assert await reminded(database, world.secretary, world.far_secretary) == {
        world.secretary: 0,
        world.far_secretary: 1,
    }


async def _region_of(session, world) -> int:
    branch = await session.get(Branch, world.far_branch)
    return branch.region_id


async def test_a_changed_schedule_keeps_a_remind_tomorrow(database, world, clock):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "monthly", "последний день в 18:00")
    await _at(database, clock, MSK_18)
    [message] = await reminders_to(database, world.secretary)
    async with database.transaction() as session:
        await delivery.snooze(session, occurrence_of(message), world.secretary, clock.now())
        await records.edit_duty(
            session,
            duty.id,
            clock.now(),
            by=ADMIN,
            rule="FREQ=MONTHLY;BYMONTHDAY=20;BYHOUR=10;BYMINUTE=0",
        )
    await _at(database, clock, MSK_18 + timedelta(days=1))
    assert len(await reminders_to(database, world.secretary)) == 2
    await _at(database, clock, datetime(2026, 12, 20, 7, 0, tzinfo=UTC))
    assert len(await reminders_to(database, world.secretary)) == 3  # the new schedule's
