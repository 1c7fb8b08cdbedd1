"""Duties delivered on the FrozenClock: each recipient at the rule's moment in their own
zone (Moscow, Novosibirsk) across a month end, «Сделано» recorded once, «Напомнить
завтра», completion per occurrence and its .xlsx, pause/resume/delete, and exactly once
across a restart and two racing runners."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services.duties import delivery, records, report
from bot.services.duties.errors import DutyError
from storage.models import DutyMark
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

START = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
# 30.11.2026 is a Monday and the last day of November.
NSK_18 = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # 18:00 in Novosibirsk
MSK_18 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 18:00 in Moscow


@pytest.fixture
def registry():
    return duties_registry()


async def _at(clock, worker, moment: datetime) -> None:
    clock.set(moment)
    await run_all(worker)


async def test_a_monthly_duty_on_the_last_day_in_two_zones(database, world, clock, registry):
    clock.set(START)
    await make_duty(database, clock.now(), "monthly", "последний день в 18:00")
    worker = make_runner(database, registry, clock)
    people = (world.secretary, world.foreign_secretary, world.far_secretary)

    await _at(clock, worker, NSK_18 - timedelta(seconds=1))
    assert await reminded(database, *people) == dict.fromkeys(people, 0)
    await _at(clock, worker, NSK_18)
    assert await reminded(database, *people) == {
        world.secretary: 0,
        world.foreign_secretary: 0,
        world.far_secretary: 1,
    }
    await _at(clock, worker, MSK_18 - timedelta(seconds=1))
    assert (await reminded(database, world.secretary))[world.secretary] == 0
    await _at(clock, worker, MSK_18)
    assert await reminded(database, *people) == dict.fromkeys(people, 1)
    [message] = await reminders_to(database, world.secretary)
    assert "Сдайте отчёт о работе отделения" in message.payload["text"]
    occurrence = occurrence_of(message)
    assert [b["text"] for row in message.payload["buttons"] for b in row] == [
        "✅ Сделано",
        "⏰ Напомнить завтра",
    ]
    assert message.payload["buttons"][0][1]["callback_data"] == f"dt:snooze:{occurrence}"
    assert (await reminders_to(database, world.curator)) == []  # secretaries only

    # December: the 31st, each in their zone again.
    await _at(clock, worker, datetime(2026, 12, 31, 11, 0, tzinfo=UTC))
    assert await reminded(database, *people) == {
        world.secretary: 1,
        world.foreign_secretary: 1,
        world.far_secretary: 2,
    }
    await _at(clock, worker, datetime(2026, 12, 31, 15, 0, tzinfo=UTC))
    assert await reminded(database, *people) == dict.fromkeys(people, 2)


async def test_a_weekly_duty_for_curators_across_the_month_end(database, world, clock, registry):
    clock.set(START)
    await make_duty(
        database, clock.now(), "weekly", "понедельник в 09:00", target=records.Target("curator")
    )
    worker = make_runner(database, registry, clock)
    curators = (world.curator, world.foreign_curator)
    await _at(clock, worker, datetime(2026, 11, 30, 6, 0, tzinfo=UTC) - timedelta(seconds=1))
    assert await reminded(database, *curators) == dict.fromkeys(curators, 0)
    await _at(clock, worker, datetime(2026, 11, 30, 6, 0, tzinfo=UTC))  # 09:00 Moscow
    assert await reminded(database, *curators) == dict.fromkeys(curators, 1)
    assert (await reminders_to(database, world.secretary)) == []
    await _at(clock, worker, datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    assert await reminded(database, *curators) == dict.fromkeys(curators, 2)


async def test_a_weekly_duty_in_novosibirsk_comes_four_hours_earlier(
    database, world, clock, registry
):
    clock.set(START)
    target = records.Target("secretary", "branch", world.far_branch)
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00", target=target)
    worker = make_runner(database, registry, clock)
    await _at(clock, worker, datetime(2026, 11, 30, 2, 0, tzinfo=UTC))  # 09:00 Novosibirsk
    assert await reminded(database, world.far_secretary, world.secretary) == {
        world.far_secretary: 1,
        world.secretary: 0,
    }
    await _at(clock, worker, datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    assert await reminded(database, world.far_secretary, world.secretary) == {
        world.far_secretary: 2,
        world.secretary: 0,  # not in the duty's branch
    }


async def _one_occurrence(database, world, clock, registry) -> int:
    clock.set(START)
    await make_duty(database, clock.now(), "once", "30.11 в 18:00")
    worker = make_runner(database, registry, clock)
    await _at(clock, worker, MSK_18)
    [message] = await reminders_to(database, world.secretary)
    return occurrence_of(message)


async def test_done_is_recorded_once_and_counted(database, world, clock, registry):
    occurrence = await _one_occurrence(database, world, clock, registry)
    async with database.transaction() as session:
        assert await delivery.mark_done(session, occurrence, world.secretary, clock.now())
    async with database.transaction() as session:
        assert not await delivery.mark_done(
            session, occurrence, world.secretary, clock.now() + timedelta(hours=1)
        )
        with pytest.raises(DutyError) as refused:
            await delivery.mark_done(session, occurrence, world.curator, clock.now())
        assert refused.value.code == "not_yours"
    async with database.sessions() as session:
        done_at = await session.scalar(
            select(DutyMark.done_at).where(DutyMark.user_id == world.secretary)
        )
        assert done_at == MSK_18  # the first press
        duty = (await records.list_duties(session, ADMIN))[0]
        [occ] = await report.completion(session, duty)
    assert (occ.done, occ.total, occ.label) == (1, 3, "30.11.2026")
    assert [p.name for p in occ.missing] == ["Семён", "Софья"]

    book = load_workbook(io.BytesIO(report.workbook([occ], "Europe/Moscow")))
    assert book.sheetnames == ["Сводка", "Отметки"]
    assert [c.value for c in book["Сводка"][2]] == ["30.11.2026", 1, 3, 33]
    marks = [[c.value for c in row] for row in book["Отметки"].iter_rows(min_row=2)]
    assert ["30.11.2026", "Сергей", "30.11.2026 18:00", "30.11.2026 18:00"] in marks
    assert ["30.11.2026", "Семён", "30.11.2026 18:00", None] in marks


async def test_remind_tomorrow_comes_again_a_day_later_until_done(database, world, clock, registry):
    occurrence = await _one_occurrence(database, world, clock, registry)
    worker = make_runner(database, registry, clock)
    async with database.transaction() as session:
        when = await delivery.snooze(session, occurrence, world.secretary, clock.now())
    assert when == MSK_18 + timedelta(days=1)
    await _at(clock, worker, when - timedelta(seconds=1))
    assert len(await reminders_to(database, world.secretary)) == 1
    await _at(clock, worker, when)
    assert len(await reminders_to(database, world.secretary)) == 2
    assert len(await reminders_to(database, world.foreign_secretary)) == 1

    async with database.transaction() as session:
        await delivery.snooze(session, occurrence, world.secretary, clock.now())
        await delivery.mark_done(session, occurrence, world.secretary, clock.now())
    await _at(clock, worker, clock.now() + timedelta(days=1))
    assert len(await reminders_to(database, world.secretary)) == 2  # done: no more
    async with database.transaction() as session:
        with pytest.raises(DutyError) as refused:
            await delivery.snooze(session, occurrence, world.secretary, clock.now())
        assert refused.value.code == "already_done"


async def test_paused_sends_nothing_and_resumed_goes_on(database, world, clock, registry):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    worker = make_runner(database, registry, clock)
    async with database.transaction() as session:
        await records.pause_duty(session, duty.id, clock.now(), ADMIN)
    await _at(clock, worker, datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    assert (await reminded(database, world.secretary))[world.secretary] == 0
    async with database.transaction() as session:
        await records.resume_duty(session, duty.id, clock.now(), ADMIN)
    await _at(clock, worker, datetime(2026, 12, 7, 6, 0, tzinfo=UTC))
    assert (await reminded(database, world.secretary))[world.secretary] == 1
    # Paused between the fan-out (Kamchatka's Monday) and Moscow's 09:00: nothing either.
    await _at(clock, worker, datetime(2026, 12, 13, 21, 0, tzinfo=UTC))
    async with database.transaction() as session:
        await records.pause_duty(session, duty.id, clock.now(), ADMIN)
    await _at(clock, worker, datetime(2026, 12, 14, 6, 0, tzinfo=UTC))
    assert (await reminded(database, world.secretary))[world.secretary] == 1


async def test_deleted_sends_nothing_and_is_not_listed(database, world, clock, registry):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    async with database.transaction() as session:
        await records.delete_duty(session, duty.id, clock.now(), ADMIN)
        assert await records.list_duties(session, ADMIN) == []
    await _at(clock, make_runner(database, registry, clock), datetime(2026, 12, 7, 6, tzinfo=UTC))
    assert (await reminded(database, world.secretary))[world.secretary] == 0


async def test_an_edited_schedule_is_planned_anew(database, world, clock, registry):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    async with database.transaction() as session:
        await records.edit_duty(
            session, duty.id, clock.now(), by=ADMIN, rule="FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0"
        )
    worker = make_runner(database, registry, clock)
    await _at(clock, worker, datetime(2026, 11, 30, 6, 0, tzinfo=UTC))
    assert (await reminded(database, world.secretary))[world.secretary] == 0
    await _at(clock, worker, datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert (await reminded(database, world.secretary))[world.secretary] == 1


async def test_a_restart_during_the_run_reminds_each_once(database, world, clock, registry):
    clock.set(START)
    await make_duty(database, clock.now(), "once", "30.11 в 18:00")
    await _at(clock, make_runner(database, registry, clock, "fan-out"), MSK_18 - timedelta(hours=1))
    clock.set(MSK_18)
    dead = make_runner(database, registry, clock, "before-restart")
    claimed = await dead.claim()  # claimed, then the process stopped
    assert len(claimed) == 2  # the two Moscow secretaries
    restarted = make_runner(database, registry, clock, "after-restart")
    assert await restarted.run_due() == 0  # the lease still holds
    clock.advance(minutes=6)
    assert await restarted.run_due() == 2
    assert [await dead.execute(job) for job in claimed] == ["skipped", "skipped"]
    people = (world.secretary, world.foreign_secretary, world.far_secretary)
    assert await reminded(database, *people) == dict.fromkeys(people, 1)


async def test_two_racing_runners_remind_each_once(database, world, clock, registry):
    clock.set(START)
    await make_duty(database, clock.now(), "monthly", "последний день в 18:00")
    await make_duty(database, clock.now(), "weekly", "понедельник в 18:00", text="Второе")
    clock.set(MSK_18)
    for _ in range(3):
        await asyncio.gather(
            make_runner(database, registry, clock, "one").run_due(),
            make_runner(database, registry, clock, "two").run_due(),
        )
    people = (world.secretary, world.foreign_secretary, world.far_secretary)
    assert await reminded(database, *people) == dict.fromkeys(people, 2)
    async with database.sessions() as session:
        marks = list(await session.scalars(select(DutyMark)))
    assert len(marks) == 6
