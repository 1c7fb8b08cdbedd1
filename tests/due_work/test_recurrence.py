"""Recurring due work lands at the recipient's own wall-clock time, month ends included.

The zones are the ones the party's regions live in, none of them with daylight saving:
Kaliningrad UTC+2, Moscow UTC+3, Novosibirsk UTC+7, Vladivostok UTC+10. Tests are
`async` even where nothing awaits (see tests/test_mandate_services.py: looptime's plugin).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.due_work import DueWorkRegistry, Recurrence, cancel
from tests.due_work.helpers import Recorder, due_rows, notices, runner


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


WEEKDAYS_9 = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0"
MONDAY_9 = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"
TWENTIETH_10 = "FREQ=MONTHLY;BYMONTHDAY=20;BYHOUR=10;BYMINUTE=0"
LAST_DAY_10 = "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=10;BYMINUTE=0"
THIRTY_FIRST_10 = "FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=10;BYMINUTE=0"


def series(rule: str, zone: str, start: datetime, count: int) -> list[datetime]:
    recurrence, moments = Recurrence(rule, zone), []
    for _ in range(count):
        start = recurrence.next_after(start, zone)
        moments.append(start)
    return moments


@pytest.mark.parametrize(
    ("zone", "expected"),
    [  # from Friday 30 January 2026, 06:00 UTC
        ("Europe/Kaliningrad", [utc(2026, 1, 30, 7), utc(2026, 2, 2, 7), utc(2026, 2, 3, 7)]),
        ("Europe/Moscow", [utc(2026, 2, 2, 6), utc(2026, 2, 3, 6), utc(2026, 2, 4, 6)]),
        ("Asia/Novosibirsk", [utc(2026, 2, 2, 2), utc(2026, 2, 3, 2), utc(2026, 2, 4, 2)]),
        ("Asia/Vladivostok", [utc(2026, 2, 1, 23), utc(2026, 2, 2, 23), utc(2026, 2, 3, 23)]),
    ],
)
async def test_nine_every_working_morning_is_nine_where_the_person_lives(zone, expected):
    assert series(WEEKDAYS_9, zone, utc(2026, 1, 30, 6), 3) == expected


async def test_monday_nine_and_the_twentieth_at_ten():
    assert series(MONDAY_9, "Asia/Novosibirsk", utc(2026, 2, 23, 2), 2) == [
        utc(2026, 3, 2, 2), utc(2026, 3, 9, 2)  # 23 Feb 09:00 itself is not "after" it
    ]  # fmt: skip
    assert series(TWENTIETH_10, "Europe/Moscow", utc(2026, 1, 20, 8), 3) == [
        utc(2026, 2, 20, 7), utc(2026, 3, 20, 7), utc(2026, 4, 20, 7)
    ]  # fmt: skip


async def test_month_ends_follow_the_calendar():
    assert series(LAST_DAY_10, "Asia/Vladivostok", utc(2026, 1, 1), 4) == [
        utc(2026, 1, 31, 0), utc(2026, 2, 28, 0), utc(2026, 3, 31, 0), utc(2026, 4, 30, 0)
    ]  # fmt: skip
    assert series(LAST_DAY_10, "Europe/Moscow", utc(2028, 2, 1), 1) == [utc(2028, 2, 29, 7)]
    # «the 31st» is RFC 5545's: months without one are skipped; say -1 for the last day
    assert series(THIRTY_FIRST_10, "Europe/Moscow", utc(2026, 1, 31, 8), 2) == [
        utc(2026, 3, 31, 7), utc(2026, 5, 31, 7)
    ]  # fmt: skip


async def test_a_bad_rule_fails_when_registered():
    with pytest.raises(ValueError):  # noqa: PT011 — dateutil's own message
        Recurrence("FREQ=FORTNIGHTLY", "Europe/Moscow")


ZONES = {1: "Europe/Moscow", 2: "Asia/Novosibirsk"}


async def zone_of(session, subject, recipient) -> str:
    return ZONES[recipient]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def registry_for(recorder: Recorder, rule: str) -> DueWorkRegistry:
    registry = DueWorkRegistry()
    registry.register("test.recurring", recorder, recurrence=Recurrence(rule, zone_of))
    return registry


async def start(database, registry, clock, *recipients: int) -> None:
    async with database.transaction() as session:
        for recipient in recipients:
            await registry.plan_next(session, "test.recurring", 5, recipient, after=clock.now())


async def test_a_daily_morning_job_in_two_zones_across_a_month_end(database, clock):
    recorder = Recorder()
    registry = registry_for(recorder, "FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
    clock.set(utc(2026, 1, 30, 12))
    await start(database, registry, clock, 1, 2)
    await start(database, registry, clock, 1, 2)  # starting a series twice plans it once
    worker = runner(database, registry, clock, "a")

    ran = []
    for moment in [utc(2026, 1, 31, 2), utc(2026, 1, 31, 6), utc(2026, 2, 1, 2),
                   utc(2026, 2, 1, 6), utc(2026, 2, 2, 2)]:  # fmt: skip
        clock.set(moment)
        assert await worker.run_due() == 1
        ran.append([(row.recipient_id, row.due_at) for row in await due_rows(database)
                    if row.status == "done" and row.done_at == moment])  # fmt: skip
    assert ran == [
        [(2, utc(2026, 1, 31, 2))],  # 09:00 in Novosibirsk
        [(1, utc(2026, 1, 31, 6))],  # 09:00 in Moscow
        [(2, utc(2026, 2, 1, 2))],
        [(1, utc(2026, 2, 1, 6))],
        [(2, utc(2026, 2, 2, 2))],
    ]
    pending = [(row.recipient_id, row.due_at) for row in await due_rows(database)
               if row.status == "pending"]  # fmt: skip
    assert pending == [(1, utc(2026, 2, 2, 6)), (2, utc(2026, 2, 3, 2))]
    assert len(await notices(database)) == 5


async def test_a_monthly_job_on_the_last_day_in_two_zones(database, clock):
    recorder = Recorder()
    registry = registry_for(recorder, LAST_DAY_10)
    clock.set(utc(2026, 1, 15))
    await start(database, registry, clock, 1, 2)
    worker = runner(database, registry, clock, "a")
    for moment in [utc(2026, 1, 31, 3), utc(2026, 1, 31, 7), utc(2026, 2, 28, 3),
                   utc(2026, 2, 28, 7)]:  # fmt: skip
        clock.set(moment)
        assert await worker.run_due() == 1
    assert [(row.recipient_id, row.due_at, row.status) for row in await due_rows(database)] == [
        (2, utc(2026, 1, 31, 3), "done"),  # 10:00 in Novosibirsk
        (1, utc(2026, 1, 31, 7), "done"),  # 10:00 in Moscow
        (2, utc(2026, 2, 28, 3), "done"),
        (1, utc(2026, 2, 28, 7), "done"),
        (2, utc(2026, 3, 31, 3), "pending"),
        (1, utc(2026, 3, 31, 7), "pending"),
    ]


async def test_the_next_occurrence_follows_a_move_to_another_zone(database, clock, monkeypatch):
    recorder = Recorder()
    registry = registry_for(recorder, "FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
    clock.set(utc(2026, 3, 1, 12))
    await start(database, registry, clock, 1)
    monkeypatch.setitem(ZONES, 1, "Asia/Vladivostok")  # the person moved region
    clock.set(utc(2026, 3, 2, 6))
    assert await runner(database, registry, clock, "a").run_due() == 1
    assert (await due_rows(database))[-1].due_at == utc(2026, 3, 2, 23)  # 09:00 Vladivostok


async def test_after_a_long_stop_one_occurrence_runs_not_every_missed_one(database, clock):
    recorder = Recorder()
    registry = registry_for(recorder, "FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
    clock.set(utc(2026, 3, 1, 12))
    await start(database, registry, clock, 1)
    clock.set(utc(2026, 3, 9, 12))  # the bot was down for a week
    worker = runner(database, registry, clock, "a")
    assert await worker.run_due() == 1
    assert await worker.run_due() == 0
    assert (await due_rows(database))[-1].due_at == utc(2026, 3, 10, 6)


async def test_cancelling_a_series_stops_it(database, clock):
    recorder = Recorder()
    registry = registry_for(recorder, "FREQ=DAILY;BYHOUR=9;BYMINUTE=0")
    clock.set(utc(2026, 3, 1, 12))
    await start(database, registry, clock, 1, 2)
    async with database.transaction() as session:
        assert await cancel(session, "test.recurring", 5, 1) == 1
    clock.set(utc(2026, 3, 5, 12))
    worker = runner(database, registry, clock, "a")
    assert await worker.run_due() == 1  # only recipient 2's
    assert [row.recipient_id for row in await due_rows(database) if row.status == "pending"] == [2]


async def test_a_recurring_job_that_failed_for_good_still_plans_the_next(database, clock):
    async def broken(session, job, now):
        raise RuntimeError("no such branch")

    registry = DueWorkRegistry()
    registry.register("test.recurring", broken, recurrence=Recurrence(MONDAY_9, zone_of))
    clock.set(utc(2026, 3, 1, 12))  # a Sunday
    await start(database, registry, clock, 1)
    clock.set(utc(2026, 3, 2, 6))
    assert await runner(database, registry, clock, "a", max_attempts=1).run_due() == 0
    assert [(row.status, row.due_at) for row in await due_rows(database)] == [
        ("failed", utc(2026, 3, 2, 6)),
        ("pending", utc(2026, 3, 9, 6)),
    ]
