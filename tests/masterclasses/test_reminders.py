"""Reminders through the due-work engine: due at the right local moments in two zones,
sent once across a restart, cancelled with the registration or the event, re-planned on
a change of time; «Не смогу» frees the seat for the first in line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.due_work import DueWorkRegistry
from bot.services.masterclasses import events
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.audience import Audience, Scope
from bot.services.masterclasses.reminders import register_due_work
from bot.services.masterclasses.schedule import day_before_at
from storage.db import Database
from tests.due_work.helpers import runner
from tests.mandates.helpers import act
from tests.masterclasses.helpers import (
    FAR_MEMBER,
    add_members,
    create,
    registrations,
    texts_to,
)

# 25 November 2026, 18:30 in Krasnodar (Moscow time) = 15:30 UTC = 22:30 in Novosibirsk.
START = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


@pytest.fixture
def registry() -> DueWorkRegistry:
    registry = DueWorkRegistry()
    register_due_work(registry)
    return registry


@pytest.mark.parametrize(
    ("local_start", "zone", "expected_local"),
    [
        ("2026-11-25 18:30", "Europe/Moscow", "2026-11-24 18:30"),
        ("2026-11-25 08:00", "Europe/Moscow", "2026-11-24 10:00"),  # not at dawn
        ("2026-11-25 22:30", "Asia/Novosibirsk", "2026-11-24 19:00"),  # not at night
        ("2026-11-25 00:15", "Asia/Novosibirsk", "2026-11-24 10:00"),
        ("2026-11-25 12:00", "Asia/Novosibirsk", "2026-11-24 12:00"),
    ],
)
def test_the_day_before_comes_at_a_sensible_hour_of_the_readers_zone(
    local_start, zone, expected_local
):
    from zoneinfo import ZoneInfo

    start = datetime.fromisoformat(local_start).replace(tzinfo=ZoneInfo(zone))
    expected = datetime.fromisoformat(expected_local).replace(tzinfo=ZoneInfo(zone))
    assert day_before_at(start.astimezone(UTC), zone) == expected.astimezone(UTC)


async def _everyone(database, world, clock, **fields):
    await add_members(database, world.far_branch, FAR_MEMBER)
    return await create(
        database, world.admin, START, clock.now(), audience=Audience(Scope.ALL), **fields
    )


async def test_reminders_come_at_each_persons_local_moments_once_across_a_restart(
    database, world, clock, registry, settings
):
    masterclass = await _everyone(database, world, clock)
    for user in (world.author, FAR_MEMBER):
        await act(database, reg.register, user, masterclass.id, clock.now())
    first = runner(database, registry, clock, "first")

    # Novosibirsk: 19:00 local on the 24th (12:00 UTC); Moscow: 18:30 local (15:30 UTC).
    clock.set(datetime(2026, 11, 24, 11, 59, tzinfo=UTC))
    await first.run_due()
    assert await texts_to(database, FAR_MEMBER) == []
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    await first.run_due()
    [far_day_before] = await texts_to(database, FAR_MEMBER)
    assert "Придёте?" in far_day_before
    assert "25.11.2026 22:30" in far_day_before  # shown in Novosibirsk time
    assert await texts_to(database, world.author) == []

    # The process restarts: a new database engine and a new runner over the same file.
    second_db = Database(settings.database_url)
    second = runner(second_db, registry, clock, "second")
    clock.set(datetime(2026, 11, 24, 15, 30, tzinfo=UTC))
    assert await second.run_due() == 1
    assert await first.run_due() == 0
    [moscow_day_before] = await texts_to(database, world.author)
    assert "25.11.2026 18:30" in moscow_day_before
    clock.set(START - timedelta(hours=1))
    assert await second.run_due() == 2  # the hour-before, to both
    assert await first.run_due() == 0
    await second_db.dispose()
    assert len(await texts_to(database, FAR_MEMBER)) == 2
    assert "Через час" in (await texts_to(database, world.author))[-1]


async def test_a_reminder_claimed_by_a_runner_that_died_is_sent_once_by_another(
    database, world, clock, registry
):
    masterclass = await _everyone(database, world, clock)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    clock.set(START - timedelta(hours=1))
    dead = runner(database, registry, clock, "dead")
    claimed = await dead.claim()  # claims the reminders, then the process dies
    assert claimed
    alive = runner(database, registry, clock, "alive")
    assert await alive.run_due() == 0  # the lease still holds
    clock.advance(minutes=6)
    assert await alive.run_due() >= 1
    assert len([t for t in await texts_to(database, world.author) if "Завтра" in t]) == 0
    assert len([t for t in await texts_to(database, world.author) if "Через час" in t]) == 1


async def test_cancelling_a_registration_cancels_its_reminders(database, world, clock, registry):
    masterclass = await _everyone(database, world, clock)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.cancel_registration, world.author, masterclass.id, clock.now())
    clock.set(START - timedelta(minutes=1))
    await runner(database, registry, clock, "r").run_due()
    assert await texts_to(database, world.author) == []


async def test_cancelling_the_event_cancels_every_reminder_and_tells_everyone(
    database, world, clock, registry
):
    masterclass = await _everyone(database, world, clock, capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, FAR_MEMBER, masterclass.id, clock.now())  # waiting
    told = await act(
        database, events.cancel_masterclass, world.admin, masterclass.id, "Ведущий заболел",
        clock.now(),
    )  # fmt: skip
    assert told == 2
    for user in (world.author, FAR_MEMBER):
        [text] = await texts_to(database, user)
        assert "отменён" in text
        assert "Ведущий заболел" in text
    clock.set(START + timedelta(hours=3))
    await runner(database, registry, clock, "r").run_due()
    assert len(await texts_to(database, world.author)) == 1  # no reminder, no code
    assert await texts_to(database, world.admin) == []


async def test_a_new_time_replans_the_reminders(database, world, clock, registry):
    masterclass = await _everyone(database, world, clock)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    later = START + timedelta(days=2)
    await act(
        database, events.edit_masterclass, world.admin, masterclass.id,
        events.MasterclassEdit(starts_at=later), clock.now(),
    )  # fmt: skip
    [changed] = await texts_to(database, world.author)
    assert "27.11.2026 18:30" in changed
    work = runner(database, registry, clock, "r")
    clock.set(START - timedelta(hours=1))
    await work.run_due()
    assert len(await texts_to(database, world.author)) == 1  # nothing at the old time
    clock.set(later - timedelta(days=1))
    await work.run_due()
    assert "Придёте?" in (await texts_to(database, world.author))[-1]
    clock.set(later - timedelta(hours=1))
    await work.run_due()
    assert "Через час" in (await texts_to(database, world.author))[-1]


async def test_cannot_come_frees_the_seat_for_the_first_in_line(database, world, clock, registry):
    masterclass = await _everyone(database, world, clock, capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, FAR_MEMBER, masterclass.id, clock.now())
    clock.set(datetime(2026, 11, 24, 15, 30, tzinfo=UTC))
    await runner(database, registry, clock, "r").run_due()
    [reminder] = await texts_to(database, world.author)
    assert "Придёте?" in reminder

    left = await act(database, reg.decline, world.author, masterclass.id, clock.now())
    assert left.promoted == [FAR_MEMBER]
    statuses = {r.user_id: r.status for r in await registrations(database, masterclass.id)}
    assert statuses == {world.author: "declined", FAR_MEMBER: "registered"}
    assert "Освободилось место" in (await texts_to(database, FAR_MEMBER))[-1]
    # The promoted person is reminded an hour before; the one who declined is not.
    clock.set(START - timedelta(hours=1))
    await runner(database, registry, clock, "r").run_due()
    assert "Через час" in (await texts_to(database, FAR_MEMBER))[-1]
    assert len(await texts_to(database, world.author)) == 1
